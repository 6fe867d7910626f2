import { queryOptions } from '@tanstack/svelte-query';
import type { MetadataResponse } from '@scanopy/contracts';
import { apiGet } from '$lib/api/client.ts';
import { resourceQueries } from '$lib/api/queries.ts';
import type { CreateServiceRequest, Service, UpdateServiceRequest } from '$lib/api/types.ts';

export const serviceQueries = resourceQueries<Service, CreateServiceRequest, UpdateServiceRequest>(
  'services',
);

/** Service categories and each definition's category, from GET /api/metadata (static for a server's lifetime). */
export const serviceCatalogQuery = () =>
  queryOptions({
    queryKey: ['metadata', 'service-catalog'] as const,
    queryFn: async () => {
      const meta = await apiGet<MetadataResponse>('/api/metadata');
      return {
        categories: meta.service_categories.map((c) => ({
          value: String(c.id),
          label: c.name ?? String(c.id),
        })),
        categoryOf: new Map(meta.service_definitions.map((d) => [d.id, d.category ?? 'Unknown'])),
        nameOf: new Map(meta.service_categories.map((c) => [c.id, c.name])),
      };
    },
    staleTime: Infinity,
  });
