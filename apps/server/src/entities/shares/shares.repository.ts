import { sql } from 'kysely';
import type { Kdb } from '../../db/client.ts';
import { entitySpec } from '../../db/entity-repository.ts';
import { freshId } from '../../db/fresh-id.ts';

export const shareSpec = entitySpec({
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
});

/** The columns the public share routes need. */
export interface LiveShare {
  id: string;
  name: string;
  options: Record<string, boolean>;
  password_hash: string | null;
  allowed_domains: string[] | null;
  topology_id: string;
}

export interface ShareFields {
  topology_id: string;
  name: string;
  is_enabled: boolean;
  expires_at: string | Date | null;
  allowed_domains: string[] | null;
  options: object;
}

export class SharesRepository {
  constructor(private readonly db: Kdb) {}

  transaction<T>(fn: (trx: Kdb) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }

  /** An enabled, unexpired share. */
  async live(id: string): Promise<LiveShare | undefined> {
    const row = await this.db
      .selectFrom('shares')
      .select(['id', 'name', 'options', 'password_hash', 'allowed_domains', 'topology_id'])
      .where('id', '=', id)
      .where('is_enabled', '=', true)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', sql<Date>`now()`)]))
      .executeTakeFirst();
    return row as LiveShare | undefined;
  }

  async insert(
    on: Kdb,
    share: ShareFields & {
      id?: string;
      network_id: string;
      created_by: string;
      password_hash: string | null;
    },
  ): Promise<string> {
    const id = await freshId(on, 'shares', share.id);
    await on
      .insertInto('shares')
      .values({
        id,
        topology_id: share.topology_id,
        network_id: share.network_id,
        created_by: share.created_by,
        name: share.name,
        is_enabled: share.is_enabled,
        expires_at: share.expires_at,
        allowed_domains: share.allowed_domains,
        options: JSON.stringify(share.options),
        password_hash: share.password_hash,
      })
      .execute();
    return id;
  }

  /** Updates a share; `passwordHash` undefined keeps the stored password. */
  async update(
    on: Kdb,
    id: string,
    share: ShareFields,
    passwordHash: string | null | undefined,
  ): Promise<void> {
    await on
      .updateTable('shares')
      .set({
        topology_id: share.topology_id,
        name: share.name,
        is_enabled: share.is_enabled,
        expires_at: share.expires_at,
        allowed_domains: share.allowed_domains,
        options: JSON.stringify(share.options),
        ...(passwordHash !== undefined ? { password_hash: passwordHash } : {}),
        updated_at: sql`now()`,
      })
      .where('id', '=', id)
      .execute();
  }
}
