import { CreateHostRequest, HostResponse, UpdateHostRequest } from '@scanopy/contracts';
import { principal, type EntityResource } from '../../http/crud.ts';
import { ok } from '../../http/envelope.ts';
import type { RouteApp } from '../../http/route-app.ts';
import { Type } from 'typebox';
import { IdParams, ItemResponse, Search, Uuid, UuidArray } from '../../http/schemas.ts';
import type { Services } from '../../services.ts';

export const hostResource: EntityResource = {
  name: 'Host',
  path: 'hosts',
  filterSchema: {
    network_id: Uuid,
    ids: UuidArray,
    tag_ids: UuidArray,
    hidden: Type.Boolean(),
    virtualized: Type.Boolean(),
    search: Search,
  },
  csvFile: 'Hosts',
  schema: HostResponse,
  access: { read: 'viewer', write: 'member' },
};

export async function hostRoutes(app: RouteApp, { hosts }: Services) {
  app.post(
    '/hosts',
    {
      // The reference lets daemons create hosts here too; the source is Manual either way.
      config: { access: 'member_or_daemon' },
      schema: {
        operationId: 'create_host',
        tags: ['hosts'],
        body: CreateHostRequest,
        response: { 200: ItemResponse(HostResponse) },
      },
    },
    async (req) => ok(await hosts.create(principal(req), req.body)),
  );

  app.put(
    '/hosts/:id',
    {
      config: { access: 'member' },
      schema: {
        operationId: 'update_host',
        tags: ['hosts'],
        params: IdParams,
        body: UpdateHostRequest,
        response: { 200: ItemResponse(HostResponse) },
      },
    },
    async (req) => ok(await hosts.update(principal(req), req.params.id, req.body)),
  );
}
