import { Type, type Static } from 'typebox';
import { DateTime, echoedMeta, entityMeta, Name, Nullable, bodyObject, Uuid } from '../common.ts';
import { Topology } from './topology.ts';

export const ShareOptions = Type.Object({
  show_inspect_panel: Type.Boolean(),
  show_zoom_controls: Type.Boolean(),
  show_export_button: Type.Boolean(),
});
export type ShareOptions = Static<typeof ShareOptions>;

/**
 * One embed allow-list entry: a host name, optionally with a port, or `*.example.com` (which also matches
 * example.com). Only these characters, so every entry is safe inside a CSP header.
 */
export const AllowedDomain = Type.String({
  minLength: 1,
  maxLength: 253,
  pattern: '^(\\*\\.)?[A-Za-z0-9.:-]+$',
});
export type AllowedDomain = Static<typeof AllowedDomain>;

/** A share password as clients send it: the verify body is this bare JSON string. */
export const SharePassword = Type.String({ maxLength: 256 });
export type SharePassword = Static<typeof SharePassword>;

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
export type Share = Static<typeof Share>;

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
        bodyObject,
      ),
    ),
  },
  bodyObject,
);
export type ShareRequest = Static<typeof ShareRequest>;

/**
 * Create and update body. `password`: absent or null keeps the current one (none on create), "" removes it, any
 * other value replaces it.
 */
export const CreateUpdateShareRequest = Type.Object(
  {
    share: ShareRequest,
    password: Type.Optional(Nullable(SharePassword)),
  },
  bodyObject,
);
export type CreateUpdateShareRequest = Static<typeof CreateUpdateShareRequest>;

export const PublicShareMetadata = Type.Object({
  id: Uuid,
  name: Type.String(),
  options: ShareOptions,
  requires_password: Type.Boolean(),
});
export type PublicShareMetadata = Static<typeof PublicShareMetadata>;

export const ShareTopologyRequest = Type.Object(
  { password: Type.Optional(Nullable(SharePassword)) },
  bodyObject,
);
export type ShareTopologyRequest = Static<typeof ShareTopologyRequest>;

/** `embed`: the page is loaded in a frame, so the share's allowed_domains apply. */
export const ShareTopologyQuery = Type.Object({ embed: Type.Optional(Type.Boolean()) });
export type ShareTopologyQuery = Static<typeof ShareTopologyQuery>;

export const ShareWithTopology = Type.Object({ share: PublicShareMetadata, topology: Topology });
export type ShareWithTopology = Static<typeof ShareWithTopology>;
