import { QueryCache, QueryClient, type Query } from '@tanstack/svelte-query';
import { ApiError } from './client.ts';
import { queryKeys } from './queries.ts';

/** At most this many cached requests; the oldest ones no view is using are evicted first (reference issue #424). */
export const MAX_CACHED_QUERIES = 50;

const isSessionQuery = (q: Query) =>
  q.queryKey[0] === queryKeys.me[0] || q.queryKey[0] === queryKeys.config[0];

/** Removes the least recently updated unobserved queries until the cache holds at most `max`. */
export function evictQueries(cache: QueryCache, max = MAX_CACHED_QUERIES): void {
  const all = cache.getAll();
  if (all.length <= max) return;
  const touched = (q: Query) => Math.max(q.state.dataUpdatedAt, q.state.errorUpdatedAt);
  // A query that has not answered yet is about to be observed (it is added before its observer): never evict it.
  const idle = all
    .filter((q) => q.getObserversCount() === 0 && !isSessionQuery(q) && touched(q) > 0)
    .sort((a, b) => touched(a) - touched(b));
  for (const q of idle.slice(0, all.length - max)) cache.remove(q);
}

/** Defaults follow the reference UI; a 401 anywhere means the session ended, so the app returns to sign-in. */
export function createQueryClient(): QueryClient {
  const queryCache: QueryCache = new QueryCache({
    onError: (err, query) => {
      if (err instanceof ApiError && err.status === 401 && query.queryKey[0] !== queryKeys.me[0]) {
        client.setQueryData(queryKeys.me, null);
      }
    },
  });
  queryCache.subscribe((event) => {
    if (event.type === 'observerRemoved' || (event.type === 'updated' && event.action.type === 'success')) {
      evictQueries(queryCache);
    }
  });
  const client: QueryClient = new QueryClient({
    queryCache,
    defaultOptions: {
      queries: {
        staleTime: 30_000,
        gcTime: 5 * 60_000,
        retry: (failures, err) =>
          !(err instanceof ApiError && err.status >= 400 && err.status < 500) && failures < 2,
        retryDelay: (attempt) => Math.min(1000 * 2 ** attempt, 30_000),
      },
      mutations: { retry: false },
    },
  });
  return client;
}

/** Signing out: the gate's own queries stay (clear() would orphan their observers); everything else goes. */
export function dropSessionCaches(client: QueryClient): void {
  client.setQueryData(queryKeys.me, null);
  client.removeQueries({ predicate: (q) => !isSessionQuery(q) });
  void client.invalidateQueries({ queryKey: queryKeys.config });
}
