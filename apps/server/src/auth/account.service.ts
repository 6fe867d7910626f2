import { randomUUID } from 'node:crypto';
import type { Db } from '../db/client.ts';
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
