import { Type, type Static } from 'typebox';
import {
  Description,
  echoedMeta,
  entityMeta,
  EntitySource,
  Name,
  Nullable,
  bodyObject,
  SubnetType,
  TagIds,
  Uuid,
  UuidArray,
} from '../common.ts';

export const Subnet = Type.Object({
  ...entityMeta,
  network_id: Uuid,
  cidr: Type.String(),
  name: Type.String(),
  description: Nullable(Type.String()),
  subnet_type: SubnetType,
  source: EntitySource,
  tags: TagIds,
});
export type Subnet = Static<typeof Subnet>;

/**
 * Daemons post whole Subnets with a client-generated id and a Discovery source; the UI sends the nil id.
 * The server returns an existing subnet with the same CIDR instead of creating a duplicate.
 */
export const CreateSubnetRequest = Type.Object(
  {
    ...echoedMeta,
    network_id: Uuid,
    cidr: Type.String({ minLength: 1 }),
    name: Name,
    description: Type.Optional(Nullable(Description)),
    subnet_type: SubnetType,
    source: Type.Optional(EntitySource),
    tags: Type.Optional(TagIds),
  },
  bodyObject,
);
export type CreateSubnetRequest = Static<typeof CreateSubnetRequest>;
export const UpdateSubnetRequest = CreateSubnetRequest;
export type UpdateSubnetRequest = CreateSubnetRequest;

// The bodies the subnet routes validate: a CIDR-shaped `cidr`, and on update the network may be left out.
const subnetBodyFields = {
  cidr: Type.String({ minLength: 3, maxLength: 64, pattern: '^[0-9a-fA-F:.]+/[0-9]{1,3}$' }),
  name: Name,
  description: Type.Optional(Nullable(Description)),
  subnet_type: SubnetType,
  tags: Type.Optional(UuidArray),
};
const echoedSubnetFields = {
  source: Type.Optional(EntitySource),
  created_at: Type.Optional(Type.String()),
  updated_at: Type.Optional(Type.String()),
};

/** Daemons send whole Subnet objects (client id, source, timestamps); users send the editable fields. */
export const CreateSubnetBody = Type.Object(
  { ...subnetBodyFields, network_id: Uuid, id: Type.Optional(Uuid), ...echoedSubnetFields },
  bodyObject,
);
export type CreateSubnetBody = Static<typeof CreateSubnetBody>;

export const UpdateSubnetBody = Type.Object(
  {
    ...subnetBodyFields,
    id: Type.Optional(Uuid),
    network_id: Type.Optional(Uuid),
    ...echoedSubnetFields,
  },
  bodyObject,
);
export type UpdateSubnetBody = Static<typeof UpdateSubnetBody>;
