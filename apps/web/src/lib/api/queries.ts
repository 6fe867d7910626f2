import { queryOptions, type QueryClient } from '@tanstack/svelte-query';
import { ApiError, apiDelete, apiGet, apiList, apiPost, apiPut, apiUrl, type Query } from './client.ts';
import type {
  CreateHostRequest,
  CreateSubnetBody,
  DaemonResponse,
  HostResponse,
  Network,
  PublicConfig,
  Subnet,
  UpdateHostRequest,
  UpdateSubnetBody,
  User,
} from './types.ts';

/**
 * One page of an entity list: paging, ordering, the network and any per-entity filter. Part of every list query key,
 * so each page, sort and filter is its own cache entry.
 */
export interface ListFilter {
  network_id?: string;
  limit: number;
  offset: number;
  order_by?: string;
  order_direction?: 'asc' | 'desc';
  [filter: string]: string | number | boolean | string[] | undefined;
}

/** How long a by-id lookup is reused before it is fetched again. */
const LOOKUP_STALE_MS = 30_000;

/**
 * Query keys, query options and writes of one collection under /api/v1. Every key starts with the collection name,
 * so invalidating `keys.all` refreshes its pages, details and lookups alike. Lists do not poll: the event stream
 * (lib/realtime) marks them stale and refetches the visible ones.
 */
export function resourceQueries<T extends { id: string }, C = Partial<T>, U = C>(resource: string) {
  const path = `/api/v1/${resource}`;
  const itemPath = (id: string) => `${path}/${encodeURIComponent(id)}`;
  const keys = {
    all: [resource] as const,
    list: (f: ListFilter) => [resource, 'list', f] as const,
    detail: (id: string) => [resource, 'detail', id] as const,
    byIds: (ids: string[]) => [resource, 'ids', ids] as const,
  };
  return {
    resource,
    keys,
    /** The rows matching `query`, without the paging metadata (for views that are not paged). */
    items: async (query: Query) => (await apiList<T>(path, query)).items,
    /** One page of the list; only the mounted route's queries run. */
    list: (f: ListFilter) =>
      queryOptions({
        queryKey: keys.list(f),
        queryFn: () => apiList<T>(path, { ...f }),
      }),
    detail: (id: string) =>
      queryOptions({
        queryKey: keys.detail(id),
        queryFn: () => apiGet<T>(itemPath(id)),
      }),
    /** Lookups fetch only the rows a visible page refers to, never whole collections. */
    byIds: (ids: string[]) =>
      queryOptions({
        queryKey: keys.byIds(ids),
        queryFn: async () => (await apiList<T>(path, { ids, limit: ids.length })).items,
        enabled: ids.length > 0,
        staleTime: LOOKUP_STALE_MS,
      }),
    /** GET /<resource>/export/csv with the list's filters (paging and ordering left out: the file has every row). */
    csvUrl: (f: Omit<ListFilter, 'limit' | 'offset'> | ListFilter) => {
      const rest: Query = {};
      for (const [k, v] of Object.entries(f)) {
        if (!['limit', 'offset', 'order_by', 'order_direction'].includes(k)) rest[k] = v;
      }
      return apiUrl(`${path}/export/csv`, rest);
    },
    create: (body: C) => apiPost<T>(path, body),
    update: (id: string, body: U) => apiPut<T>(itemPath(id), body),
    remove: (id: string) => apiDelete(itemPath(id)),
    bulkDelete: (ids: string[]) =>
      apiPost<{ deleted_count: number; requested_count: number }>(`${path}/bulk-delete`, ids),
    /** After a write: every page, detail and lookup of the collection is stale; visible ones refetch. */
    invalidate: (client: QueryClient) => client.invalidateQueries({ queryKey: keys.all }),
  };
}

export type ResourceQueries<T extends { id: string }, C = Partial<T>, U = C> = ReturnType<
  typeof resourceQueries<T, C, U>
>;

export const hostQueries = resourceQueries<HostResponse, CreateHostRequest, UpdateHostRequest>('hosts');
export const subnetQueries = resourceQueries<Subnet, CreateSubnetBody, UpdateSubnetBody>('subnets');
export const daemonQueries = resourceQueries<DaemonResponse>('daemons');

export const queryKeys = {
  config: ['config'] as const,
  me: ['auth', 'me'] as const,
  networks: { all: ['networks'] as const, list: () => ['networks', 'all-names'] as const },
  hosts: hostQueries.keys,
  subnets: subnetQueries.keys,
  daemons: daemonQueries.keys,
  discovery: {
    all: ['discovery'] as const,
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

// Networks are few per organization; one capped page is enough for the selector and the pickers.
export const networksQuery = () =>
  queryOptions({
    queryKey: queryKeys.networks.list(),
    queryFn: async () => (await apiList<Network>('/api/v1/networks', { limit: 200 })).items,
  });

/** Sorted unique ids, so the same set of ids always maps to the same lookup query key. */
export function uniqueIds(ids: Iterable<string | null | undefined>): string[] {
  return [...new Set([...ids].filter((id): id is string => !!id))].sort();
}

/** Whether the user may change things (Viewer is read-only; the server enforces it either way). */
export function canWrite(user: User | null | undefined): boolean {
  return !!user && user.permissions !== 'Viewer';
}
