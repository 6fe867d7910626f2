import { sql } from 'kysely';
import type { Kdb } from '../db/client.ts';
import { entitySpec, tagIds } from '../db/entity-repository.ts';
import { AppError } from '../http/errors.ts';

export const daemonApiKeySpec = entitySpec({
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
});

/** The SQL of daemon API keys (table api_keys). */
export class DaemonApiKeysRepository {
  constructor(private readonly db: Kdb) {}

  transaction<T>(fn: (trx: Kdb) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }

  async insert(
    on: Kdb,
    k: {
      id: string;
      network_id: string;
      name: string;
      key_hash: string;
      expires_at: string | null;
      is_enabled: boolean;
    },
  ): Promise<void> {
    await on.insertInto('api_keys').values(k).execute();
  }

  /** The server calls a server_poll daemon with its key, so that one key keeps its plaintext. */
  async keepPlaintext(on: Kdb, id: string, key: string): Promise<void> {
    await on.updateTable('api_keys').set({ plaintext_key: key }).where('id', '=', id).execute();
  }

  /** Renames; expires_at and is_enabled change only when given. */
  async update(
    on: Kdb,
    id: string,
    f: { name: string; expires_at?: string | null; is_enabled?: boolean },
  ): Promise<void> {
    await on
      .updateTable('api_keys')
      .set({
        name: f.name,
        ...('expires_at' in f ? { expires_at: f.expires_at ?? null } : {}),
        ...(f.is_enabled !== undefined ? { is_enabled: f.is_enabled } : {}),
        updated_at: sql`now()`,
      })
      .where('id', '=', id)
      .execute();
  }

  /** A new key hash; a stored plaintext (server_poll) follows the new key, no other key gains one. */
  async rotate(id: string, keyHash: string, key: string): Promise<void> {
    await this.db
      .updateTable('api_keys')
      .set({
        key_hash: keyHash,
        updated_at: sql`now()`,
        plaintext_key: sql<string | null>`CASE WHEN plaintext_key IS NULL THEN NULL ELSE ${key} END`,
      })
      .where('id', '=', id)
      .execute();
  }
}
