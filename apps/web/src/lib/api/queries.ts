import { queryOptions } from '@tanstack/svelte-query';
import { ApiError, apiGet, apiList, apiPost } from './client.ts';
import type { DaemonResponse, HostResponse, Network, PublicConfigResponse, Subnet, User } from './types.ts';

/** One page of an entity list, optionally limited to a network. Part of every list query key. */
export interface ListFilter {
  network_id?: string;
  limit: number;
  offset: number;
}

/** Visible pages poll until the server pushes events (SSE arrives in a later issue). */
export const LIST_REFETCH_MS = 5000;

export const queryKeys = {
  config: ['config'] as const,
  me: ['auth', 'me'] as const,
  networks: { all: ['networks'] as const, list: () => ['networks', 'list'] as const },
  hosts: {
    all: ['hosts'] as const,
    list: (f: ListFilter) => ['hosts', 'list', f] as const,
    byIds: (ids: string[]) => ['hosts', 'ids', ids] as const,
  },
  subnets: {
    all: ['subnets'] as const,
    list: (f: ListFilter) => ['subnets', 'list', f] as const,
    byIds: (ids: string[]) => ['subnets', 'ids', ids] as const,
  },
  daemons: {
    all: ['daemons'] as const,
    list: (f: ListFilter) => ['daemons', 'list', f] as const,
    byIds: (ids: string[]) => ['daemons', 'ids', ids] as const,
  },
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
    queryFn: () => apiGet<PublicConfigResponse>('/api/config'),
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

export const hostsQuery = (f: ListFilter) =>
  queryOptions({
    queryKey: queryKeys.hosts.list(f),
    queryFn: () => apiList<HostResponse>('/api/v1/hosts', { ...f }),
    refetchInterval: LIST_REFETCH_MS,
  });

export const subnetsQuery = (f: ListFilter) =>
  queryOptions({
    queryKey: queryKeys.subnets.list(f),
    queryFn: () => apiList<Subnet>('/api/v1/subnets', { ...f }),
    refetchInterval: LIST_REFETCH_MS,
  });

export const daemonsQuery = (f: ListFilter) =>
  queryOptions({
    queryKey: queryKeys.daemons.list(f),
    queryFn: () => apiList<DaemonResponse>('/api/v1/daemons', { ...f }),
    refetchInterval: LIST_REFETCH_MS,
  });

/** Lookups fetch only the rows a visible page refers to, never whole collections. */
export const subnetsByIdsQuery = (ids: string[]) =>
  queryOptions({
    queryKey: queryKeys.subnets.byIds(ids),
    queryFn: async () => (await apiList<Subnet>('/api/v1/subnets', { ids, limit: ids.length })).items,
    enabled: ids.length > 0,
    staleTime: 30_000,
  });

export const hostsByIdsQuery = (ids: string[]) =>
  queryOptions({
    queryKey: queryKeys.hosts.byIds(ids),
    queryFn: async () => (await apiList<HostResponse>('/api/v1/hosts', { ids, limit: ids.length })).items,
    enabled: ids.length > 0,
    staleTime: 30_000,
  });

export const daemonsByIdsQuery = (ids: string[]) =>
  queryOptions({
    queryKey: queryKeys.daemons.byIds(ids),
    queryFn: async () => (await apiList<DaemonResponse>('/api/v1/daemons', { ids, limit: ids.length })).items,
    enabled: ids.length > 0,
    staleTime: 30_000,
  });

/** Sorted unique ids, so the same set of ids always maps to the same lookup query key. */
export function uniqueIds(ids: Iterable<string | null | undefined>): string[] {
  return [...new Set([...ids].filter((id): id is string => !!id))].sort();
}
