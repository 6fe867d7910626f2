import { Type, type Static } from 'typebox';
import {
  DateTime,
  echoedMeta,
  entityMeta,
  Nullable,
  PermissionLevel,
  bodyObject,
  Uuid,
  UuidArray,
} from '../common.ts';

/** The password hash and verification/reset tokens are never part of the wire shape. */
export const User = Type.Object({
  ...entityMeta,
  email: Type.String({ format: 'email' }),
  organization_id: Uuid,
  permissions: PermissionLevel,
  network_ids: Type.Array(Uuid),
  email_verified: Type.Boolean(),
  has_password: Type.Boolean(),
  oidc_provider: Type.Optional(Nullable(Type.String())),
  oidc_linked_at: Type.Optional(Nullable(DateTime)),
  terms_accepted_at: Type.Optional(Nullable(DateTime)),
});
export type User = Static<typeof User>;

/**
 * PUT /api/v1/users/{id}. The reference UI sends the whole User back; only the read-only echo is accepted. Changing
 * role, organization, email or network grants here is refused (admins use AdminUpdateUserRequest; email and password
 * go through /api/auth).
 */
export const UpdateUserRequest = Type.Object(
  {
    ...echoedMeta,
    email: Type.Optional(Type.String({ maxLength: 320 })),
    organization_id: Type.Optional(Uuid),
    permissions: Type.Optional(PermissionLevel),
    network_ids: Type.Optional(UuidArray),
    email_verified: Type.Optional(Type.Boolean()),
    has_password: Type.Optional(Type.Boolean()),
    oidc_provider: Type.Optional(Nullable(Type.String({ maxLength: 100 }))),
    oidc_linked_at: Type.Optional(Nullable(DateTime)),
    terms_accepted_at: Type.Optional(Nullable(DateTime)),
  },
  bodyObject,
);
export type UpdateUserRequest = Static<typeof UpdateUserRequest>;

/** PUT /api/v1/users/{id}/admin: an admin sets another user's role and networks. */
export const AdminUpdateUserRequest = Type.Object(
  { permissions: PermissionLevel, network_ids: UuidArray },
  bodyObject,
);
export type AdminUpdateUserRequest = Static<typeof AdminUpdateUserRequest>;
