import type { PaginationMeta } from '$lib/api/types.ts';

/** Default page size of every list, and the sizes the picker offers. */
export const PAGE_SIZE = 25;
export const PAGE_SIZES: readonly number[] = [25, 50, 100];

export interface PageWindow {
  /** 1-based index of the first row shown; 0 when nothing is shown. */
  from: number;
  /** 1-based index of the last row shown. */
  to: number;
  total: number;
  hasPrev: boolean;
  hasNext: boolean;
  prevOffset: number;
  nextOffset: number;
}

/** Where the visible rows sit in the whole list, from the envelope's pagination and the rows received. */
export function pageWindow(p: PaginationMeta, shown: number): PageWindow {
  const from = shown === 0 ? 0 : p.offset + 1;
  const to = p.offset + shown;
  // limit 0 means "everything": there is never a next page then.
  const hasNext = p.limit > 0 && (p.has_more || to < p.total_count);
  return {
    from,
    to,
    total: p.total_count,
    hasPrev: p.offset > 0,
    hasNext,
    prevOffset: Math.max(0, p.offset - (p.limit || p.offset)),
    nextOffset: p.offset + (p.limit || shown),
  };
}

const n = (v: number) => v.toLocaleString('en-US');

/** "1–25 of 11,619", or "0 of 0" for an empty list. */
export function formatWindow(w: PageWindow): string {
  if (w.from === 0) return `0 of ${n(w.total)}`;
  return `${n(w.from)}–${n(w.to)} of ${n(w.total)}`;
}

/** The number of pages of a list (at least 1). */
export function pageCount(total: number, size: number): number {
  return Math.max(1, Math.ceil(total / Math.max(1, size)));
}

/**
 * The offset to show when the current one points past the end (rows were deleted while a later page was open):
 * the start of the last page, or 0 for an empty list.
 */
export function clampOffset(offset: number, total: number, limit: number): number {
  if (offset < total || offset === 0) return offset;
  if (total === 0 || limit <= 0) return 0;
  return Math.floor((total - 1) / limit) * limit;
}
