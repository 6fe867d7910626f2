import type { Db } from '../db/client.ts';
import { newSessionToken, sha256Hex } from './tokens.ts';

export interface SessionRow {
  id: string;
  user_id: string | null;
  data: Record<string, unknown>;
  expires_at: Date;
}

/** Sessions stored in the database under the SHA-256 of the cookie value, with a sliding expiry. */
export class SessionStore {
  constructor(
    private readonly db: Db,
    private readonly ttlMs: number,
  ) {}

  async create(
    userId: string | null,
    data: Record<string, unknown> = {},
  ): Promise<{ token: string; row: SessionRow }> {
    const token = newSessionToken();
    const expires = new Date(Date.now() + this.ttlMs);
    const [row] = await this.db.query<SessionRow>(
      'INSERT INTO sessions (id, user_id, data, expires_at) VALUES ($1, $2, $3, $4) RETURNING id, user_id, data, expires_at',
      [sha256Hex(token), userId, JSON.stringify(data), expires],
    );
    return { token, row };
  }

  async get(token: string): Promise<SessionRow | undefined> {
    const [row] = await this.db.query<SessionRow>(
      'SELECT id, user_id, data, expires_at FROM sessions WHERE id = $1 AND expires_at > now()',
      [sha256Hex(token)],
    );
    return row;
  }

  /** Extends the expiry when more than a minute has passed since the last extension; returns whether it did. */
  async touch(row: SessionRow): Promise<boolean> {
    const fresh = Date.now() + this.ttlMs;
    if (fresh - row.expires_at.getTime() < 60_000) return false;
    await this.db.query('UPDATE sessions SET expires_at = $2 WHERE id = $1', [row.id, new Date(fresh)]);
    return true;
  }

  async setData(id: string, data: Record<string, unknown>): Promise<void> {
    await this.db.query('UPDATE sessions SET data = $2 WHERE id = $1', [id, JSON.stringify(data)]);
  }

  async destroy(id: string): Promise<void> {
    await this.db.query('DELETE FROM sessions WHERE id = $1', [id]);
  }

  async purgeExpired(): Promise<void> {
    await this.db.query('DELETE FROM sessions WHERE expires_at <= now()');
  }
}
