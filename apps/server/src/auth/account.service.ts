import { randomUUID } from 'node:crypto';
import { isPgError, type Db, type Queryable } from '../db/client.ts';
import { AppError } from '../http/errors.ts';
import { NetworksRepository } from '../entities/networks/networks.repository.ts';
import type { IntegratedDaemon } from '../daemons/integrated-daemon.ts';
import { burnVerify, hashPassword, passwordProblem, verifyPassword } from './passwords.ts';
import type { EmailService } from './email.service.ts';
import { sha256Hex } from './tokens.ts';
import { randomBytes } from 'node:crypto';

export const userColumns = `u.id, u.email, u.organization_id, u.permissions, u.email_verified,
  (u.password_hash IS NOT NULL) AS has_password, u.terms_accepted_at, u.oidc_provider, u.oidc_linked_at,
  COALESCE((SELECT array_agg(a.network_id) FROM user_network_access a WHERE a.user_id = u.id), '{}') AS network_ids,
  u.created_at, u.updated_at`;

export interface SetupData {
  organization_name: string;
  network: { name: string };
}

const LOCK_AFTER = 5;
const LOCK_MS = 15 * 60_000;
const VERIFY_TTL_MS = 24 * 3600_000;
const RESET_TTL_MS = 3600_000;
const RESEND_COOLDOWN_MS = 60_000;

type TokenPurpose = 'verify_email' | 'reset_password' | 'change_email';

/** Registration and login rules, kept apart from HTTP. */
export class AccountService {
  /** Failed logins per lower-cased email (in memory: a restart forgives, which is acceptable for a lockout). */
  private readonly failures = new Map<string, { count: number; until: number }>();
  /** Last verification mail per lower-cased email, for the resend cooldown (in memory, like the reference). */
  private readonly lastResend = new Map<string, number>();

  constructor(
    private readonly db: Db,
    private readonly email: EmailService,
    private readonly integratedDaemon?: IntegratedDaemon,
  ) {}

  async getUser(id: string) {
    const [u] = await this.db.query(`SELECT ${userColumns} FROM users u WHERE u.id = $1`, [id]);
    if (!u) throw new AppError('auth_not_authenticated');
    return u;
  }

  /** Answers whether an address is free for a new account; a taken one (any case) is a 409. */
  async checkEmail(email: string): Promise<void> {
    const [taken] = await this.db.query('SELECT 1 FROM users WHERE lower(email) = lower($1)', [email]);
    if (taken) throw new AppError('user_email_in_use');
  }

  async register(
    email: string,
    password: string | null,
    termsAccepted: boolean,
    setup?: SetupData,
    disableRegistration = false,
    inviteId?: string,
    /** Registration through an OIDC provider: no password, the identity is linked in the same transaction. */
    oidc?: OidcIdentity,
  ) {
    let hash: string | null = null;
    if (password !== null) {
      const problem = passwordProblem(password);
      if (problem) throw new AppError('auth_password_invalid', { detail: problem });
      hash = await hashPassword(password);
    }
    const mailing = this.email.enabled;
    const result = await this.db.transaction(async (tx) => {
      // Serialize registrations so "first user becomes Owner" holds even under concurrent sign-ups.
      await tx.query('SELECT pg_advisory_xact_lock(7206073)');
      const [{ n }] = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM users');
      if (n > 0 && disableRegistration) throw new AppError('auth_registration_disabled');
      const [dupe] = await tx.query('SELECT 1 FROM users WHERE lower(email) = lower($1)', [email]);
      if (dupe) throw new AppError('user_email_in_use');
      // The setup owner stays verified even with email on, so a fresh install is never locked out by a bad SMTP
      // setting; everyone else proves their address when the server can mail them.
      const verified = (oidc?.emailVerified ?? false) || !mailing || n === 0;
      if (inviteId) {
        const userId = await joinByInvite(tx, inviteId, email, hash, termsAccepted, verified);
        if (oidc) await linkOidcIdentity(tx, userId, oidc);
        return { userId, networkId: '', first: false, verified };
      }
      const orgId = randomUUID();
      await tx.query('INSERT INTO organizations (id, name) VALUES ($1, $2)', [
        orgId,
        setup?.organization_name || 'My Organization',
      ]);
      const userId = randomUUID();
      await tx.query(
        `INSERT INTO users (id, organization_id, email, password_hash, permissions, email_verified, terms_accepted_at)
         VALUES ($1, $2, $3, $4, 'Owner', $5, $6)`,
        [userId, orgId, email, hash, verified, termsAccepted ? new Date() : null],
      );
      if (oidc) await linkOidcIdentity(tx, userId, oidc);
      const networkId = await new NetworksRepository(tx.kysely).create(
        tx.kysely,
        orgId,
        setup?.network.name || 'My Network',
      );
      return { userId, networkId, first: n === 0, verified };
    });
    if (result.first) await this.integratedDaemon?.provision(result.networkId, result.userId);
    if (!result.verified) await this.sendVerification(result.userId, email);
    return this.getUser(result.userId);
  }

  async login(email: string, password: string) {
    const key = email.toLowerCase();
    const f = this.failures.get(key);
    if (f && f.count >= LOCK_AFTER && f.until > Date.now()) {
      throw new AppError('auth_too_many_attempts', { seconds: Math.ceil((f.until - Date.now()) / 1000) });
    }
    const [row] = await this.db.query<{ id: string; password_hash: string | null; email_verified: boolean }>(
      'SELECT id, password_hash, email_verified FROM users WHERE lower(email) = lower($1)',
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
    // Checked after the password so the answer reveals nothing about accounts to someone without it.
    if (!row.email_verified) throw new AppError('auth_email_not_verified');
    return this.getUser(row.id);
  }

  /**
   * Consumes a mailed verification token; returns the now verified user. The same link format completes an email
   * change: then the pending address becomes the account's address.
   */
  async verifyEmail(token: string) {
    const { userId, purpose } = await this.consumeToken(token, ['verify_email', 'change_email']);
    if (purpose === 'verify_email') {
      await this.db.query('UPDATE users SET email_verified = true, updated_at = now() WHERE id = $1', [
        userId,
      ]);
      return this.getUser(userId);
    }
    const [changed] = await this.db
      .query<{ email: string }>(
        `UPDATE users SET email = pending_email, pending_email = NULL, email_verified = true, updated_at = now()
         WHERE id = $1 AND pending_email IS NOT NULL RETURNING email`,
        [userId],
      )
      .catch((err: unknown) => {
        // Someone registered the address between the request and the click.
        if (isPgError(err) && err.code === '23505') throw new AppError('user_email_in_use');
        throw err;
      });
    if (!changed) throw new AppError('auth_token_invalid');
    return this.getUser(userId);
  }

  /**
   * Starts an email change for a signed-in user: the new address gets a confirmation link (24 h) and only becomes the
   * account's address when it is followed; the old address is told. Accounts linked to an OIDC provider take their
   * address from the provider.
   */
  async requestEmailChange(userId: string, current: string | null | undefined, newEmail: string) {
    if (!this.email.enabled) throw new AppError('email_not_configured');
    const [row] = await this.db.query<{
      email: string;
      password_hash: string | null;
      oidc_provider: string | null;
    }>('SELECT email, password_hash, oidc_provider FROM users WHERE id = $1', [userId]);
    if (!row) throw new AppError('auth_not_authenticated');
    if (row.oidc_provider) throw new AppError('user_email_managed_by_oidc', { provider: row.oidc_provider });
    if (row.password_hash !== null) {
      if (!current) throw new AppError('auth_password_invalid', { detail: 'Current password is required' });
      if (!(await verifyPassword(row.password_hash, current))) {
        throw new AppError('auth_password_invalid', { detail: 'Current password is incorrect' });
      }
    }
    if (newEmail.toLowerCase() === row.email.toLowerCase()) {
      throw new AppError('validation_failed', { detail: 'new_email is already the address of this account' });
    }
    await this.checkEmail(newEmail);
    const token = await this.issueToken(userId, 'change_email', VERIFY_TTL_MS, (tx) =>
      tx.query('UPDATE users SET pending_email = $2, updated_at = now() WHERE id = $1', [userId, newEmail]),
    );
    this.mailLater({
      to: newEmail,
      subject: 'Confirm your new Scanopy email address',
      text:
        `Follow this link to make ${newEmail} the email address of your Scanopy account ` +
        `(the link is valid for 24 hours):\n${this.email.link(`/verify-email?token=${token}`)}\n\n` +
        `If you did not ask for this, ignore this mail.`,
    });
    this.mailLater({
      to: row.email,
      subject: 'Your Scanopy email address is about to change',
      text:
        `Someone signed in to your Scanopy account asked to change its email address to ${newEmail}. ` +
        `The change happens once the link sent to that address is followed.\n\n` +
        `If this was not you, change your password now: ${this.email.link('/')}`,
    });
  }

  /** Mails a fresh verification link to an unverified account; silent for unknown or verified ones. */
  async resendVerification(email: string): Promise<void> {
    if (!this.email.enabled) throw new AppError('email_not_configured');
    const key = email.toLowerCase();
    const last = this.lastResend.get(key);
    if (last !== undefined && Date.now() - last < RESEND_COOLDOWN_MS) return;
    if (this.lastResend.size > 10_000) {
      for (const [k, t] of this.lastResend)
        if (Date.now() - t >= RESEND_COOLDOWN_MS) this.lastResend.delete(k);
    }
    this.lastResend.set(key, Date.now());
    const [row] = await this.db.query<{ id: string; email: string }>(
      'SELECT id, email FROM users WHERE lower(email) = lower($1) AND NOT email_verified',
      [email],
    );
    if (row) await this.sendVerification(row.id, row.email);
  }

  /** Mails a password reset link when the account exists; the caller answers the same either way. */
  async forgotPassword(email: string): Promise<void> {
    if (!this.email.enabled) throw new AppError('email_not_configured');
    const [row] = await this.db.query<{ id: string; email: string }>(
      'SELECT id, email FROM users WHERE lower(email) = lower($1)',
      [email],
    );
    if (!row) return;
    const token = await this.issueToken(row.id, 'reset_password', RESET_TTL_MS);
    this.mailLater({
      to: row.email,
      subject: 'Reset your Scanopy password',
      text:
        `Someone asked to reset the password of your Scanopy account.\n\n` +
        `Choose a new password here (the link is valid for one hour):\n${this.email.link(`/reset-password?token=${token}`)}\n\n` +
        `If this was not you, ignore this mail; your password stays as it is.`,
    });
  }

  /**
   * Sets a new password from a mailed reset token and ends every session of the user. Following the link proves the
   * address, so the account counts as verified afterwards.
   */
  async resetPassword(token: string, password: string) {
    const problem = passwordProblem(password);
    if (problem) throw new AppError('auth_password_invalid', { detail: problem });
    const hash = await hashPassword(password);
    const { userId } = await this.consumeToken(token, ['reset_password']);
    const [u] = await this.db.query<{ email: string }>(
      `UPDATE users SET password_hash = $2, email_verified = true, updated_at = now() WHERE id = $1 RETURNING email`,
      [userId, hash],
    );
    await this.db.query('DELETE FROM sessions WHERE user_id = $1', [userId]);
    this.failures.delete(u.email.toLowerCase());
    return this.getUser(userId);
  }

  /** Changes the password of a signed-in user and ends their other sessions. */
  async changePassword(
    userId: string,
    currentSessionId: string,
    current: string | null | undefined,
    next: string,
  ) {
    const [row] = await this.db.query<{ email: string; password_hash: string | null }>(
      'SELECT email, password_hash FROM users WHERE id = $1',
      [userId],
    );
    if (!row) throw new AppError('auth_not_authenticated');
    // An account made through OIDC has no password yet: it may set one without a current password.
    if (row.password_hash !== null) {
      if (!current) throw new AppError('auth_password_invalid', { detail: 'Current password is required' });
      if (!(await verifyPassword(row.password_hash, current))) {
        throw new AppError('auth_password_invalid', { detail: 'Current password is incorrect' });
      }
    }
    const problem = passwordProblem(next);
    if (problem) throw new AppError('auth_password_invalid', { detail: problem });
    await this.db.query('UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1', [
      userId,
      await hashPassword(next),
    ]);
    await this.db.query('DELETE FROM sessions WHERE user_id = $1 AND id <> $2', [userId, currentSessionId]);
    this.mailLater({
      to: row.email,
      subject: 'Your Scanopy password was changed',
      text: `The password of your Scanopy account was just changed. If this was not you, reset it at once:\n${this.email.link('/reset-password')}`,
    });
    return this.getUser(userId);
  }

  private async sendVerification(userId: string, email: string): Promise<void> {
    const token = await this.issueToken(userId, 'verify_email', VERIFY_TTL_MS);
    this.mailLater({
      to: email,
      subject: 'Verify your Scanopy email address',
      text:
        `Confirm this address to finish setting up your Scanopy account (the link is valid for 24 hours):\n` +
        this.email.link(`/verify-email?token=${token}`),
    });
  }

  /**
   * A new token replaces earlier ones of the same purpose, so only the latest mail works. `alongside` runs in the same
   * transaction (state the token stands for, such as a pending address).
   */
  private async issueToken(
    userId: string,
    purpose: TokenPurpose,
    ttlMs: number,
    alongside?: (tx: Queryable) => Promise<unknown>,
  ): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await this.db.transaction(async (tx) => {
      await alongside?.(tx);
      await tx.query('DELETE FROM user_tokens WHERE user_id = $1 AND purpose = $2', [userId, purpose]);
      await tx.query(
        'INSERT INTO user_tokens (token_hash, user_id, purpose, expires_at) VALUES ($1, $2, $3, $4)',
        [sha256Hex(token), userId, purpose, new Date(Date.now() + ttlMs)],
      );
    });
    return token;
  }

  /** Deletes the token whatever its state (single use) and returns its user and purpose if it was still valid. */
  private async consumeToken(
    token: string,
    purposes: TokenPurpose[],
  ): Promise<{ userId: string; purpose: TokenPurpose }> {
    const [row] = await this.db.query<{ user_id: string; purpose: TokenPurpose; valid: boolean }>(
      `DELETE FROM user_tokens WHERE token_hash = $1 AND purpose = ANY($2::text[])
       RETURNING user_id, purpose, expires_at > now() AS valid`,
      [sha256Hex(token), purposes],
    );
    if (!row?.valid) throw new AppError('auth_token_invalid');
    return { userId: row.user_id, purpose: row.purpose };
  }

  /** SMTP can be slow; requests do not wait for it and EmailService logs failures. */
  private mailLater(mail: { to: string; subject: string; text: string }): void {
    void this.email.send(mail);
  }
}

/** An identity at an OIDC provider (the provider's slug and the subject it asserts). */
export interface OidcIdentity {
  provider: string;
  subject: string;
  /** The provider vouches for the address, so no verification mail is needed. */
  emailVerified: boolean;
}

/** Links a user to an identity; the unique index on (oidc_provider, oidc_subject) refuses a second user. */
export async function linkOidcIdentity(tx: Queryable, userId: string, id: OidcIdentity): Promise<void> {
  await tx.query(
    `UPDATE users SET oidc_provider = $2, oidc_subject = $3, oidc_linked_at = now(), updated_at = now()
     WHERE id = $1`,
    [userId, id.provider, id.subject],
  );
}

/** Registration through an invite: the user joins the invite's org with its role and networks; the invite is spent. */
async function joinByInvite(
  tx: Queryable,
  inviteId: string,
  email: string,
  hash: string | null,
  terms: boolean,
  verified: boolean,
) {
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
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [userId, inv.organization_id, email, hash, inv.permissions, verified, terms ? new Date() : null],
  );
  // Networks deleted since the invite was made are skipped rather than failing the registration.
  await tx.query(
    `INSERT INTO user_network_access (user_id, network_id)
     SELECT $1, id FROM networks WHERE organization_id = $2 AND id = ANY($3::uuid[])`,
    [userId, inv.organization_id, inv.network_ids],
  );
  return userId;
}
