import { Type, type Static } from 'typebox';
import {
  DateTime,
  echoedMeta,
  entityMeta,
  Name,
  Nullable,
  PERMISSION_LEVELS_BY_RANK,
  PermissionLevel,
  bodyObject,
  TagIds,
  Uuid,
  UuidArray,
} from '../common.ts';

/** Stored keys are SHA-256 hashes; the wire always shows this mask. The plaintext is returned once on create. */
export const MASKED_KEY = '**********';

const keyFields = {
  key: Type.String(),
  name: Type.String(),
  last_used: Nullable(DateTime),
  expires_at: Nullable(DateTime),
  is_enabled: Type.Boolean(),
  tags: TagIds,
};

export const DaemonApiKey = Type.Object({ ...entityMeta, ...keyFields, network_id: Uuid });
export type DaemonApiKey = Static<typeof DaemonApiKey>;

export const UserApiKey = Type.Object({
  ...entityMeta,
  ...keyFields,
  user_id: Uuid,
  organization_id: Uuid,
  permissions: PermissionLevel,
  network_ids: Type.Array(Uuid),
});
export type UserApiKey = Static<typeof UserApiKey>;

// The reference body is a whole key entity, so its read-only fields may be echoed and are ignored.
const keyRequestFields = {
  ...echoedMeta,
  key: Type.Optional(Type.String()),
  last_used: Type.Optional(Nullable(DateTime)),
  name: Name,
  expires_at: Type.Optional(Nullable(DateTime)),
  is_enabled: Type.Optional(Type.Boolean()),
  tags: Type.Optional(TagIds),
};

export const CreateDaemonApiKeyRequest = Type.Object({ ...keyRequestFields, network_id: Uuid }, bodyObject);
export type CreateDaemonApiKeyRequest = Static<typeof CreateDaemonApiKeyRequest>;
export const UpdateDaemonApiKeyRequest = CreateDaemonApiKeyRequest;
export type UpdateDaemonApiKeyRequest = CreateDaemonApiKeyRequest;

/** permissions defaults to Viewer; user_id/organization_id come from the caller. */
export const CreateUserApiKeyRequest = Type.Object(
  {
    ...keyRequestFields,
    permissions: Type.Optional(PermissionLevel),
    network_ids: Type.Optional(Type.Array(Uuid)),
    user_id: Type.Optional(Uuid),
    organization_id: Type.Optional(Uuid),
  },
  bodyObject,
);
export type CreateUserApiKeyRequest = Static<typeof CreateUserApiKeyRequest>;
export const UpdateUserApiKeyRequest = CreateUserApiKeyRequest;
export type UpdateUserApiKeyRequest = CreateUserApiKeyRequest;

export const DaemonApiKeyResponse = Type.Object({ api_key: DaemonApiKey, key: Type.String() });
export type DaemonApiKeyResponse = Static<typeof DaemonApiKeyResponse>;

export const UserApiKeyResponse = Type.Object({ api_key: UserApiKey, key: Type.String() });
export type UserApiKeyResponse = Static<typeof UserApiKeyResponse>;

// The bodies the key routes validate: the fields a client may set. Read-only fields a reference client echoes (id,
// key, user_id, …) are ignored, like any field a body schema does not name.
const keyBodyFields = {
  expires_at: Type.Optional(Nullable(DateTime)),
  is_enabled: Type.Optional(Type.Boolean()),
  tags: Type.Optional(UuidArray),
};

export const CreateDaemonApiKeyBody = Type.Object(
  { name: Name, network_id: Uuid, ...keyBodyFields },
  bodyObject,
);
export type CreateDaemonApiKeyBody = Static<typeof CreateDaemonApiKeyBody>;

/** A daemon key stays on its network. */
export const UpdateDaemonApiKeyBody = Type.Object({ name: Name, ...keyBodyFields }, bodyObject);
export type UpdateDaemonApiKeyBody = Static<typeof UpdateDaemonApiKeyBody>;

export const CreateUserApiKeyBody = Type.Object(
  {
    name: Name,
    permissions: Type.Optional(Type.Union(PERMISSION_LEVELS_BY_RANK.map((r) => Type.Literal(r)))),
    network_ids: Type.Optional(UuidArray),
    ...keyBodyFields,
  },
  bodyObject,
);
export type CreateUserApiKeyBody = Static<typeof CreateUserApiKeyBody>;
export const UpdateUserApiKeyBody = CreateUserApiKeyBody;
export type UpdateUserApiKeyBody = CreateUserApiKeyBody;
