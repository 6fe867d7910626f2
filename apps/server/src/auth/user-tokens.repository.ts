import { sql } from 'kysely';
import type { Kdb } from '../db/client.ts';
import { anyOf } from '../db/entity-repository.ts';

/** Single-use mailed tokens (verification, reset, email change), stored as the SHA-256 of the token. */
export class UserTokensRepository {
  constructor(private readonly db: Kdb) {}

  transaction<T>(fn: (trx: Kdb) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }

  /** Stores a token in place of the user's earlier ones of the same purpose. */
  async replace(
    on: Kdb,
    t: { userId: string; purpose: string; tokenHash: string; expiresAt: Date },
  ): Promise<void> {
    await on
      .deleteFrom('user_tokens')
      .where('user_id', '=', t.userId)
      .where('purpose', '=', t.purpose)
      .execute();
    await on
      .insertInto('user_tokens')
      .values({ token_hash: t.tokenHash, user_id: t.userId, purpose: t.purpose, expires_at: t.expiresAt })
      .execute();
  }

  /** Deletes the token whatever its state and returns what it was, with whether it had not expired yet. */
  async take(
    tokenHash: string,
    purposes: string[],
  ): Promise<{ user_id: string; purpose: string; valid: boolean } | undefined> {
    return this.db
      .deleteFrom('user_tokens')
      .where('token_hash', '=', tokenHash)
      .where(anyOf('purpose', purposes))
      .returning(['user_id', 'purpose', sql<boolean>`expires_at > now()`.as('valid')])
      .executeTakeFirst();
  }
}
