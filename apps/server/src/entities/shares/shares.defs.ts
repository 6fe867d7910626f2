import { Type, type Static } from 'typebox';
import { DateTime, Name, Nullable, entityMeta, echoedMeta, strict } from '@scanopy/contracts';
import { Uuid } from '../../http/schemas.ts';
import { Topology } from '../topology/topology.defs.ts';

export const ShareOptions = Type.Object({
  show_inspect_panel: Type.Boolean(),
  show_zoom_controls: Type.Boolean(),
  show_export_button: Type.Boolean(),
});

/**
 * One embed allow-list entry: a host name, optionally with a port, or `*.example.com` (which also matches
 * example.com). Only these characters, so every entry is safe inside a CSP header.
 */
export const AllowedDomain = Type.String({
  minLength: 1,
  maxLength: 253,
  pattern: '^(\\*\\.)?[A-Za-z0-9.:-]+$',
});

/** password_hash is never part of it; whether a password is set shows only as the CSV's has_password. */
export const Share = Type.Object({
  ...entityMeta,
  topology_id: Uuid,
  network_id: Uuid,
  created_by: Uuid,
  name: Type.String(),
  is_enabled: Type.Boolean(),
  expires_at: Nullable(DateTime),
  allowed_domains: Nullable(Type.Array(Type.String())),
  options: ShareOptions,
});

export const ShareRequest = Type.Object(
  {
    ...echoedMeta,
    topology_id: Uuid,
    network_id: Uuid,
    // Echoed by the UI; the server sets it to the caller.
    created_by: Type.Optional(Uuid),
    name: Name,
    is_enabled: Type.Optional(Type.Boolean()),
    expires_at: Type.Optional(Nullable(DateTime)),
    allowed_domains: Type.Optional(Nullable(Type.Array(AllowedDomain, { maxItems: 100 }))),
    options: Type.Optional(
      Type.Object(
        {
          show_inspect_panel: Type.Optional(Type.Boolean()),
          show_zoom_controls: Type.Optional(Type.Boolean()),
          show_export_button: Type.Optional(Type.Boolean()),
        },
        strict,
      ),
    ),
  },
  strict,
);

/**
 * Create and update body. `password`: absent or null keeps the current one (none on create), "" removes it, any
 * other value replaces it.
 */
export const CreateUpdateShareRequest = Type.Object(
  {
    share: ShareRequest,
    password: Type.Optional(Nullable(Type.String({ maxLength: 256 }))),
  },
  strict,
);
export type CreateUpdateShareRequest = Static<typeof CreateUpdateShareRequest>;

export const PublicShareMetadata = Type.Object({
  id: Uuid,
  name: Type.String(),
  options: ShareOptions,
  requires_password: Type.Boolean(),
});

export const ShareTopologyRequest = Type.Object(
  { password: Type.Optional(Nullable(Type.String({ maxLength: 256 }))) },
  strict,
);

export const ShareWithTopology = Type.Object({ share: PublicShareMetadata, topology: Topology });
