import { Type, type Static } from 'typebox';
import { DateTime, entityMeta, Nullable, PermissionLevel, bodyObject, Uuid, UuidArray } from '../common.ts';

export const Invite = Type.Object({
  ...entityMeta,
  organization_id: Uuid,
  permissions: PermissionLevel,
  network_ids: Type.Array(Uuid),
  /** The server's public URL; the link to hand out is `{url}/api/v1/invites/{id}/accept`. */
  url: Type.String(),
  created_by: Uuid,
  expires_at: DateTime,
  send_to: Nullable(Type.String()),
});
export type Invite = Static<typeof Invite>;

/** expiration_hours defaults to 168 (a week); send_to also mails the link. */
export const CreateInviteRequest = Type.Object(
  {
    permissions: PermissionLevel,
    network_ids: UuidArray,
    send_to: Type.Optional(Nullable(Type.String({ format: 'email', maxLength: 320 }))),
    expiration_hours: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 8760 }))),
  },
  bodyObject,
);
export type CreateInviteRequest = Static<typeof CreateInviteRequest>;
