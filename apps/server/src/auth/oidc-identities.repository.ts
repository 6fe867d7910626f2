import { sql } from 'kysely';
import type { Kdb } from '../db/client.ts';

/** An identity at an OIDC provider (the provider's slug and the subject it asserts). */
export interface OidcIdentity {
  provider: string;
  subject: string;
}

/**
 * The link between users and OIDC identities (columns of `users`); the unique index on (oidc_provider, oidc_subject)
 * refuses a second user for one identity.
 */
export class OidcIdentitiesRepository {
  constructor(private readonly db: Kdb) {}

  transaction<T>(fn: (trx: Kdb) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }

  /** The user signed in by this identity. */
  async userOf(id: OidcIdentity): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('users')
      .select('id')
      .where('oidc_provider', '=', id.provider)
      .where('oidc_subject', '=', id.subject)
      .executeTakeFirst();
    return row?.id;
  }

  /** Whether a user other than `userId` has this identity. */
  async linkedToOther(on: Kdb, id: OidcIdentity, userId: string): Promise<boolean> {
    const row = await on
      .selectFrom('users')
      .select(sql.lit(1).as('one'))
      .where('oidc_provider', '=', id.provider)
      .where('oidc_subject', '=', id.subject)
      .where('id', '<>', userId)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** The user's current link, locked until the transaction ends. */
  async lockLinkOf(
    trx: Kdb,
    userId: string,
  ): Promise<{ oidc_provider: string | null; oidc_subject: string | null } | undefined> {
    return trx
      .selectFrom('users')
      .select(['oidc_provider', 'oidc_subject'])
      .where('id', '=', userId)
      .forUpdate()
      .executeTakeFirst();
  }

  async link(userId: string, id: OidcIdentity, on: Kdb = this.db): Promise<void> {
    await on
      .updateTable('users')
      .set({
        oidc_provider: id.provider,
        oidc_subject: id.subject,
        oidc_linked_at: sql`now()`,
        updated_at: sql`now()`,
      })
      .where('id', '=', userId)
      .execute();
  }

  async unlink(userId: string): Promise<void> {
    await this.db
      .updateTable('users')
      .set({ oidc_provider: null, oidc_subject: null, oidc_linked_at: null, updated_at: sql`now()` })
      .where('id', '=', userId)
      .execute();
  }
}
