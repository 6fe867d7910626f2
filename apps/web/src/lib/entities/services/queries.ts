import { resourceQueries } from '$lib/api/queries.ts';
import type { CreateServiceRequest, Service, UpdateServiceRequest } from '$lib/api/types.ts';

export const serviceQueries = resourceQueries<Service, CreateServiceRequest, UpdateServiceRequest>(
  'services',
);
