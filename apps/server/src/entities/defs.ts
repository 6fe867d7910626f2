import { DaemonApiKey, DaemonResponse, UserApiKey } from '@scanopy/contracts';
import { sql } from 'kysely';
import type { EntityDef } from '../http/crud.ts';
import { entitySpec, tagIds, variantOf } from '../db/entity-repository.ts';
import { AppError } from '../http/errors.ts';
import { Uuid, UuidArray } from '../http/schemas.ts';
import { daemonVersionStatus } from './daemons/daemons.service.ts';

export const daemonDef: EntityDef<'daemons'> = {
  name: 'Daemon',
  path: 'daemons',
  filterSchema: { network_id: Uuid, ids: UuidArray },
  csvFile: 'Daemons',
  schema: DaemonResponse,
  access: { read: 'viewer', write: 'member' },
  spec: entitySpec({
    table: 'daemons',
    scope: 'network',
    tagType: 'Daemon',
    select: (eb) => [
      't.id',
      't.network_id',
      't.host_id',
      't.user_id',
      eb.fn.coalesce('t.name', sql.lit('')).as('name'),
      't.url',
      't.mode',
      't.capabilities',
      't.last_seen',
      't.version',
      't.api_key_id',
      't.is_unreachable',
      't.standby',
      tagIds(eb, 'Daemon'),
      't.created_at',
      't.updated_at',
    ],
    filters: { network_id: 'network_id', ids: 'id' },
    orderFields: {
      created_at: 'created_at',
      name: 'name',
      last_seen: 'last_seen',
      updated_at: 'updated_at',
      network_id: 'network_id',
    },
    hydrate: async (_db, rows) =>
      rows.map((r) => ({ ...r, version_status: daemonVersionStatus(r.version as string | null) })),
    csv: {
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
  }),
};

export const daemonApiKeyDef: EntityDef<'api_keys'> = {
  name: 'Daemon API Key',
  path: 'auth/daemon',
  filterSchema: { network_id: Uuid, ids: UuidArray },
  csvFile: 'Daemon API Keys',
  schema: DaemonApiKey,
  access: { read: 'viewer', write: 'member' },
  spec: entitySpec({
    table: 'api_keys',
    scope: 'network',
    tagType: 'DaemonApiKey',
    select: (eb) => [
      't.id',
      't.network_id',
      't.name',
      sql.lit('**********').as('key'),
      't.last_used',
      't.expires_at',
      't.is_enabled',
      tagIds(eb, 'DaemonApiKey'),
      't.created_at',
      't.updated_at',
    ],
    filters: { network_id: 'network_id', ids: 'id' },
    beforeDelete: async (db, ids) => {
      const d = await db
        .selectFrom('daemons')
        .select('name')
        .where('api_key_id', 'in', ids)
        .limit(1)
        .executeTakeFirst();
      if (d)
        throw new AppError('entity_in_use', {
          entity: 'Daemon API Key',
          detail: `daemon "${d.name}" uses it`,
        });
    },
    // Never the key hash: the key itself is shown once, at creation.
    csv: {
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
  }),
};

export const userApiKeyDef: EntityDef<'user_api_keys'> = {
  name: 'User API Key',
  path: 'auth/keys',
  filterSchema: { ids: UuidArray },
  csvFile: 'User API Keys',
  schema: UserApiKey,
  access: { read: 'session', write: 'session' },
  spec: entitySpec({
    table: 'user_api_keys',
    scope: 'owner',
    tagType: 'UserApiKey',
    select: (eb) => [
      't.id',
      't.organization_id',
      't.user_id',
      't.name',
      sql.lit('**********').as('key'),
      't.permissions',
      eb.fn
        .coalesce(
          eb
            .selectFrom('user_api_key_network_access as a')
            .select((s) => s.fn.agg<string[]>('array_agg', ['a.network_id']).as('ids'))
            .whereRef('a.api_key_id', '=', 't.id'),
          sql<string[]>`'{}'::uuid[]`,
        )
        .as('network_ids'),
      't.last_used',
      't.expires_at',
      't.is_enabled',
      tagIds(eb, 'UserApiKey'),
      't.created_at',
      't.updated_at',
    ],
    filters: { ids: 'id' },
    csv: {
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
  }),
};
