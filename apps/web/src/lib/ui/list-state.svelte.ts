import { goto } from '$app/navigation';
import { page } from '$app/state';
import type { ListFilter } from '$lib/api/queries.ts';
import { networkFilter } from '$lib/api/network-filter.svelte.ts';
import { withParams } from './href.ts';
import { PAGE_SIZE, PAGE_SIZES } from './pagination.ts';

export interface ListStateOptions {
  /** Query-string filters the list understands (each becomes a URL parameter of the same name). */
  filterKeys?: readonly string[];
  /** Order when the URL names none. */
  defaultSort?: { by: string; direction: 'asc' | 'desc' };
  /** Whether the network selector applies (lists of organization-wide rows such as tags say false). */
  byNetwork?: boolean;
  /** Fixed filters that are not in the URL (e.g. the host of a host page's services). */
  fixed?: () => Record<string, string | undefined>;
}

/**
 * The state of one list — page, page size, sort, search and filters — kept in the URL, so a reload, a shared link or
 * Back shows the same rows. Call during component initialisation.
 */
export function useListState(options: ListStateOptions = {}) {
  const keys = options.filterKeys ?? [];
  const params = $derived(page.url.searchParams);

  const pageNo = $derived(Math.max(1, Number.parseInt(params.get('page') ?? '1', 10) || 1));
  const size = $derived.by(() => {
    const n = Number.parseInt(params.get('size') ?? '', 10);
    return PAGE_SIZES.includes(n) ? n : PAGE_SIZE;
  });
  const sortBy = $derived(params.get('sort') ?? options.defaultSort?.by);
  const direction = $derived<'asc' | 'desc'>(
    params.get('dir') === 'desc' || (!params.get('sort') && options.defaultSort?.direction === 'desc')
      ? 'desc'
      : 'asc',
  );
  const search = $derived(params.get('q') ?? '');
  const filters = $derived(Object.fromEntries(keys.map((k) => [k, params.getAll(k)])));

  function update(change: (p: URLSearchParams) => void, replace = false) {
    return goto(withParams(page.url, change), { keepFocus: true, noScroll: true, replaceState: replace });
  }

  return {
    get page() {
      return pageNo;
    },
    get size() {
      return size;
    },
    get sortBy() {
      return sortBy;
    },
    get direction() {
      return direction;
    },
    get search() {
      return search;
    },
    get filters(): Record<string, string[]> {
      return filters;
    },
    /** The filter that goes into the query key and the request. */
    get filter(): ListFilter {
      const f: ListFilter = { limit: size, offset: (pageNo - 1) * size };
      if (options.byNetwork !== false && networkFilter.id) f.network_id = networkFilter.id;
      if (sortBy) {
        f.order_by = sortBy;
        f.order_direction = direction;
      }
      if (search) f.search = search;
      for (const k of keys) {
        const v = filters[k];
        if (v && v.length) f[k] = v.length === 1 && !k.endsWith('_ids') ? v[0] : v;
      }
      for (const [k, v] of Object.entries(options.fixed?.() ?? {})) if (v !== undefined) f[k] = v;
      return f;
    },
    setPage(n: number) {
      return update((p) => (n <= 1 ? p.delete('page') : p.set('page', String(n))));
    },
    setSize(n: number) {
      return update((p) => {
        p.delete('page');
        if (n === PAGE_SIZE) p.delete('size');
        else p.set('size', String(n));
      });
    },
    /** A click on a sortable header: first ascending, then descending. */
    toggleSort(field: string) {
      return update((p) => {
        const dir = sortBy === field && direction === 'asc' ? 'desc' : 'asc';
        p.set('sort', field);
        p.set('dir', dir);
        p.delete('page');
      });
    },
    setSearch(q: string) {
      return update((p) => {
        if (q) p.set('q', q);
        else p.delete('q');
        p.delete('page');
      }, true);
    },
    setFilter(key: string, values: string[]) {
      return update((p) => {
        p.delete(key);
        for (const v of values) p.append(key, v);
        p.delete('page');
      });
    },
    clearFilters() {
      return update((p) => {
        for (const k of [...keys, 'q', 'page']) p.delete(k);
      });
    },
    get filtered(): boolean {
      return !!search || keys.some((k) => (filters[k]?.length ?? 0) > 0);
    },
  };
}

export type ListState = ReturnType<typeof useListState>;
