import { queryOptions } from '@tanstack/svelte-query';
import { ApiError, apiGet, apiList, apiPost, type Query } from './client.ts';
import type { DaemonResponse, HostResponse, Network, PublicConfig, Subnet, User } from './types.ts';

/** One page of an entity list, optionally limited to a network. Part of every list query key. */
export interface ListFilter {
  network_id?: string;
  limit: number;
  offset: number;
}

/** Visible pages poll until the server pushes events (SSE arrives in a later issue). */
export const LIST_REFETCH_MS = 5000;

/** How long a by-id lookup is reused before it is fetched again. */
const LOOKUP_STALE_MS = 30_000;

/**
 * Query keys and query options of one collection under /api/v1. Every key starts with the collection name, so
 * invalidating `keys.all` refreshes its pages and lookups alike.
 */
export function resourceQueries<T>(resource: string) {
  const path = `/api/v1/${resource}`;
  const keys = {
    all: [resource] as const,
    list: (f: ListFilter) => [resource, 'list', f] as const,
    byIds: (ids: string[]) => [resource, 'ids', ids] as const,
  };
  return {
    keys,
    /** The rows matching `query`, without the paging metadata (for views that are not paged). */
    items: async (query: Query) => (await apiList<T>(path, query)).items,
    /** One page of the list; only the mounted route's queries run, so only the visible page polls. */
    list: (f: ListFilter) =>
      queryOptions({
        queryKey: keys.list(f),
        queryFn: () => apiList<T>(path, { ...f }),
        refetchInterval: LIST_REFETCH_MS,
      }),
    /** Lookups fetch only the rows a visible page refers to, never whole collections. */
    byIds: (ids: string[]) =>
      queryOptions({
        queryKey: keys.byIds(ids),
        queryFn: async () => (await apiList<T>(path, { ids, limit: ids.length })).items,
        enabled: ids.length > 0,
        staleTime: LOOKUP_STALE_MS,
      }),
  };
}

export const hostQueries = resourceQueries<HostResponse>('hosts');
export const subnetQueries = resourceQueries<Subnet>('subnets');
export const daemonQueries = resourceQueries<DaemonResponse>('daemons');

export const queryKeys = {
  config: ['config'] as const,
  me: ['auth', 'me'] as const,
  networks: { all: ['networks'] as const, list: () => ['networks', 'list'] as const },
  hosts: hostQueries.keys,
  subnets: subnetQueries.keys,
  daemons: daemonQueries.keys,
  discovery: {
    jobs: ['discovery', 'jobs'] as const,
    jobsOf: (networkId: string | undefined) => ['discovery', 'jobs', { network_id: networkId }] as const,
    history: ['discovery', 'history'] as const,
    historyOf: (networkId: string | undefined) =>
      ['discovery', 'history', { network_id: networkId }] as const,
    sessions: ['discovery', 'sessions'] as const,
    estimate: (body: object) => ['discovery', 'estimate', body] as const,
  },
};

export const configQuery = () =>
  queryOptions({
    queryKey: queryKeys.config,
    queryFn: () => apiGet<PublicConfig>('/api/config'),
  });

/** The signed-in user, or null when there is no valid session (a 401 is an answer here, not an error). */
export const meQuery = () =>
  queryOptions({
    queryKey: queryKeys.me,
    queryFn: async (): Promise<User | null> => {
      try {
        return await apiPost<User>('/api/auth/me');
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) return null;
        throw err;
      }
    },
    staleTime: Infinity,
  });

// Networks are few per organization; one capped page is enough for the selector.
export const networksQuery = () =>
  queryOptions({
    queryKey: queryKeys.networks.list(),
    queryFn: async () => (await apiList<Network>('/api/v1/networks', { limit: 200 })).items,
  });

/** Sorted unique ids, so the same set of ids always maps to the same lookup query key. */
export function uniqueIds(ids: Iterable<string | null | undefined>): string[] {
  return [...new Set([...ids].filter((id): id is string => !!id))].sort();
}
