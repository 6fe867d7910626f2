import { DaemonApiKey, DaemonResponse, Network, Subnet, Tag, UserApiKey } from '@scanopy/contracts';
import { tagsColumn, type EntityDef } from '../http/crud.ts';
import { AppError } from '../http/errors.ts';
import { Uuid, UuidArray } from '../http/schemas.ts';
import { daemonVersionStatus } from './daemons/daemons.service.ts';

export const networkDef: EntityDef = {
  name: 'Network',
  path: 'networks',
  table: 'networks',
  scope: 'networks',
  tagType: 'Network',
  columns: `t.id, t.name, t.organization_id, ${tagsColumn('Network')}, t.created_at, t.updated_at`,
  filters: { ids: 't.id' },
  filterSchema: { ids: UuidArray },
  orderFields: { created_at: 't.created_at', name: 't.name', updated_at: 't.updated_at' },
  csv: { file: 'Networks', columns: ['id', 'name', 'organization_id', 'created_at', 'updated_at'] },
  schema: Network,
  access: { read: 'viewer', write: 'admin' },
};

export const subnetDef: EntityDef = {
  name: 'Subnet',
  path: 'subnets',
  table: 'subnets',
  scope: 'network',
  tagType: 'Subnet',
  columns: `t.id, t.network_id, t.cidr::text AS cidr, t.name, t.description, t.subnet_type, t.source,
    ${tagsColumn('Subnet')}, t.created_at, t.updated_at`,
  filters: { network_id: 't.network_id', ids: 't.id', tag_ids: '' },
  filterSchema: { network_id: Uuid, ids: UuidArray, tag_ids: UuidArray },
  orderFields: {
    created_at: 't.created_at',
    name: 't.name',
    cidr: 't.cidr',
    subnet_type: 't.subnet_type',
    updated_at: 't.updated_at',
    network_id: 't.network_id',
  },
  csv: {
    file: 'Subnets',
    columns: [
      'id',
      'name',
      'cidr',
      'subnet_type',
      'description',
      'network_id',
      'source',
      'created_at',
      'updated_at',
    ],
    exprs: { cidr: 't.cidr::text', source: "t.source->>'type'" },
  },
  schema: Subnet,
  access: { list: 'viewer_or_daemon', read: 'viewer', write: 'member' },
};

export const tagDef: EntityDef = {
  name: 'Tag',
  path: 'tags',
  table: 'tags',
  scope: 'organization',
  columns: 't.id, t.organization_id, t.name, t.description, t.color, t.created_at, t.updated_at',
  filters: { ids: 't.id' },
  filterSchema: { ids: UuidArray },
  orderFields: { created_at: 't.created_at', name: 't.name', color: 't.color', updated_at: 't.updated_at' },
  csv: {
    file: 'Tags',
    columns: ['id', 'name', 'description', 'color', 'organization_id', 'created_at', 'updated_at'],
  },
  schema: Tag,
  access: { read: 'viewer', write: 'member' },
};

export const daemonDef: EntityDef = {
  name: 'Daemon',
  path: 'daemons',
  table: 'daemons',
  scope: 'network',
  tagType: 'Daemon',
  columns: `t.id, t.network_id, t.host_id, t.user_id, COALESCE(t.name, '') AS name, t.url, t.mode, t.capabilities,
    t.last_seen, t.version, t.api_key_id, t.is_unreachable, t.standby, ${tagsColumn('Daemon')}, t.created_at, t.updated_at`,
  filters: { network_id: 't.network_id', ids: 't.id' },
  filterSchema: { network_id: Uuid, ids: UuidArray },
  orderFields: {
    created_at: 't.created_at',
    name: 't.name',
    last_seen: 't.last_seen',
    updated_at: 't.updated_at',
    network_id: 't.network_id',
  },
  hydrate: async (_db, rows) =>
    rows.map((r) => ({ ...r, version_status: daemonVersionStatus(r.version as string | null) })),
  csv: {
    file: 'Daemons',
    columns: [
      'id',
      'name',
      'mode',
      'version',
      'host_id',
      'network_id',
      'user_id',
      'last_seen',
      'created_at',
      'updated_at',
    ],
  },
  schema: DaemonResponse,
  access: { read: 'viewer', write: 'member' },
};

export const daemonApiKeyDef: EntityDef = {
  name: 'Daemon API Key',
  path: 'auth/daemon',
  table: 'api_keys',
  scope: 'network',
  tagType: 'DaemonApiKey',
  columns: `t.id, t.network_id, t.name, '**********' AS key, t.last_used, t.expires_at, t.is_enabled,
    ${tagsColumn('DaemonApiKey')}, t.created_at, t.updated_at`,
  filters: { network_id: 't.network_id', ids: 't.id' },
  filterSchema: { network_id: Uuid, ids: UuidArray },
  beforeDelete: async (db, ids) => {
    const [d] = await db.query<{ name: string }>(
      'SELECT name FROM daemons WHERE api_key_id = ANY($1::uuid[]) LIMIT 1',
      [ids],
    );
    if (d)
      throw new AppError('entity_in_use', { entity: 'Daemon API Key', detail: `daemon "${d.name}" uses it` });
  },
  // Never the key hash: the key itself is shown once, at creation.
  csv: {
    file: 'Daemon API Keys',
    columns: [
      'id',
      'name',
      'network_id',
      'is_enabled',
      'last_used',
      'expires_at',
      'created_at',
      'updated_at',
    ],
  },
  schema: DaemonApiKey,
  access: { read: 'viewer', write: 'member' },
};

export const userApiKeyDef: EntityDef = {
  name: 'User API Key',
  path: 'auth/keys',
  table: 'user_api_keys',
  scope: 'owner',
  tagType: 'UserApiKey',
  columns: `t.id, t.organization_id, t.user_id, t.name, '**********' AS key, t.permissions,
    COALESCE((SELECT array_agg(a.network_id) FROM user_api_key_network_access a WHERE a.api_key_id = t.id), '{}') AS network_ids,
    t.last_used, t.expires_at, t.is_enabled, ${tagsColumn('UserApiKey')}, t.created_at, t.updated_at`,
  filters: { ids: 't.id' },
  filterSchema: { ids: UuidArray },
  csv: {
    file: 'User API Keys',
    columns: [
      'id',
      'name',
      'user_id',
      'organization_id',
      'permissions',
      'is_enabled',
      'last_used',
      'expires_at',
      'created_at',
      'updated_at',
    ],
  },
  schema: UserApiKey,
  access: { read: 'session', write: 'session' },
};
