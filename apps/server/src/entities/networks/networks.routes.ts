import { CreateNetworkBody, Network, UpdateNetworkBody } from '@scanopy/contracts';
import { principal, type EntityResource } from '../../http/crud.ts';
import { ok } from '../../http/envelope.ts';
import type { RouteApp } from '../../http/route-app.ts';
import { IdParams, ItemResponse, Search, UuidArray } from '../../http/schemas.ts';
import type { Services } from '../../services.ts';

export const networkResource: EntityResource = {
  name: 'Network',
  path: 'networks',
  filterSchema: { ids: UuidArray, search: Search },
  csvFile: 'Networks',
  schema: Network,
  access: { read: 'viewer', write: 'admin' },
};

export async function networkRoutes(app: RouteApp, { networks }: Services) {
  app.post(
    '/networks',
    {
      config: { access: 'admin' },
      schema: {
        operationId: 'create_network',
        tags: ['networks'],
        body: CreateNetworkBody,
        response: { 200: ItemResponse(Network) },
      },
    },
    async (req) => ok(await networks.create(principal(req), req.body)),
  );

  app.put(
    '/networks/:id',
    {
      config: { access: 'admin' },
      schema: {
        operationId: 'update_network',
        tags: ['networks'],
        params: IdParams,
        body: UpdateNetworkBody,
        response: { 200: ItemResponse(Network) },
      },
    },
    async (req) => ok(await networks.update(principal(req), req.params.id, req.body)),
  );
}
