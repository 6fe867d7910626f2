import { randomUUID } from 'node:crypto';
import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import type { Kdb } from '../../db/client.ts';
import { anyOf, EntityRepository, entitySpec, type From } from '../../db/entity-repository.ts';
import type { Role } from '../../auth/principal.ts';

/** SQL rank of a role column, matching roleRank: Viewer 1 … Owner 4. */
export function rankOf(column: string) {
  return sql<number>`array_position(ARRAY['Viewer','Member','Admin','Owner'], ${sql.ref(column)})`;
}

/** A user on the wire: never the password hash, tokens, OIDC subject or pending address. */
export const userSpec = entitySpec({
  table: 'users',
  scope: 'organization',
  select: (eb) => [
    't.id',
    't.email',
    't.organization_id',
    't.permissions',
    't.email_verified',
    eb('t.password_hash', 'is not', null).as('has_password'),
    't.terms_accepted_at',
    't.oidc_provider',
    't.oidc_linked_at',
    eb.fn
      .coalesce(
        eb
          .selectFrom('user_network_access as a')
          .select((s) => s.fn.agg<string[]>('array_agg', ['a.network_id']).as('ids'))
          .whereRef('a.user_id', '=', 't.id'),
        sql<string[]>`'{}'`,
      )
      .as('network_ids'),
    't.created_at',
    't.updated_at',
  ],
  filters: { ids: 'id' },
  // api-model.md §4.4: never hashes, tokens or the pending address.
  csv: {
    columns: [
      'id',
      'email',
      'permissions',
      'organization_id',
      'email_verified',
      'oidc_provider',
      'terms_accepted_at',
      'created_at',
      'updated_at',
    ],
  },
});

/** The wire shape of a user (userSpec.select). */
export interface UserRow {
  id: string;
  email: string;
  organization_id: string;
  permissions: Role;
  email_verified: boolean;
  has_password: boolean;
  terms_accepted_at: Date | null;
  oidc_provider: string | null;
  oidc_linked_at: Date | null;
  network_ids: string[];
  created_at: Date;
  updated_at: Date;
}

/** What sign-in and account changes check; never leaves the server. */
export interface UserCredentials {
  id: string;
  email: string;
  password_hash: string | null;
  email_verified: boolean;
  oidc_provider: string | null;
}

/**
 * Which users of an organization a caller sees: everyone when `belowRank` is absent, else users ranked below it and
 * the caller (`self`).
 */
export interface UserVisibility {
  organizationId: string;
  belowRank?: number;
  self: string;
}

export interface NewUser {
  organizationId: string;
  email: string;
  passwordHash: string | null;
  permissions: Role;
  emailVerified: boolean;
  termsAccepted: boolean;
}

export interface UserPage {
  visibility: UserVisibility;
  ids?: readonly unknown[];
  orderBy: 'created_at' | 'updated_at' | 'email' | 'permissions';
  direction: 'asc' | 'desc';
  limit: number;
  offset: number;
}

type UserEb = ExpressionBuilder<From<'users'>, 't'>;

function visible(eb: UserEb, v: UserVisibility, ids?: readonly unknown[]): Expression<SqlBool> {
  const conds: Expression<SqlBool>[] = [eb('t.organization_id', '=', v.organizationId)];
  if (v.belowRank !== undefined) {
    conds.push(eb.or([eb(rankOf('t.permissions'), '<', v.belowRank), eb('t.id', '=', v.self)]));
  }
  if (ids) conds.push(anyOf('t.id', ids));
  return eb.and(conds);
}

/** Users, their network grants, and the rows that follow a user around (daemons on delete). */
export class UsersRepository {
  /** Reads and exports through the generic layer, scoped to the organization. */
  readonly entities: EntityRepository<'users'>;

  constructor(private readonly db: Kdb) {
    this.entities = new EntityRepository(db, userSpec);
  }

  transaction<T>(fn: (trx: Kdb) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }

  /** One user by id, shaped for the wire. */
  async find(id: string, on: Kdb = this.db): Promise<UserRow | undefined> {
    return (await this.entities.findAny(id, on)) as UserRow | undefined;
  }

  /** One user of the organization, shaped for the wire. */
  async findInOrg(organizationId: string, id: string): Promise<UserRow | undefined> {
    const scope = { organizationId, networkIds: [], userId: null };
    return (await this.entities.find(scope, id)) as UserRow | undefined;
  }

  /** A page of the users a caller sees, and how many there are in all. */
  async list(q: UserPage): Promise<{ rows: UserRow[]; total: number }> {
    const order = q.orderBy === 'permissions' ? rankOf('t.permissions') : sql.ref(`t.${q.orderBy}`);
    let rows = this.db
      .selectFrom('users as t')
      .select((eb) => userSpec.select(eb))
      .where((eb) => visible(eb, q.visibility, q.ids))
      .orderBy(order, q.direction)
      .orderBy('t.id', q.direction)
      .offset(q.offset);
    if (q.limit > 0) rows = rows.limit(q.limit);
    const count = this.db
      .selectFrom('users as t')
      .select(sql<number>`count(*)::int`.as('n'))
      .where((eb) => visible(eb, q.visibility, q.ids));
    const [page, { n }] = await Promise.all([rows.execute(), count.executeTakeFirstOrThrow()]);
    return { rows: page as unknown as UserRow[], total: n };
  }

  /** The CSV rows of the users a caller sees, oldest first, in keyset batches. */
  exportRows(v: UserVisibility, ids?: readonly unknown[]) {
    const scope = { organizationId: v.organizationId, networkIds: [], userId: null };
    return this.entities.exportRows(scope, { ids }, { within: (eb) => visible(eb as UserEb, v) });
  }

  async count(on: Kdb = this.db): Promise<number> {
    const { n } = await on
      .selectFrom('users')
      .select(sql<number>`count(*)::int`.as('n'))
      .executeTakeFirstOrThrow();
    return n;
  }

  /** Whether an account uses the address, compared case-insensitively. */
  async emailTaken(email: string, on: Kdb = this.db): Promise<boolean> {
    const row = await on
      .selectFrom('users')
      .select(sql.lit(1).as('one'))
      .where(sql<string>`lower(email)`, '=', sql<string>`lower(${email})`)
      .executeTakeFirst();
    return row !== undefined;
  }

  async credentialsByEmail(email: string): Promise<UserCredentials | undefined> {
    return this.credentials()
      .where(sql<string>`lower(email)`, '=', sql<string>`lower(${email})`)
      .executeTakeFirst();
  }

  async credentialsById(id: string): Promise<UserCredentials | undefined> {
    return this.credentials().where('id', '=', id).executeTakeFirst();
  }

  private credentials() {
    return this.db
      .selectFrom('users')
      .select(['id', 'email', 'password_hash', 'email_verified', 'oidc_provider']);
  }

  /**
   * Serializes registrations until the transaction ends, so "the first user becomes Owner" holds under concurrent
   * sign-ups.
   */
  async lockRegistrations(trx: Kdb): Promise<void> {
    await sql`SELECT pg_advisory_xact_lock(7206073)`.execute(trx);
  }

  async insert(on: Kdb, u: NewUser): Promise<string> {
    const id = randomUUID();
    await on
      .insertInto('users')
      .values({
        id,
        organization_id: u.organizationId,
        email: u.email,
        password_hash: u.passwordHash,
        permissions: u.permissions,
        email_verified: u.emailVerified,
        terms_accepted_at: u.termsAccepted ? new Date() : null,
      })
      .execute();
    return id;
  }

  /** Grants the networks among `networkIds` that still exist in the organization (deleted ones are skipped). */
  async grantExistingNetworks(
    on: Kdb,
    userId: string,
    organizationId: string,
    networkIds: string[],
  ): Promise<void> {
    await on
      .insertInto('user_network_access')
      .columns(['user_id', 'network_id'])
      .expression((eb) =>
        eb
          .selectFrom('networks')
          .select([sql<string>`${userId}::uuid`.as('user_id'), 'id as network_id'])
          .where('organization_id', '=', organizationId)
          .where(anyOf('id', networkIds)),
      )
      .execute();
  }

  /** Sets a user's role and makes their network grants exactly `networkIds`. */
  async setRoleAndNetworks(on: Kdb, id: string, role: Role, networkIds: string[]): Promise<void> {
    await on
      .updateTable('users')
      .set({ permissions: role, updated_at: sql`now()` })
      .where('id', '=', id)
      .execute();
    await on.deleteFrom('user_network_access').where('user_id', '=', id).execute();
    if (networkIds.length) {
      await on
        .insertInto('user_network_access')
        .values(networkIds.map((network_id) => ({ user_id: id, network_id })))
        .execute();
    }
  }

  async touch(id: string): Promise<void> {
    await this.db
      .updateTable('users')
      .set({ updated_at: sql`now()` })
      .where('id', '=', id)
      .execute();
  }

  async markVerified(id: string): Promise<void> {
    await this.db
      .updateTable('users')
      .set({ email_verified: true, updated_at: sql`now()` })
      .where('id', '=', id)
      .execute();
  }

  /** Makes the pending address the account's address; false when there was none. */
  async applyPendingEmail(id: string): Promise<boolean> {
    const row = await this.db
      .updateTable('users')
      .set((eb) => ({
        email: eb.ref('pending_email') as Expression<string>,
        pending_email: null,
        email_verified: true,
        updated_at: sql`now()`,
      }))
      .where('id', '=', id)
      .where('pending_email', 'is not', null)
      .returning('email')
      .executeTakeFirst();
    return row !== undefined;
  }

  async setPendingEmail(on: Kdb, id: string, email: string): Promise<void> {
    await on
      .updateTable('users')
      .set({ pending_email: email, updated_at: sql`now()` })
      .where('id', '=', id)
      .execute();
  }

  /** Sets the password hash; `verified` also marks the address proven (a reset link was followed). */
  async setPassword(id: string, hash: string, verified = false): Promise<{ email: string }> {
    return this.db
      .updateTable('users')
      .set({ password_hash: hash, ...(verified ? { email_verified: true } : {}), updated_at: sql`now()` })
      .where('id', '=', id)
      .returning('email')
      .executeTakeFirstOrThrow();
  }

  /** The organization's Owners, oldest first, locked: concurrent deletes serialize on them. */
  async lockOwners(trx: Kdb, organizationId: string): Promise<string[]> {
    const rows = await trx
      .selectFrom('users')
      .select('id')
      .where('organization_id', '=', organizationId)
      .where('permissions', '=', 'Owner')
      .orderBy('created_at')
      .orderBy('id')
      .forUpdate()
      .execute();
    return rows.map((r) => r.id);
  }

  /** The users among `ids` that belong to the organization, with their roles. */
  async rolesInOrg(
    on: Kdb,
    organizationId: string,
    ids: string[],
  ): Promise<{ id: string; permissions: Role }[]> {
    return (await on
      .selectFrom('users')
      .select(['id', 'permissions'])
      .where('organization_id', '=', organizationId)
      .where(anyOf('id', ids))
      .execute()) as { id: string; permissions: Role }[];
  }

  /** Deletes users after handing their daemons to `heir`. */
  async deleteHandingOver(trx: Kdb, ids: string[], heir: string): Promise<void> {
    await trx
      .updateTable('daemons')
      .set({ user_id: heir, updated_at: sql`now()` })
      .where(anyOf('user_id', ids))
      .execute();
    await trx.deleteFrom('users').where(anyOf('id', ids)).execute();
  }
}
