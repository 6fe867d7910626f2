import { QueryCache, QueryClient } from '@tanstack/svelte-query';
import { ApiError } from './client.ts';
import { queryKeys } from './queries.ts';

/** Defaults follow the reference UI; a 401 anywhere means the session ended, so the app returns to sign-in. */
export function createQueryClient(): QueryClient {
  const client: QueryClient = new QueryClient({
    queryCache: new QueryCache({
      onError: (err, query) => {
        if (err instanceof ApiError && err.status === 401 && query.queryKey[0] !== queryKeys.me[0]) {
          client.setQueryData(queryKeys.me, null);
        }
      },
    }),
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
