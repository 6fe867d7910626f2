import { sql } from 'kysely';
import type { Kdb } from '../../db/client.ts';
import { entitySpec, tagIds } from '../../db/entity-repository.ts';

export const userApiKeySpec = entitySpec({
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
});

export interface UserKeyRow {
  id: string;
  organization_id: string;
  user_id: string;
  name: string;
  key_hash: string;
  permissions: string;
  expires_at: string | null;
  is_enabled: boolean;
}

/** The SQL of user API keys and the networks each may reach. */
export class UserApiKeysRepository {
  constructor(private readonly db: Kdb) {}

  transaction<T>(fn: (trx: Kdb) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }

  async insert(on: Kdb, k: UserKeyRow): Promise<void> {
    await on.insertInto('user_api_keys').values(k).execute();
  }

  /** Renames; permissions, expires_at and is_enabled change only when given. */
  async update(
    on: Kdb,
    id: string,
    f: { name: string; permissions?: string; expires_at?: string | null; is_enabled?: boolean },
  ): Promise<void> {
    await on
      .updateTable('user_api_keys')
      .set({
        name: f.name,
        ...(f.permissions !== undefined ? { permissions: f.permissions } : {}),
        ...('expires_at' in f ? { expires_at: f.expires_at ?? null } : {}),
        ...(f.is_enabled !== undefined ? { is_enabled: f.is_enabled } : {}),
        updated_at: sql`now()`,
      })
      .where('id', '=', id)
      .execute();
  }

  /** Replaces the networks the key may reach. */
  async setNetworks(on: Kdb, keyId: string, networkIds: string[]): Promise<void> {
    await on.deleteFrom('user_api_key_network_access').where('api_key_id', '=', keyId).execute();
    const unique = [...new Set(networkIds)];
    if (!unique.length) return;
    await on
      .insertInto('user_api_key_network_access')
      .values(unique.map((network_id) => ({ api_key_id: keyId, network_id })))
      .execute();
  }

  async rotate(id: string, keyHash: string): Promise<void> {
    await this.db
      .updateTable('user_api_keys')
      .set({ key_hash: keyHash, updated_at: sql`now()` })
      .where('id', '=', id)
      .execute();
  }
}
