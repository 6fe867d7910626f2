import { Type, type Static } from 'typebox';
import { echoedMeta, entityMeta, Name, Nullable, bodyObject, TagIds, Uuid, UuidArray } from '../common.ts';

export const Network = Type.Object({
  ...entityMeta,
  name: Type.String(),
  organization_id: Uuid,
  snmp_credential_id: Type.Optional(Nullable(Uuid)),
  tags: TagIds,
});
export type Network = Static<typeof Network>;

/** organization_id is taken from the caller; a client may echo it (the reference body is a whole Network). */
export const CreateNetworkRequest = Type.Object(
  {
    ...echoedMeta,
    name: Name,
    organization_id: Type.Optional(Uuid),
    snmp_credential_id: Type.Optional(Nullable(Uuid)),
    tags: Type.Optional(TagIds),
  },
  bodyObject,
);
export type CreateNetworkRequest = Static<typeof CreateNetworkRequest>;
export const UpdateNetworkRequest = CreateNetworkRequest;
export type UpdateNetworkRequest = CreateNetworkRequest;

/**
 * The body POST /api/v1/networks and PUT /api/v1/networks/{id} validate: the fields a client may set. Echoed
 * read-only fields (id, organization_id, created_at, …) are ignored, like any field a body schema does not name.
 */
export const CreateNetworkBody = Type.Object({ name: Name, tags: Type.Optional(UuidArray) }, bodyObject);
export type CreateNetworkBody = Static<typeof CreateNetworkBody>;
export const UpdateNetworkBody = CreateNetworkBody;
export type UpdateNetworkBody = CreateNetworkBody;
