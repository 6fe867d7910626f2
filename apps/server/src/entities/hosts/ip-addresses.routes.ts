import { CreateIPAddressRequest, IPAddress, UpdateIPAddressRequest } from '@scanopy/contracts';
import { principal, type EntityResource } from '../../http/crud.ts';
import { ok } from '../../http/envelope.ts';
import type { RouteApp } from '../../http/route-app.ts';
import { IdParams, ItemResponse, Uuid, UuidArray } from '../../http/schemas.ts';
import type { Services } from '../../services.ts';

/**
 * v0.17 IP addresses: the v0.14 `Interface` (an IP on a host) under its new name and path, over the same rows and the
 * same rules as /api/v1/interfaces (which stays, for v0.14 clients). Access is the interfaces' (read Viewer, write
 * Member).
 */
export const ipAddressResource: EntityResource = {
  name: 'IP address',
  path: 'ip-addresses',
  filterSchema: { network_id: Uuid, host_id: Uuid, subnet_id: Uuid, ids: UuidArray },
  csvFile: 'IP Addresses',
  schema: IPAddress,
  access: { read: 'viewer', write: 'member' },
};

/** Create and update; list, read, delete, bulk delete and CSV export are the generic ones (routes.ts). */
export async function ipAddressRoutes(app: RouteApp, { hostChildren }: Services) {
  app.post(
    '/ip-addresses',
    {
      config: { access: 'member' },
      schema: {
        operationId: 'create_ip_address',
        tags: ['ip-addresses'],
        body: CreateIPAddressRequest,
        response: { 200: ItemResponse(IPAddress) },
      },
    },
    async (req) => ok(await hostChildren.createInterface(principal(req), req.body)),
  );
  app.put(
    '/ip-addresses/:id',
    {
      config: { access: 'member' },
      schema: {
        operationId: 'update_ip_address',
        tags: ['ip-addresses'],
        params: IdParams,
        body: UpdateIPAddressRequest,
        response: { 200: ItemResponse(IPAddress) },
      },
    },
    async (req) => ok(await hostChildren.updateInterface(principal(req), req.params.id, req.body)),
  );
}
