import { sql } from 'kysely';
import type { Kdb } from '../db/client.ts';
import { compiledOnce } from '../db/compiled-once.ts';
import type { Role } from './principal.ts';

/** What every API key check reads. */
export interface KeyRow {
  id: string;
  is_enabled: boolean;
  expires_at: Date | null;
  last_used: Date | null;
}

export type KeyTable = 'api_keys' | 'user_api_keys';

// The two lookups behind every user request (session or user API key) are compiled once (db/compiled-once.ts).
const sessionUserQuery = compiledOnce((db: Kdb, userId: string) =>
  db
    .selectFrom('users as u')
    .select((eb) => [
      'u.id',
      'u.organization_id',
      'u.permissions',
      eb
        .case()
        .when('u.permissions', 'in', ['Owner', 'Admin'])
        .then(
          sql<string[]>`ARRAY(${eb
            .selectFrom('networks as n')
            .select(sql<string>`n.id::text`.as('id'))
            .whereRef('n.organization_id', '=', 'u.organization_id')})`,
        )
        .else(
          sql<string[]>`ARRAY(${eb
            .selectFrom('user_network_access as a')
            .innerJoin('networks as n', 'n.id', 'a.network_id')
            .select(sql<string>`n.id::text`.as('id'))
            .whereRef('a.user_id', '=', 'u.id')
            .whereRef('n.organization_id', '=', 'u.organization_id')})`,
        )
        .end()
        .as('network_ids'),
    ])
    .where('u.id', '=', userId),
);

const userKeyQuery = compiledOnce((db: Kdb, keyHash: string) =>
  db
    .selectFrom('user_api_keys as k')
    .select((eb) => [
      'k.id',
      'k.is_enabled',
      'k.expires_at',
      'k.last_used',
      'k.user_id',
      'k.organization_id',
      'k.permissions',
      sql<string[]>`ARRAY(${eb
        .selectFrom('user_api_key_network_access as a')
        .select(sql<string>`a.network_id::text`.as('id'))
        .whereRef('a.api_key_id', '=', 'k.id')})`.as('network_ids'),
    ])
    .where('k.key_hash', '=', keyHash),
);

/** The SQL of turning credentials into a caller: session users, user API keys and daemon API keys. */
export class AuthRepository {
  constructor(private readonly db: Kdb) {}

  /**
   * A session's user with the networks it may see, in one round trip: Owner/Admin see every network of the org
   * (fresh each request); Member/Viewer only granted ones.
   */
  async sessionUser(
    userId: string,
  ): Promise<{ id: string; organization_id: string; permissions: Role; network_ids: string[] } | undefined> {
    return (await sessionUserQuery(this.db, userId))[0] as
      { id: string; organization_id: string; permissions: Role; network_ids: string[] } | undefined;
  }

  /** A user API key by the hash of its value, with its owner, role and networks. */
  async userKey(
    keyHash: string,
  ): Promise<
    | (KeyRow & { user_id: string; organization_id: string; permissions: Role; network_ids: string[] })
    | undefined
  > {
    return (await userKeyQuery(this.db, keyHash))[0] as
      | (KeyRow & { user_id: string; organization_id: string; permissions: Role; network_ids: string[] })
      | undefined;
  }

  /** A daemon API key by the hash of its value, with its network and that network's organization. */
  async daemonKey(
    keyHash: string,
  ): Promise<(KeyRow & { network_id: string; organization_id: string }) | undefined> {
    return this.db
      .selectFrom('api_keys as k')
      .innerJoin('networks as n', 'n.id', 'k.network_id')
      .select(['k.id', 'k.is_enabled', 'k.expires_at', 'k.last_used', 'k.network_id', 'n.organization_id'])
      .where('k.key_hash', '=', keyHash)
      .executeTakeFirst();
  }

  async daemonExists(id: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('daemons')
      .select(sql.lit(1).as('one'))
      .where('id', '=', id)
      .executeTakeFirst();
    return row !== undefined;
  }

  async disableKey(table: KeyTable, id: string): Promise<void> {
    await this.db
      .updateTable(table)
      .set({ is_enabled: false, updated_at: sql`now()` })
      .where('id', '=', id)
      .execute();
  }

  async stampKeyUse(table: KeyTable, id: string): Promise<void> {
    await this.db
      .updateTable(table)
      .set({ last_used: sql`now()` })
      .where('id', '=', id)
      .execute();
  }
}
