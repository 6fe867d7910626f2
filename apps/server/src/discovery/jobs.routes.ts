import { Discovery, DiscoveryRequest, RunTypeFilter } from '@scanopy/contracts';
import { principal, type EntityResource } from '../http/crud.ts';
import { ok } from '../http/envelope.ts';
import type { RouteApp } from '../http/route-app.ts';
import { IdParams, ItemResponse, Search, Uuid, UuidArray } from '../http/schemas.ts';
import type { Services } from '../services.ts';

export const discoveryResource: EntityResource = {
  name: 'Discovery',
  path: 'discovery',
  filterSchema: {
    network_id: Uuid,
    daemon_id: Uuid,
    ids: UuidArray,
    // Repeat the key for several: ?run_type=AdHoc&run_type=Scheduled lists the jobs without the history.
    run_type: RunTypeFilter,
    search: Search,
  },
  csvFile: 'Discoveries',
  schema: Discovery,
  access: { read: 'viewer', write: 'member' },
};

/** Discovery jobs ("discovery configurations"): create and update; list, read and delete are generic. */
export async function jobRoutes(app: RouteApp, { jobs }: Services) {
  app.post(
    '/discovery',
    {
      config: { access: 'member' },
      schema: {
        operationId: 'create_discovery',
        tags: ['discovery'],
        body: DiscoveryRequest,
        response: { 200: ItemResponse(Discovery) },
      },
    },
    async (req) => ok(await jobs.create(principal(req), req.body)),
  );

  app.put(
    '/discovery/:id',
    {
      config: { access: 'member' },
      schema: {
        operationId: 'update_discovery',
        tags: ['discovery'],
        params: IdParams,
        body: DiscoveryRequest,
        response: { 200: ItemResponse(Discovery) },
      },
    },
    async (req) => ok(await jobs.update(principal(req), req.params.id, req.body)),
  );
}
