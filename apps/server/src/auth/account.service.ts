import { randomUUID } from 'node:crypto';
import type { Db, Queryable } from '../db/client.ts';
import { AppError } from '../http/errors.ts';
import { createNetwork } from '../entities/networks/networks.service.ts';
import type { IntegratedDaemon } from '../discovery/integrated-daemon.ts';
import { burnVerify, hashPassword, passwordProblem, verifyPassword } from './passwords.ts';

export const userColumns = `u.id, u.email, u.organization_id, u.permissions, u.email_verified,
  (u.password_hash IS NOT NULL) AS has_password, u.terms_accepted_at,
  COALESCE((SELECT array_agg(a.network_id) FROM user_network_access a WHERE a.user_id = u.id), '{}') AS network_ids,
  u.created_at, u.updated_at`;

export interface SetupData {
  organization_name: string;
  network: { name: string };
}

const LOCK_AFTER = 5;
const LOCK_MS = 15 * 60_000;

/** Registration and login rules, kept apart from HTTP. */
export class AccountService {
  /** Failed logins per lower-cased email (in memory: a restart forgives, which is acceptable for a lockout). */
  private readonly failures = new Map<string, { count: number; until: number }>();

  constructor(
    private readonly db: Db,
    private readonly integratedDaemon?: IntegratedDaemon,
  ) {}

  async getUser(id: string) {
    const [u] = await this.db.query(`SELECT ${userColumns} FROM users u WHERE u.id = $1`, [id]);
    if (!u) throw new AppError('auth_not_authenticated');
    return u;
  }

  async register(
    email: string,
    password: string,
    termsAccepted: boolean,
    setup?: SetupData,
    disableRegistration = false,
    inviteId?: string,
  ) {
    const problem = passwordProblem(password);
    if (problem) throw new AppError('auth_password_invalid', { detail: problem });
    const hash = await hashPassword(password);
    const result = await this.db.transaction(async (tx) => {
      // Serialize registrations so "first user becomes Owner" holds even under concurrent sign-ups.
      await tx.query('SELECT pg_advisory_xact_lock(7206073)');
      const [{ n }] = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM users');
      if (n > 0 && disableRegistration) throw new AppError('auth_registration_disabled');
      const [dupe] = await tx.query('SELECT 1 FROM users WHERE lower(email) = lower($1)', [email]);
      if (dupe) throw new AppError('user_email_in_use');
      if (inviteId) {
        const userId = await joinByInvite(tx, inviteId, email, hash, termsAccepted);
        return { userId, networkId: '', first: false };
      }
      const orgId = randomUUID();
      await tx.query('INSERT INTO organizations (id, name) VALUES ($1, $2)', [
        orgId,
        setup?.organization_name || 'My Organization',
      ]);
      const userId = randomUUID();
      await tx.query(
        `INSERT INTO users (id, organization_id, email, password_hash, permissions, email_verified, terms_accepted_at)
         VALUES ($1, $2, $3, $4, 'Owner', true, $5)`,
        [userId, orgId, email, hash, termsAccepted ? new Date() : null],
      );
      const networkId = await createNetwork(tx, orgId, setup?.network.name || 'My Network');
      return { userId, networkId, first: n === 0 };
    });
    if (result.first) await this.integratedDaemon?.provision(result.networkId, result.userId);
    return this.getUser(result.userId);
  }

  async login(email: string, password: string) {
    const key = email.toLowerCase();
    const f = this.failures.get(key);
    if (f && f.count >= LOCK_AFTER && f.until > Date.now()) {
      throw new AppError('auth_too_many_attempts', { seconds: Math.ceil((f.until - Date.now()) / 1000) });
    }
    const [row] = await this.db.query<{ id: string; password_hash: string | null }>(
      'SELECT id, password_hash FROM users WHERE lower(email) = lower($1)',
      [email],
    );
    const good = row
      ? await verifyPassword(row.password_hash, password)
      : (await burnVerify(password), false);
    if (!row || !good) {
      // Bounded memory: forget expired lockouts once the map grows.
      if (this.failures.size > 10_000) {
        for (const [k, v] of this.failures) if (v.until <= Date.now()) this.failures.delete(k);
      }
      const next = f && f.until > Date.now() ? f.count + 1 : 1;
      this.failures.set(key, { count: next, until: Date.now() + LOCK_MS });
      throw new AppError('auth_invalid_credentials');
    }
    this.failures.delete(key);
    return this.getUser(row.id);
  }
}

/** Registration through an invite: the user joins the invite's org with its role and networks; the invite is spent. */
async function joinByInvite(tx: Queryable, inviteId: string, email: string, hash: string, terms: boolean) {
  const [inv] = await tx.query<{
    organization_id: string;
    permissions: string;
    network_ids: string[];
    send_to: string | null;
  }>(
    'SELECT organization_id, permissions, network_ids, send_to FROM invites WHERE id = $1 AND expires_at > now() FOR UPDATE',
    [inviteId],
  );
  if (!inv) throw new AppError('invite_invalid');
  if (inv.send_to && inv.send_to.toLowerCase() !== email.toLowerCase())
    throw new AppError('invite_email_mismatch');
  await tx.query('DELETE FROM invites WHERE id = $1', [inviteId]);
  const userId = randomUUID();
  await tx.query(
    `INSERT INTO users (id, organization_id, email, password_hash, permissions, email_verified, terms_accepted_at)
     VALUES ($1, $2, $3, $4, $5, true, $6)`,
    [userId, inv.organization_id, email, hash, inv.permissions, terms ? new Date() : null],
  );
  // Networks deleted since the invite was made are skipped rather than failing the registration.
  await tx.query(
    `INSERT INTO user_network_access (user_id, network_id)
     SELECT $1, id FROM networks WHERE organization_id = $2 AND id = ANY($3::uuid[])`,
    [userId, inv.organization_id, inv.network_ids],
  );
  return userId;
}
