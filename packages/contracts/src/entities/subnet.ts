import { Type, type Static } from 'typebox';
import {
  Description,
  echoedMeta,
  entityMeta,
  EntitySource,
  Name,
  Nullable,
  strict,
  SubnetType,
  TagIds,
  Uuid,
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
  strict,
);
export type CreateSubnetRequest = Static<typeof CreateSubnetRequest>;
export const UpdateSubnetRequest = CreateSubnetRequest;
export type UpdateSubnetRequest = CreateSubnetRequest;
