import type { BrowserSessionsRepository, SessionRow } from './sessions.repository.ts';
import { newSessionToken, sha256Hex } from './tokens.ts';

export type { SessionRow } from './sessions.repository.ts';

/**
 * Browser sessions, stored under the SHA-256 of the cookie value with a sliding expiry. Methods that start a session
 * return the cookie value; the caller sets the cookie.
 */
export class SessionStore {
  constructor(
    private readonly sessions: BrowserSessionsRepository,
    private readonly ttlMs: number,
  ) {}

  async create(
    userId: string | null,
    data: Record<string, unknown> = {},
  ): Promise<{ token: string; row: SessionRow }> {
    const token = newSessionToken();
    const row = await this.sessions.insert({
      id: sha256Hex(token),
      user_id: userId,
      data,
      expires_at: new Date(Date.now() + this.ttlMs),
    });
    return { token, row };
  }

  get(token: string): Promise<SessionRow | undefined> {
    return this.sessions.findLive(sha256Hex(token));
  }

  /** Extends the expiry when more than a minute has passed since the last extension; returns whether it did. */
  async touch(row: SessionRow): Promise<boolean> {
    const fresh = Date.now() + this.ttlMs;
    if (fresh - row.expires_at.getTime() < 60_000) return false;
    await this.sessions.setExpiry(row.id, new Date(fresh));
    return true;
  }

  setData(id: string, data: Record<string, unknown>): Promise<void> {
    return this.sessions.setData(id, data);
  }

  /**
   * Adds `data` to the browser's session, or starts an anonymous session holding it when there is none (setup and
   * invites before an account exists). Returns the new session's cookie value, if one was started.
   */
  async remember(
    session: SessionRow | undefined,
    data: Record<string, unknown>,
  ): Promise<string | undefined> {
    if (session) {
      await this.sessions.setData(session.id, { ...session.data, ...data });
      return undefined;
    }
    return (await this.create(null, data)).token;
  }

  /** Removes one key of the session's data. */
  async forget(session: SessionRow, key: string): Promise<void> {
    const { [key]: _, ...rest } = session.data;
    await this.sessions.setData(session.id, rest);
  }

  /**
   * A fresh session for a user who just proved who they are; the browser's previous one ends (a new id on sign-in
   * defeats session fixation). Returns the cookie value.
   */
  async signIn(previous: SessionRow | undefined, userId: string): Promise<string> {
    if (previous) await this.sessions.delete(previous.id);
    return (await this.create(userId)).token;
  }

  destroy(id: string): Promise<void> {
    return this.sessions.delete(id);
  }

  /** Ends every session of a user, or every one but `exceptId` (the one making the change). */
  endAllOf(userId: string, exceptId?: string): Promise<void> {
    return this.sessions.deleteOfUser(userId, exceptId);
  }

  purgeExpired(): Promise<void> {
    return this.sessions.deleteExpired();
  }
}
