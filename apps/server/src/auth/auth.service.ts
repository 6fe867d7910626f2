import { AppError } from '../http/errors.ts';
import type { AuthRepository, KeyRow, KeyTable } from './auth.repository.ts';
import type { DaemonPrincipal, Principal, SessionPrincipal, UserKeyPrincipal } from './principal.ts';
import type { SessionRow, SessionStore } from './sessions.ts';
import { sha256Hex } from './tokens.ts';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface Credentials {
  bearer?: string;
  daemonId?: string;
  daemonVersion?: string;
  sessionToken?: string;
}

/** Turns request credentials into a Principal. Bearer beats the cookie, with no fallback when the key fails. */
export class AuthService {
  constructor(
    private readonly auth: AuthRepository,
    private readonly sessions: SessionStore,
  ) {}

  async resolve(c: Credentials): Promise<{ principal?: Principal; session?: SessionRow }> {
    if (c.bearer) {
      if (c.bearer.startsWith('scp_u_')) return { principal: await this.userKey(c.bearer) };
      return { principal: await this.daemonKey(c.bearer, c.daemonId, c.daemonVersion) };
    }
    if (!c.sessionToken) return {};
    const session = await this.sessions.get(c.sessionToken);
    if (!session) return {};
    if (!session.user_id) return { session };
    const user = await this.auth.sessionUser(session.user_id);
    if (!user) return { session };
    const principal: SessionPrincipal = {
      kind: 'session',
      userId: user.id,
      role: user.permissions,
      organizationId: user.organization_id,
      sessionId: session.id,
      networkIds: user.network_ids,
    };
    return { principal, session };
  }

  private checkKey(row: KeyRow, table: KeyTable, entity: string): void {
    if (!row.is_enabled) throw new AppError('entity_disabled', { entity });
    if (row.expires_at && row.expires_at.getTime() <= Date.now()) {
      void this.auth.disableKey(table, row.id).catch(() => undefined);
      throw new AppError('entity_expired', { entity });
    }
    // last_used is informational: written at most once a minute, off the request path.
    if (!row.last_used || Date.now() - row.last_used.getTime() > 60_000) {
      void this.auth.stampKeyUse(table, row.id).catch(() => undefined);
    }
  }

  private async userKey(token: string): Promise<UserKeyPrincipal> {
    const row = await this.auth.userKey(sha256Hex(token));
    if (!row) throw new AppError('auth_not_authenticated');
    this.checkKey(row, 'user_api_keys', 'User API Key');
    return {
      kind: 'user_api_key',
      keyId: row.id,
      userId: row.user_id,
      organizationId: row.organization_id,
      role: row.permissions,
      networkIds: row.network_ids,
    };
  }

  private async daemonKey(token: string, daemonId?: string, version?: string): Promise<DaemonPrincipal> {
    if (!daemonId || !UUID_RE.test(daemonId)) throw new AppError('auth_daemon_required');
    const row = await this.auth.daemonKey(sha256Hex(token));
    if (!row) {
      // An unknown daemon with an unknown key is the onboarding race (key not saved yet): tell it to retry.
      const known = await this.auth.daemonExists(daemonId);
      throw new AppError(known ? 'auth_not_authenticated' : 'auth_daemon_key_not_created');
    }
    this.checkKey(row, 'api_keys', 'Daemon API Key');
    return {
      kind: 'daemon',
      keyId: row.id,
      daemonId,
      networkId: row.network_id,
      organizationId: row.organization_id,
      networkIds: [row.network_id],
      version,
    };
  }
}
