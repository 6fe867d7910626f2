import { describe, expect, it, vi } from 'vitest';

// The real cache, from the core package: the svelte package's index also exports components this project cannot load.
vi.mock('@tanstack/svelte-query', async () => await import('@tanstack/query-core'));

const { createQueryClient, evictQueries, MAX_CACHED_QUERIES } = await import('./query-client.ts');
const { QueryObserver } = await import('@tanstack/query-core');

describe('the request cache bound', () => {
  it('keeps at most 50 queries, evicting the oldest ones no view observes, never the session', async () => {
    const client = createQueryClient();
    client.setQueryData(['auth', 'me'], null);
    const observed = new QueryObserver(client, { queryKey: ['hosts', 'list', 0], queryFn: () => 0 });
    const unsubscribe = observed.subscribe(() => undefined);
    // One page a millisecond apart, so "oldest" is well defined.
    vi.useFakeTimers({ now: 1_000_000 });
    for (let i = 1; i <= 80; i++) {
      vi.advanceTimersByTime(1);
      client.setQueryData(['hosts', 'list', i], i);
    }
    vi.useRealTimers();
    const cache = client.getQueryCache();
    // Added but not answered yet: its observer is about to subscribe.
    cache.build(client, { queryKey: ['hosts', 'detail', 'new'] });
    evictQueries(cache);
    expect(cache.find({ queryKey: ['hosts', 'detail', 'new'] })).toBeDefined();
    expect(cache.getAll().length).toBeLessThanOrEqual(MAX_CACHED_QUERIES);
    expect(MAX_CACHED_QUERIES).toBe(50);
    expect(cache.find({ queryKey: ['auth', 'me'] })).toBeDefined();
    expect(cache.find({ queryKey: ['hosts', 'list', 0] })).toBeDefined();
    // The newest pages stay, the oldest went.
    expect(cache.find({ queryKey: ['hosts', 'list', 80] })).toBeDefined();
    expect(cache.find({ queryKey: ['hosts', 'list', 1] })).toBeUndefined();
    unsubscribe();
    client.clear();
  });
});
