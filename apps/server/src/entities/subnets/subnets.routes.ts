import { CreateSubnetBody, Subnet, SubnetType, UpdateSubnetBody } from '@scanopy/contracts';
import { Type } from 'typebox';
import { principal, type EntityResource } from '../../http/crud.ts';
import { ok } from '../../http/envelope.ts';
import type { RouteApp } from '../../http/route-app.ts';
import { IdParams, ItemResponse, Search, Uuid, UuidArray } from '../../http/schemas.ts';
import type { Services } from '../../services.ts';

export const subnetResource: EntityResource = {
  name: 'Subnet',
  path: 'subnets',
  filterSchema: {
    network_id: Uuid,
    ids: UuidArray,
    tag_ids: UuidArray,
    subnet_type: Type.Array(SubnetType),
    search: Search,
  },
  csvFile: 'Subnets',
  schema: Subnet,
  access: { list: 'viewer_or_daemon', read: 'viewer', write: 'member' },
};

export async function subnetRoutes(app: RouteApp, { subnets }: Services) {
  app.post(
    '/subnets',
    {
      config: { access: 'member_or_daemon' },
      schema: {
        operationId: 'create_subnet',
        tags: ['subnets'],
        body: CreateSubnetBody,
        response: { 200: ItemResponse(Subnet) },
      },
    },
    async (req) => ok(await subnets.create(principal(req), req.body)),
  );

  app.put(
    '/subnets/:id',
    {
      config: { access: 'member' },
      schema: {
        operationId: 'update_subnet',
        tags: ['subnets'],
        params: IdParams,
        body: UpdateSubnetBody,
        response: { 200: ItemResponse(Subnet) },
      },
    },
    async (req) => ok(await subnets.update(principal(req), req.params.id, req.body)),
  );
}
