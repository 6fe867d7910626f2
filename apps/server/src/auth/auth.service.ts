import type { Db } from '../db/client.ts';
import { AppError } from '../http/errors.ts';
import type { DaemonPrincipal, Principal, Role, SessionPrincipal, UserKeyPrincipal } from './principal.ts';
import type { SessionRow, SessionStore } from './sessions.ts';
import { sha256Hex } from './tokens.ts';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface Credentials {
  bearer?: string;
  daemonId?: string;
  daemonVersion?: string;
  sessionToken?: string;
}

interface KeyRow {
  id: string;
  is_enabled: boolean;
  expires_at: Date | null;
  last_used: Date | null;
}

/** Turns request credentials into a Principal. Bearer beats the cookie, with no fallback when the key fails. */
export class AuthService {
  constructor(
    private readonly db: Db,
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
    // The user and the networks it may see in one round trip (see userNetworks for the rule).
    const [user] = await this.db.query<{
      id: string;
      organization_id: string;
      permissions: Role;
      network_ids: string[];
    }>(
      `SELECT u.id, u.organization_id, u.permissions,
         CASE WHEN u.permissions IN ('Owner', 'Admin')
           THEN ARRAY(SELECT n.id::text FROM networks n WHERE n.organization_id = u.organization_id)
           ELSE ARRAY(SELECT n.id::text FROM user_network_access a JOIN networks n ON n.id = a.network_id
                      WHERE a.user_id = u.id AND n.organization_id = u.organization_id)
         END AS network_ids
       FROM users u WHERE u.id = $1`,
      [session.user_id],
    );
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

  /** Owner/Admin see every network of the org (fresh each request); Member/Viewer only granted ones. */
  async userNetworks(userId: string, orgId: string, role: Role): Promise<string[]> {
    const rows =
      role === 'Owner' || role === 'Admin'
        ? await this.db.query<{ id: string }>('SELECT id FROM networks WHERE organization_id = $1', [orgId])
        : await this.db.query<{ id: string }>(
            `SELECT n.id FROM user_network_access a JOIN networks n ON n.id = a.network_id
             WHERE a.user_id = $1 AND n.organization_id = $2`,
            [userId, orgId],
          );
    return rows.map((r) => r.id);
  }

  private checkKey(row: KeyRow, table: 'api_keys' | 'user_api_keys', entity: string): void {
    if (!row.is_enabled) throw new AppError('entity_disabled', { entity });
    if (row.expires_at && row.expires_at.getTime() <= Date.now()) {
      void this.db
        .query(`UPDATE ${table} SET is_enabled = false, updated_at = now() WHERE id = $1`, [row.id])
        .catch(() => undefined);
      throw new AppError('entity_expired', { entity });
    }
    // last_used is informational: written at most once a minute, off the request path.
    if (!row.last_used || Date.now() - row.last_used.getTime() > 60_000) {
      void this.db
        .query(`UPDATE ${table} SET last_used = now() WHERE id = $1`, [row.id])
        .catch(() => undefined);
    }
  }

  private async userKey(token: string): Promise<UserKeyPrincipal> {
    const [row] = await this.db.query<
      KeyRow & { user_id: string; organization_id: string; permissions: Role; network_ids: string[] }
    >(
      `SELECT k.id, k.is_enabled, k.expires_at, k.last_used, k.user_id, k.organization_id, k.permissions,
         ARRAY(SELECT a.network_id::text FROM user_api_key_network_access a WHERE a.api_key_id = k.id)
           AS network_ids
       FROM user_api_keys k WHERE k.key_hash = $1`,
      [sha256Hex(token)],
    );
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
    const [row] = await this.db.query<KeyRow & { network_id: string; organization_id: string }>(
      `SELECT k.id, k.is_enabled, k.expires_at, k.last_used, k.network_id, n.organization_id
       FROM api_keys k JOIN networks n ON n.id = k.network_id WHERE k.key_hash = $1`,
      [sha256Hex(token)],
    );
    if (!row) {
      const [known] = await this.db.query('SELECT 1 FROM daemons WHERE id = $1', [daemonId]);
      // An unknown daemon with an unknown key is the onboarding race (key not saved yet): tell it to retry.
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
