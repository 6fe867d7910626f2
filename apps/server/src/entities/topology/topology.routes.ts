import { Topology, TopologyRequest } from '@scanopy/contracts';
import { principal, type EntityResource } from '../../http/crud.ts';
import { ok } from '../../http/envelope.ts';
import type { RouteApp } from '../../http/route-app.ts';
import { ItemResponse, Uuid, UuidArray } from '../../http/schemas.ts';
import type { Services } from '../../services.ts';

export const topologyResource: EntityResource = {
  name: 'Topology',
  path: 'topology',
  filterSchema: { network_id: Uuid, ids: UuidArray },
  csvFile: 'Topologies',
  schema: Topology,
  access: { read: 'viewer', write: 'member' },
};

/**
 * Topology storage: create only (list, get, delete and export come from registerCrud). Rebuild, refresh, locking
 * and node edits arrive with the topology builder.
 */
export async function topologyRoutes(app: RouteApp, { topologies }: Services) {
  app.post(
    '/topology',
    {
      config: { access: 'member' },
      schema: {
        operationId: 'create_topology',
        tags: ['topology'],
        body: TopologyRequest,
        response: { 200: ItemResponse(Topology) },
      },
    },
    async (req) => ok(await topologies.create(principal(req), req.body)),
  );
}
