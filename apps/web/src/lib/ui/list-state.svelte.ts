import type { Page } from './api/client.ts';
import { networkFilter } from './network-filter.svelte.ts';
import { clampOffset, PAGE_SIZE } from './pagination.ts';

/**
 * Paging state of one list page: the offset, and the filter that goes into the query key. Call during component
 * initialisation and hand it the query's current page so an offset past the end (rows deleted meanwhile) is pulled
 * back to the last page.
 */
export function useListPaging(current: () => Page<unknown> | undefined, limit = PAGE_SIZE) {
  let offset = $state(0);
  $effect(() => {
    const page = current();
    if (page && page.items.length === 0 && offset > 0) {
      offset = clampOffset(offset, page.pagination.total_count, limit);
    }
  });
  return {
    get filter() {
      return { network_id: networkFilter.id, limit, offset };
    },
    setOffset(next: number) {
      offset = next;
    },
    reset() {
      offset = 0;
    },
  };
}
