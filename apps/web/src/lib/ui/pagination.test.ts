import { describe, expect, it } from 'vitest';
import { clampOffset, formatWindow, pageCount, pageWindow } from './pagination.ts';

describe('pageWindow', () => {
  it('describes the first page of a longer list', () => {
    const w = pageWindow({ total_count: 57, limit: 20, offset: 0, has_more: true }, 20);
    expect(w).toEqual({
      from: 1,
      to: 20,
      total: 57,
      hasPrev: false,
      hasNext: true,
      prevOffset: 0,
      nextOffset: 20,
    });
    expect(formatWindow(w)).toBe('1–20 of 57');
  });

  it('describes a short last page', () => {
    const w = pageWindow({ total_count: 57, limit: 20, offset: 40, has_more: false }, 17);
    expect(formatWindow(w)).toBe('41–57 of 57');
    expect(w.hasNext).toBe(false);
    expect(w.hasPrev).toBe(true);
    expect(w.prevOffset).toBe(20);
  });

  it('formats large counts with thousands separators', () => {
    const w = pageWindow({ total_count: 11619, limit: 25, offset: 1000, has_more: true }, 25);
    expect(formatWindow(w)).toBe('1,001–1,025 of 11,619');
    expect(pageCount(11619, 25)).toBe(465);
    expect(pageCount(0, 25)).toBe(1);
  });

  it('shows an empty list as 0 of 0 with no navigation', () => {
    const w = pageWindow({ total_count: 0, limit: 20, offset: 0, has_more: false }, 0);
    expect(formatWindow(w)).toBe('0 of 0');
    expect(w.hasPrev || w.hasNext).toBe(false);
  });

  it('never offers a next page when limit 0 returned everything', () => {
    const w = pageWindow({ total_count: 3, limit: 0, offset: 0, has_more: false }, 3);
    expect(w.hasNext).toBe(false);
    expect(formatWindow(w)).toBe('1–3 of 3');
  });

  it('trusts has_more even when total_count lags behind', () => {
    const w = pageWindow({ total_count: 20, limit: 20, offset: 0, has_more: true }, 20);
    expect(w.hasNext).toBe(true);
  });
});

describe('clampOffset', () => {
  it('keeps an offset inside the list', () => {
    expect(clampOffset(20, 57, 20)).toBe(20);
  });
  it('moves to the start of the last page when rows disappeared', () => {
    expect(clampOffset(60, 57, 20)).toBe(40);
    expect(clampOffset(40, 40, 20)).toBe(20);
  });
  it('returns to 0 for an empty list', () => {
    expect(clampOffset(40, 0, 20)).toBe(0);
  });
});
