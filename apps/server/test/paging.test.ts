import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { backends, resetDb, startTestServer, type TestServer } from './harness.ts';
import { routeTable } from './fixtures/routes.ts';
import { buildOrg, call, createDaemon, type Actor, type Org } from './fixtures/world.ts';
import { sqlRows } from './sql.ts';

interface Page<T = { id: string; name: string }> {
  data: T[];
  meta: { pagination: { total_count: number; limit: number; offset: number; has_more: boolean } };
}

const HOSTS = 120;

describe.each(backends)('paging, filters and bulk delete on %s', (backend) => {
  let s: TestServer;
  let A: Org;
  let owner: Actor;
  beforeAll(async () => {
    s = await startTestServer(backend);
  });
  afterAll(async () => s?.close());
  beforeEach(async () => {
    await resetDb(s.db);
    A = await buildOrg(s.app, s.db, 'A');
    owner = A.sessions.Owner!;
  });

  /** host-000 … host-119, created newest-first so creation order and name order disagree. */
  async function seedHosts(networkId = A.networkId, count = HOSTS, prefix = 'host') {
    await sqlRows(
      s.db,
      `INSERT INTO hosts (id, network_id, name, source, created_at, updated_at)
       SELECT gen_random_uuid(), $1, $2 || '-' || lpad(i::text, 3, '0'), '{"type":"Manual"}',
              now() - make_interval(secs => i), now()
       FROM generate_series(0, $3::int - 1) AS i`,
      [networkId, prefix, count],
    );
  }

  async function page(url: string, actor = owner): Promise<Page> {
    const res = await call(s.app, actor, 'GET', url);
    if (res.statusCode !== 200) throw new Error(`GET ${url} → ${res.statusCode} ${res.body}`);
    return res.json();
  }
  const names = (p: Page) => p.data.map((h) => h.name);

  it('pages with limit 50 by default, caps at 1000, and treats limit=0 as everything', async () => {
    await seedHosts();
    const first = await page('/api/v1/hosts');
    expect(first.data).toHaveLength(50);
    expect(first.meta.pagination).toEqual({ total_count: HOSTS, limit: 50, offset: 0, has_more: true });
    // Default order is creation time, oldest first.
    expect(first.data[0].name).toBe('host-119');

    const capped = await page('/api/v1/hosts?limit=5000');
    expect(capped.data).toHaveLength(HOSTS);
    expect(capped.meta.pagination).toEqual({ total_count: HOSTS, limit: 1000, offset: 0, has_more: false });

    const all = await page('/api/v1/hosts?limit=0');
    expect(all.data).toHaveLength(HOSTS);
    expect(all.meta.pagination.limit).toBe(0);
    // Deliberate divergence from the reference, which reports has_more=true here (envelope.ts).
    expect(all.meta.pagination.has_more).toBe(false);
  });

  it('walks offsets without gaps or repeats and reports has_more exactly', async () => {
    await seedHosts();
    const seen: string[] = [];
    for (let offset = 0; offset < HOSTS; offset += 50) {
      const p = await page(`/api/v1/hosts?limit=50&offset=${offset}`);
      expect(p.meta.pagination).toEqual({
        total_count: HOSTS,
        limit: 50,
        offset,
        has_more: offset + 50 < HOSTS,
      });
      seen.push(...p.data.map((h) => h.id));
    }
    expect(seen).toHaveLength(HOSTS);
    expect(new Set(seen).size).toBe(HOSTS);
    const last = await page('/api/v1/hosts?limit=50&offset=100');
    expect(last.data).toHaveLength(20);
    const beyond = await page('/api/v1/hosts?offset=500');
    expect(beyond.data).toEqual([]);
    expect(beyond.meta.pagination.total_count).toBe(HOSTS);
    // limit=0 with an offset skips that many and returns the rest.
    expect((await page('/api/v1/hosts?limit=0&offset=110')).data).toHaveLength(10);
  });

  it('orders by name in both directions and rejects unknown order fields and bad paging values', async () => {
    await seedHosts();
    const expected = Array.from({ length: HOSTS }, (_, i) => `host-${String(i).padStart(3, '0')}`);
    expect(names(await page('/api/v1/hosts?limit=0&order_by=name'))).toEqual(expected);
    expect(names(await page('/api/v1/hosts?limit=0&order_by=name&order_direction=asc'))).toEqual(expected);
    expect(names(await page('/api/v1/hosts?limit=0&order_by=name&order_direction=desc'))).toEqual(
      [...expected].reverse(),
    );
    expect(names(await page('/api/v1/hosts?limit=3&offset=3&order_by=name&order_direction=desc'))).toEqual([
      'host-116',
      'host-115',
      'host-114',
    ]);
    for (const q of [
      'order_by=password',
      'order_direction=sideways',
      'limit=-1',
      'limit=abc',
      'offset=-5',
      'limit=1.5',
    ]) {
      const r = await call(s.app, owner, 'GET', `/api/v1/hosts?${q}`);
      expect(r.statusCode, q).toBe(400);
      expect(r.json()).toMatchObject({ success: false, code: 'validation_failed' });
    }
  });

  it('filters by network_id, ids (repeated or single) and tag_ids', async () => {
    await seedHosts(A.networkId, 10);
    const other = await A.seed.network();
    await seedHosts(other, 3, 'other');
    const onOther = await page(`/api/v1/hosts?network_id=${other}`);
    expect(names(onOther).sort()).toEqual(['other-000', 'other-001', 'other-002']);
    expect(onOther.meta.pagination.total_count).toBe(3);
    expect((await page(`/api/v1/hosts?network_id=${A.networkId}`)).meta.pagination.total_count).toBe(10);

    const [a, b, c] = onOther.data.map((h) => h.id);
    const two = await page(`/api/v1/hosts?ids=${a}&ids=${b}`);
    expect(two.data.map((h) => h.id).sort()).toEqual([a, b].sort());
    expect(two.meta.pagination.total_count).toBe(2);
    expect((await page(`/api/v1/hosts?ids=${c}`)).data.map((h) => h.id)).toEqual([c]);
    expect((await page(`/api/v1/hosts?ids=${randomUUID()}`)).data).toEqual([]);
    expect((await call(s.app, owner, 'GET', '/api/v1/hosts?ids=nope')).statusCode).toBe(400);

    const [t1, t2] = [await A.seed.tag(), await A.seed.tag()];
    for (const [host, tag] of [
      [a, t1],
      [b, t1],
      [c, t2],
    ]) {
      await sqlRows(
        s.db,
        `INSERT INTO entity_tags (entity_id, entity_type, tag_id) VALUES ($1, 'Host', $2)`,
        [host, tag],
      );
    }
    expect((await page(`/api/v1/hosts?tag_ids=${t1}`)).data.map((h) => h.id).sort()).toEqual([a, b].sort());
    // Several tags match hosts carrying any of them.
    expect((await page(`/api/v1/hosts?tag_ids=${t1}&tag_ids=${t2}`)).meta.pagination.total_count).toBe(3);
    const tagged = await page(`/api/v1/hosts?ids=${a}`);
    expect((tagged.data[0] as unknown as { tags: string[] }).tags).toEqual([t1]);
    // Filters combine with AND.
    expect((await page(`/api/v1/hosts?tag_ids=${t1}&ids=${c}`)).data).toEqual([]);
  });

  it('filters interfaces, ports and services by host_id', async () => {
    const [x, y] = [await A.seed.host(), await A.seed.host()];
    for (let i = 0; i < 2; i++) await A.seed.iface(x);
    await A.seed.iface(y);
    for (let i = 0; i < 3; i++) await A.seed.port(x);
    await A.seed.port(y);
    await A.seed.service(x);
    for (let i = 0; i < 2; i++) await A.seed.service(y);
    const counts: Record<string, [number, number]> = { interfaces: [2, 1], ports: [3, 1], services: [1, 2] };
    for (const [kind, [nx, ny]] of Object.entries(counts)) {
      const px = await page(`/api/v1/${kind}?host_id=${x}`);
      expect(px.meta.pagination.total_count, kind).toBe(nx);
      expect(px.data.every((r) => (r as unknown as { host_id: string }).host_id === x)).toBe(true);
      expect((await page(`/api/v1/${kind}?host_id=${y}`)).data, kind).toHaveLength(ny);
      expect((await page(`/api/v1/${kind}`)).meta.pagination.total_count, kind).toBe(nx + ny);
      expect((await page(`/api/v1/${kind}?host_id=${randomUUID()}`)).data, kind).toEqual([]);
    }
  });

  it('bulk-deletes visible ids, skips unknown and foreign ones, and refuses an empty list', async () => {
    const B = await buildOrg(s.app, s.db, 'B');
    const [h1, h2, h3] = [await A.seed.host(), await A.seed.host(), await A.seed.host()];
    const foreign = await B.seed.host();
    const res = await call(s.app, owner, 'POST', '/api/v1/hosts/bulk-delete', [
      h1,
      h2,
      randomUUID(),
      foreign,
    ]);
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toEqual({ deleted_count: 2, requested_count: 4 });
    expect(await A.seed.exists('hosts', h1)).toBe(false);
    expect(await A.seed.exists('hosts', h2)).toBe(false);
    expect(await A.seed.exists('hosts', h3)).toBe(true);
    expect(await B.seed.exists('hosts', foreign)).toBe(true);

    // Every bulk-delete route refuses an empty list the same way.
    const bulk = routeTable(s.app).filter((r) => r.operationId.startsWith('bulk_delete_'));
    expect(bulk.length).toBeGreaterThanOrEqual(11);
    for (const r of bulk) {
      const empty = await call(s.app, owner, 'POST', r.path, []);
      expect(empty.statusCode, r.path).toBe(400);
      expect(empty.json(), r.path).toMatchObject({ success: false, code: 'validation_bulk_empty' });
    }
  });

  it('refuses to bulk-delete hosts a daemon runs on, deleting none of the batch', async () => {
    const d = await createDaemon(s.app, owner, A.networkId);
    const plain = await A.seed.host();
    const res = await call(s.app, owner, 'POST', '/api/v1/hosts/bulk-delete', [plain, d.hostId]);
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ success: false, code: 'entity_in_use' });
    expect(await A.seed.exists('hosts', plain)).toBe(true);
    expect(await A.seed.exists('hosts', d.hostId)).toBe(true);
    const single = await call(s.app, owner, 'DELETE', `/api/v1/hosts/${d.hostId}`);
    expect(single.statusCode).toBe(409);
  });

  it('answers the unversioned aliases exactly like /api/v1', async () => {
    await seedHosts(A.networkId, 12);
    const hostId = await A.seed.host();
    await A.seed.service(hostId);
    await A.seed.subnet();
    const queries = [
      '',
      '?limit=5&offset=2',
      '?order_by=name&order_direction=desc',
      `?network_id=${A.networkId}&limit=0`,
    ];
    for (const kind of ['hosts', 'subnets', 'services']) {
      for (const q of queries) {
        const v1 = await call(s.app, owner, 'GET', `/api/v1/${kind}${q}`);
        const legacy = await call(s.app, owner, 'GET', `/api/${kind}${q}`);
        expect(legacy.statusCode, `${kind}${q}`).toBe(v1.statusCode);
        expect(legacy.json(), `${kind}${q}`).toEqual(v1.json());
      }
    }
    const one = await call(s.app, owner, 'GET', `/api/hosts/${hostId}`);
    expect(one.json()).toEqual((await call(s.app, owner, 'GET', `/api/v1/hosts/${hostId}`)).json());
    expect(
      (await call(s.app, { label: 'anon', kind: 'anon', headers: {} }, 'GET', '/api/hosts')).statusCode,
    ).toBe(401);
  });
});
