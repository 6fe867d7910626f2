import { queryOptions } from '@tanstack/svelte-query';
import { apiGet, apiPost, apiPut } from './client.ts';
import { queryKeys, resourceQueries } from './queries.ts';
import type {
  Discovery as DiscoveryRecord,
  DiscoveryRequest,
  DiscoveryUpdatePayload,
  RunType,
  RunTypeName,
  ScanEstimate,
  ScanEstimateRequest,
  ScanPreset,
} from './types.ts';

export type { RunType, ScanEstimate, ScanEstimateRequest, ScanPreset };

/** The presets in the order the picker shows them, gentlest first. */
export const SCAN_PRESETS: readonly ScanPreset[] = ['polite', 'normal', 'fast'];

/**
 * A discovery as the pages use it. The server's schema leaves run_type untyped (so it serializes what is stored); what
 * it stores is always a RunType.
 */
export type Discovery = Omit<DiscoveryRecord, 'run_type'> & { run_type: RunType };

export type Session = DiscoveryUpdatePayload;

const discoveries = resourceQueries<Discovery>('discovery');

/** Jobs (AdHoc and Scheduled configurations) of a network; the server filters out finished runs. */
const JOBS_LIMIT = 1000;
export const HISTORY_SHOWN = 20;

export const discoveryJobsQuery = (networkId: string | undefined) =>
  queryOptions({
    queryKey: queryKeys.discovery.jobsOf(networkId),
    queryFn: () =>
      discoveries.items({
        network_id: networkId,
        run_type: ['AdHoc', 'Scheduled'] satisfies RunTypeName[],
        order_by: 'created_at',
        order_direction: 'asc',
        limit: JOBS_LIMIT,
      }),
  });

/** The latest finished runs (Historical records). */
export const discoveryHistoryQuery = (networkId: string | undefined) =>
  queryOptions({
    queryKey: queryKeys.discovery.historyOf(networkId),
    queryFn: () =>
      discoveries.items({
        network_id: networkId,
        run_type: ['Historical'] satisfies RunTypeName[],
        order_by: 'created_at',
        order_direction: 'desc',
        limit: HISTORY_SHOWN,
      }),
  });

/** Seeds the live list; the SSE stream keeps it current afterwards. */
export const activeSessionsQuery = () =>
  queryOptions({
    queryKey: queryKeys.discovery.sessions,
    queryFn: () => apiGet<Session[]>('/api/v1/discovery/active-sessions'),
    staleTime: 5000,
  });

export const estimateQuery = (body: ScanEstimateRequest) =>
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
  } satisfies DiscoveryRequest);
}

/** Stores a new run type (on demand, or a schedule) on a discovery; PUT takes the whole writable configuration. */
export async function saveRunType(job: Discovery, runType: RunType): Promise<Discovery> {
  return apiPut<Discovery>(`/api/v1/discovery/${encodeURIComponent(job.id)}`, {
    name: job.name,
    network_id: job.network_id,
    daemon_id: job.daemon_id,
    discovery_type: job.discovery_type,
    run_type: runType,
    tags: job.tags,
  } satisfies DiscoveryRequest);
}
