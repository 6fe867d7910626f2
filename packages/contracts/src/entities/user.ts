import { Type, type Static } from 'typebox';
import { DateTime, entityMeta, Nullable, PermissionLevel, Uuid } from '../common.ts';

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
