import { queryOptions } from '@tanstack/svelte-query';
import type { DashboardSummary } from '@scanopy/contracts';
import { apiGet } from '$lib/api/client.ts';
import type { Discovery } from '$lib/api/discovery.ts';

/** The home page's summary; its key root `dashboard` is refreshed by host, service, subnet, daemon and discovery events. */
export const dashboardQuery = () =>
  queryOptions({
    queryKey: ['dashboard', 'summary'] as const,
    queryFn: async () => {
      const s = await apiGet<DashboardSummary>('/api/v1/dashboard/summary');
      return { ...s, recent_discoveries: s.recent_discoveries as unknown as Discovery[] };
    },
  });
