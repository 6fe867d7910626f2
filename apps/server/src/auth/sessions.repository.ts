import { sql } from 'kysely';
import type { Kdb } from '../db/client.ts';

/** A browser session: `id` is the SHA-256 of the cookie value; anonymous sessions (setup, invites) have no user. */
export interface SessionRow {
  id: string;
  user_id: string | null;
  data: Record<string, unknown>;
  expires_at: Date;
}

const columns = ['id', 'user_id', 'data', 'expires_at'] as const;

/** The SQL of browser sessions (table `sessions`; discovery sessions are another thing). */
export class BrowserSessionsRepository {
  constructor(private readonly db: Kdb) {}

  async insert(row: SessionRow): Promise<SessionRow> {
    return (await this.db
      .insertInto('sessions')
      .values({ ...row, data: JSON.stringify(row.data) })
      .returning(columns)
      .executeTakeFirstOrThrow()) as SessionRow;
  }

  /** The session with this id unless it has expired. */
  async findLive(id: string): Promise<SessionRow | undefined> {
    return (await this.db
      .selectFrom('sessions')
      .select(columns)
      .where('id', '=', id)
      .where('expires_at', '>', sql<Date>`now()`)
      .executeTakeFirst()) as SessionRow | undefined;
  }

  async setExpiry(id: string, expiresAt: Date): Promise<void> {
    await this.db.updateTable('sessions').set({ expires_at: expiresAt }).where('id', '=', id).execute();
  }

  async setData(id: string, data: Record<string, unknown>): Promise<void> {
    await this.db
      .updateTable('sessions')
      .set({ data: JSON.stringify(data) })
      .where('id', '=', id)
      .execute();
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('id', '=', id).execute();
  }

  /** Deletes every session of a user but `exceptId`. */
  async deleteOfUser(userId: string, exceptId?: string): Promise<void> {
    let q = this.db.deleteFrom('sessions').where('user_id', '=', userId);
    if (exceptId !== undefined) q = q.where('id', '<>', exceptId);
    await q.execute();
  }

  async deleteExpired(): Promise<void> {
    await this.db
      .deleteFrom('sessions')
      .where('expires_at', '<=', sql<Date>`now()`)
      .execute();
  }
}
