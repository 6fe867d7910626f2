import { Group, GroupRequest } from '@scanopy/contracts';
import { principal, type EntityResource } from '../../http/crud.ts';
import { ok } from '../../http/envelope.ts';
import type { RouteApp } from '../../http/route-app.ts';
import { IdParams, ItemResponse, Search, Uuid, UuidArray } from '../../http/schemas.ts';
import type { Services } from '../../services.ts';

export const groupResource: EntityResource = {
  name: 'Group',
  path: 'groups',
  filterSchema: { network_id: Uuid, ids: UuidArray, tag_ids: UuidArray, search: Search },
  csvFile: 'Groups',
  schema: Group,
  access: { read: 'viewer', write: 'member' },
};

export async function groupRoutes(app: RouteApp, { groups }: Services) {
  app.post(
    '/groups',
    {
      config: { access: 'member' },
      schema: {
        operationId: 'create_group',
        tags: ['groups'],
        body: GroupRequest,
        response: { 200: ItemResponse(Group) },
      },
    },
    async (req) => ok(await groups.create(principal(req), req.body)),
  );

  app.put(
    '/groups/:id',
    {
      config: { access: 'member' },
      schema: {
        operationId: 'update_group',
        tags: ['groups'],
        params: IdParams,
        body: GroupRequest,
        response: { 200: ItemResponse(Group) },
      },
    },
    async (req) => ok(await groups.update(principal(req), req.params.id, req.body)),
  );
}
