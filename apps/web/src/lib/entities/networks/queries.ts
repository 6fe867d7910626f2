import { queryOptions } from '@tanstack/svelte-query';
import { apiGet } from '$lib/api/client.ts';
import { resourceQueries } from '$lib/api/queries.ts';
import type { Network } from '$lib/api/types.ts';
import type { CreateNetworkBody, DashboardSummary } from '@scanopy/contracts';

export const networkQueries = resourceQueries<Network, CreateNetworkBody>('networks');

/** Per-network counts and the daemons, in one request (the dashboard summary) instead of a query per row. */
export const networksOverviewQuery = () =>
  queryOptions({
    queryKey: ['networks-overview'] as const,
    queryFn: () => apiGet<DashboardSummary>('/api/v1/dashboard/summary'),
  });
