import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resourceQueries } from './queries.ts';

// The real package also exports Svelte components, which this node-only project cannot load; queryOptions itself only
// returns its argument.
vi.mock('@tanstack/svelte-query', () => ({ queryOptions: <T>(options: T) => options }));

interface Row {
  id: string;
}

const meta = { api_version: 1, server_version: '0.1.0' };
const pagination = { total_count: 41, limit: 20, offset: 20, has_more: true };

let requested: string[];

beforeEach(() => {
  requested = [];
  vi.stubGlobal('fetch', async (url: string) => {
    requested.push(url);
    return new Response(
      JSON.stringify({ success: true, data: [{ id: 'a' }], meta: { ...meta, pagination } }),
    );
  });
});

afterEach(() => {
  vi.unstubAllGlobals();
});

const rows = resourceQueries<Row>('hosts');

// The options type also allows skipToken in place of a function; these queries always fetch.
const fetchOf = (options: { queryFn?: unknown }) => (options.queryFn as () => Promise<unknown>)();

describe('resourceQueries', () => {
  it('keys every query under the collection name, so invalidating `all` reaches pages and lookups', () => {
    const filter = { network_id: 'n1', limit: 20, offset: 40 };
    expect(rows.keys.all).toEqual(['hosts']);
    expect(rows.keys.list(filter)).toEqual(['hosts', 'list', filter]);
    expect(rows.keys.byIds(['a', 'b'])).toEqual(['hosts', 'ids', ['a', 'b']]);
    expect(rows.keys.detail('a')).toEqual(['hosts', 'detail', 'a']);
    expect(rows.detail('a').queryKey.slice(0, 1)).toEqual(rows.keys.all);
    expect(rows.list(filter).queryKey.slice(0, 1)).toEqual(rows.keys.all);
    expect(rows.byIds(['a']).queryKey.slice(0, 1)).toEqual(rows.keys.all);
  });

  it('gives a different key to every page and network filter', () => {
    const page = (network_id: string | undefined, offset: number) =>
      JSON.stringify(rows.list({ network_id, limit: 20, offset }).queryKey);
    expect(new Set([page(undefined, 0), page(undefined, 20), page('n1', 0), page('n2', 0)]).size).toBe(4);
  });

  it('fetches one page with the network filter, without polling (the event stream refreshes lists)', async () => {
    const options = rows.list({ network_id: 'n1', limit: 20, offset: 20 });
    expect(options).not.toHaveProperty('refetchInterval');
    const page = await fetchOf(options);
    expect(requested).toEqual(['/api/v1/hosts?network_id=n1&limit=20&offset=20']);
    expect(page).toEqual({ items: [{ id: 'a' }], pagination });
  });

  it('leaves the network out of the request when no network is chosen', async () => {
    await fetchOf(rows.list({ network_id: undefined, limit: 20, offset: 0 }));
    expect(requested).toEqual(['/api/v1/hosts?limit=20&offset=0']);
  });

  it('looks up just the requested ids, without polling, and not at all for none', async () => {
    const lookup = rows.byIds(['a', 'b']);
    expect(lookup.enabled).toBe(true);
    expect(lookup).not.toHaveProperty('refetchInterval');
    expect(await fetchOf(lookup)).toEqual([{ id: 'a' }]);
    expect(requested).toEqual(['/api/v1/hosts?ids=a&ids=b&limit=2']);
    expect(rows.byIds([]).enabled).toBe(false);
  });

  it('builds the CSV link from the filters on screen, without paging or ordering', () => {
    expect(
      rows.csvUrl({ network_id: 'n1', tag_ids: ['t1', 't2'], limit: 25, offset: 50, order_by: 'name' }),
    ).toBe('/api/v1/hosts/export/csv?network_id=n1&tag_ids=t1&tag_ids=t2');
  });

  it('writes through the item and bulk routes', async () => {
    await rows.bulkDelete(['a', 'b']);
    await rows.remove('a');
    expect(requested).toEqual(['/api/v1/hosts/bulk-delete', '/api/v1/hosts/a']);
  });

  it('fetches a filtered view of any collection as bare rows', async () => {
    const items = await resourceQueries<Row>('discovery').items({
      run_type: ['AdHoc', 'Scheduled'],
      limit: 5,
    });
    expect(items).toEqual([{ id: 'a' }]);
    expect(requested).toEqual(['/api/v1/discovery?run_type=AdHoc&run_type=Scheduled&limit=5']);
  });
});
