import { Type, type Static } from 'typebox';
import { DateTime, Name, Nullable, entityMeta, echoedMeta, strict } from '@scanopy/contracts';
import type { EntityDef } from '../../http/crud.ts';
import { entitySpec } from '../../db/entity-repository.ts';
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

export const shareDef: EntityDef<'shares'> = {
  name: 'Share',
  path: 'shares',
  filterSchema: { network_id: Uuid, topology_id: Uuid },
  csvFile: 'Shares',
  schema: Share,
  access: { read: 'viewer', write: 'member' },
  spec: entitySpec({
    table: 'shares',
    scope: 'network',
    select: () => [
      't.id',
      't.topology_id',
      't.network_id',
      't.created_by',
      't.name',
      't.is_enabled',
      't.expires_at',
      't.allowed_domains',
      't.options',
      't.created_at',
      't.updated_at',
    ],
    filters: { network_id: 'network_id', topology_id: 'topology_id' },
    csv: {
      columns: [
        'id',
        'name',
        'topology_id',
        'network_id',
        'created_by',
        'is_enabled',
        'expires_at',
        'has_password',
        'created_at',
        'updated_at',
      ],
      exprs: { has_password: (eb) => eb('t.password_hash', 'is not', null) },
    },
  }),
};
