import { queryOptions } from '@tanstack/svelte-query';
import { apiGet, apiList, apiPost, apiPut } from './client.ts';
import { LIST_REFETCH_MS, queryKeys } from './queries.ts';
import type { DiscoveryType, DiscoveryUpdatePayload } from './types.ts';

export type ScanPreset = 'polite' | 'normal' | 'fast';
export const SCAN_PRESETS: readonly ScanPreset[] = ['polite', 'normal', 'fast'];

/** How a discovery runs. Historical records are written by the server when a session ends and hold its payload. */
export type RunType =
  | { type: 'AdHoc'; last_run?: string | null }
  | {
      type: 'Scheduled';
      cron_schedule: string;
      enabled: boolean;
      last_run?: string | null;
      timezone?: string | null;
    }
  | { type: 'Historical'; results: unknown };

/** GET /api/v1/discovery row (the server's Discovery schema; run_type is untyped there). */
export interface Discovery {
  id: string;
  name: string;
  network_id: string;
  daemon_id: string;
  discovery_type: DiscoveryType;
  run_type: RunType;
  tags: string[];
  created_at: string;
  updated_at: string;
}

export type Session = DiscoveryUpdatePayload;

/** POST /api/v1/discovery/estimate answer (apps/server/src/discovery/estimate.routes.ts). */
export interface ScanEstimate {
  preset: string;
  subnets: string[];
  hosts: number;
  ports_per_host: number;
  probes: number;
  max_attempts: number;
  parallel_hosts: number;
  per_host_pps: number;
  total_pps: number;
  duration_s: number;
  per_host_duration_s: number;
  filtered_ports_per_s: number;
  silent_host_s: number;
}

export interface EstimateRequest {
  network_id: string;
  subnet_ids: string[] | null;
  daemon_id: string;
  scan_preset: ScanPreset;
  ports: string | null;
}

/** Jobs (AdHoc and Scheduled configurations) of a network; the server filters out finished runs. */
const JOBS_LIMIT = 1000;
export const HISTORY_SHOWN = 20;

export const discoveryJobsQuery = (networkId: string | undefined) =>
  queryOptions({
    queryKey: queryKeys.discovery.jobsOf(networkId),
    queryFn: async () =>
      (
        await apiList<Discovery>('/api/v1/discovery', {
          network_id: networkId,
          run_type: ['AdHoc', 'Scheduled'],
          order_by: 'created_at',
          order_direction: 'asc',
          limit: JOBS_LIMIT,
        })
      ).items,
    // Jobs also appear without any session event (a daemon registering, a teammate's edit): poll like other lists.
    refetchInterval: LIST_REFETCH_MS,
  });

/** The latest finished runs (Historical records). */
export const discoveryHistoryQuery = (networkId: string | undefined) =>
  queryOptions({
    queryKey: queryKeys.discovery.historyOf(networkId),
    queryFn: async () =>
      (
        await apiList<Discovery>('/api/v1/discovery', {
          network_id: networkId,
          run_type: ['Historical'],
          order_by: 'created_at',
          order_direction: 'desc',
          limit: HISTORY_SHOWN,
        })
      ).items,
  });

/** Seeds the live list; the SSE stream keeps it current afterwards. */
export const activeSessionsQuery = () =>
  queryOptions({
    queryKey: queryKeys.discovery.sessions,
    queryFn: () => apiGet<Session[]>('/api/v1/discovery/active-sessions'),
    staleTime: 5000,
  });

export const estimateQuery = (body: EstimateRequest) =>
  queryOptions({
    queryKey: queryKeys.discovery.estimate(body),
    queryFn: () => apiPost<ScanEstimate>('/api/v1/discovery/estimate', body),
    staleTime: 30_000,
  });

export const startSession = (discoveryId: string) =>
  apiPost<Session>('/api/v1/discovery/start-session', discoveryId);

export const cancelSession = (sessionId: string) =>
  apiPost<null>(`/api/v1/discovery/${encodeURIComponent(sessionId)}/cancel`);

/** Stores a new pacing preset on a Network discovery (PUT takes the whole writable configuration). */
export async function savePreset(job: Discovery, preset: ScanPreset): Promise<Discovery> {
  if (job.discovery_type.type !== 'Network') return job;
  if (job.run_type.type === 'Historical') return job;
  return apiPut<Discovery>(`/api/v1/discovery/${encodeURIComponent(job.id)}`, {
    name: job.name,
    network_id: job.network_id,
    daemon_id: job.daemon_id,
    discovery_type: { ...job.discovery_type, scan_preset: preset },
    run_type: job.run_type,
    tags: job.tags,
  });
}
