import { Type } from 'typebox';
import { EntitySource, Subnet, SubnetType } from '@scanopy/contracts';
import { principal, type EntityResource } from '../../http/crud.ts';
import { ok } from '../../http/envelope.ts';
import type { RouteApp } from '../../http/route-app.ts';
import { IdParams, ItemResponse, Uuid, UuidArray } from '../../http/schemas.ts';
import type { Services } from '../../services.ts';

const Cidr = Type.String({ minLength: 3, maxLength: 64, pattern: '^[0-9a-fA-F:.]+/[0-9]{1,3}$' });
const Fields = {
  cidr: Cidr,
  name: Type.String({ minLength: 1, maxLength: 100 }),
  description: Type.Optional(Type.Union([Type.String({ maxLength: 500 }), Type.Null()])),
  subnet_type: SubnetType,
  tags: Type.Optional(UuidArray),
};
// Daemons send whole Subnet objects (client id, source, timestamps); users send the editable fields.
export const CreateSubnet = Type.Object(
  {
    ...Fields,
    network_id: Uuid,
    id: Type.Optional(Uuid),
    source: Type.Optional(EntitySource),
    created_at: Type.Optional(Type.String()),
    updated_at: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
const UpdateSubnet = Type.Object(
  {
    ...Fields,
    id: Type.Optional(Uuid),
    network_id: Type.Optional(Uuid),
    source: Type.Optional(EntitySource),
    created_at: Type.Optional(Type.String()),
    updated_at: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export const subnetResource: EntityResource = {
  name: 'Subnet',
  path: 'subnets',
  filterSchema: { network_id: Uuid, ids: UuidArray, tag_ids: UuidArray },
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
        body: CreateSubnet,
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
        body: UpdateSubnet,
        response: { 200: ItemResponse(Subnet) },
      },
    },
    async (req) => ok(await subnets.update(principal(req), req.params.id, req.body)),
  );
}
