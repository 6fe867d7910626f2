import { randomBytes } from 'node:crypto';
import type { Kdb } from '../db/client.ts';
import { isPgError } from '../db/client.ts';
import { AppError } from '../http/errors.ts';
import type { IntegratedDaemon } from '../daemons/integrated-daemon.ts';
import type { InvitesRepository } from '../entities/invites/invites.repository.ts';
import type { NetworksRepository } from '../entities/networks/networks.repository.ts';
import type { OrganizationsRepository } from '../entities/organizations/organizations.repository.ts';
import type { UserRow, UsersRepository } from '../entities/users/users.repository.ts';
import type { EmailService } from './email.service.ts';
import type { OidcIdentitiesRepository, OidcIdentity } from './oidc-identities.repository.ts';
import { burnVerify, hashPassword, passwordProblem, verifyPassword } from './passwords.ts';
import type { Role } from './principal.ts';
import type { SessionRow, SessionStore } from './sessions.ts';
import { sha256Hex } from './tokens.ts';
import type { UserTokensRepository } from './user-tokens.repository.ts';

/** What POST /api/auth/setup keeps in the session until the first account registers. */
export interface SetupData {
  organization_name: string;
  network: { name: string };
  /** The id setup answered with: the first network gets it, so a client can use it right after registering. */
  network_id?: string;
}

/** An identity a registration through an OIDC provider links in the same transaction. */
export interface OidcSignUp extends OidcIdentity {
  /** The provider vouches for the address, so no verification mail is needed. */
  emailVerified: boolean;
}

export interface Registration {
  email: string;
  /** null: registration through an OIDC provider, without a password. */
  password: string | null;
  termsAccepted: boolean;
  /** Names for the new organization and network (setup before the first account). */
  setup?: SetupData;
  /** Join this invite's organization instead of making a new one. */
  inviteId?: string;
  oidc?: OidcSignUp;
}

/** A user who just proved who they are, with the cookie value of their new session (none while unverified). */
export interface SignedIn {
  user: UserRow;
  token?: string;
}

const LOCK_AFTER = 5;
const LOCK_MS = 15 * 60_000;
const VERIFY_TTL_MS = 24 * 3600_000;
const RESET_TTL_MS = 3600_000;
const RESEND_COOLDOWN_MS = 60_000;

type TokenPurpose = 'verify_email' | 'reset_password' | 'change_email';

/** Registration, sign-in, lockout and the mailed-link flows (verification, reset, email change). */
export class AccountService {
  /** Failed logins per lower-cased email (in memory: a restart forgives, which is acceptable for a lockout). */
  private readonly failures = new Map<string, { count: number; until: number }>();
  /** Last verification mail per lower-cased email, for the resend cooldown (in memory, like the reference). */
  private readonly lastResend = new Map<string, number>();

  constructor(
    private readonly users: UsersRepository,
    private readonly tokens: UserTokensRepository,
    private readonly organizations: OrganizationsRepository,
    private readonly networks: NetworksRepository,
    private readonly invites: InvitesRepository,
    private readonly identities: OidcIdentitiesRepository,
    private readonly sessions: SessionStore,
    private readonly email: EmailService,
    private readonly opts: {
      /** Only the first account may register (invites still work). */
      disableRegistration: boolean;
      /** Provisioned when the first account registers. */
      integratedDaemon?: IntegratedDaemon;
    },
  ) {}

  async getUser(id: string): Promise<UserRow> {
    const u = await this.users.find(id);
    if (!u) throw new AppError('auth_not_authenticated');
    return u;
  }

  /** Answers whether an address is free for a new account; a taken one (any case) is a 409. */
  async checkEmail(email: string): Promise<void> {
    if (await this.users.emailTaken(email)) throw new AppError('user_email_in_use');
  }

  /** Keeps the setup names in the browser's session for the registration that follows; returns a new cookie value. */
  async startSetup(
    session: SessionRow | undefined,
    setup: SetupData,
    networkId: string,
  ): Promise<string | undefined> {
    return this.sessions.remember(session, { pending_setup: { ...setup, network_id: networkId } });
  }

  /**
   * Registration from the browser: the session's pending setup or invite applies, and the account is signed in
   * unless its address still has to be verified (the emailed link signs it in then).
   */
  async signUp(
    session: SessionRow | undefined,
    input: { email: string; password: string; terms_accepted?: boolean },
  ): Promise<SignedIn> {
    const user = await this.register({
      email: input.email,
      password: input.password,
      termsAccepted: input.terms_accepted ?? false,
      setup: session?.data.pending_setup as SetupData | undefined,
      inviteId: session?.data.pending_invite_id as string | undefined,
    }).catch(async (err: unknown) => {
      // A spent or expired invite must not block this browser from registering on its own later.
      if (session && err instanceof AppError && err.code === 'invite_invalid') {
        await this.sessions.forget(session, 'pending_invite_id');
      }
      throw err;
    });
    if (session) await this.sessions.destroy(session.id);
    if (!user.email_verified) return { user };
    return { user, token: (await this.sessions.create(user.id)).token };
  }

  async register(r: Registration): Promise<UserRow> {
    let hash: string | null = null;
    if (r.password !== null) {
      const problem = passwordProblem(r.password);
      if (problem) throw new AppError('auth_password_invalid', { detail: problem });
      hash = await hashPassword(r.password);
    }
    const mailing = this.email.enabled;
    const result = await this.users.transaction(async (trx) => {
      await this.users.lockRegistrations(trx);
      const n = await this.users.count(trx);
      if (n > 0 && this.opts.disableRegistration) throw new AppError('auth_registration_disabled');
      if (await this.users.emailTaken(r.email, trx)) throw new AppError('user_email_in_use');
      // The setup owner stays verified even with email on, so a fresh install is never locked out by a bad SMTP
      // setting; everyone else proves their address when the server can mail them.
      const verified = (r.oidc?.emailVerified ?? false) || !mailing || n === 0;
      if (r.inviteId) {
        const userId = await this.joinByInvite(trx, r.inviteId, r, hash, verified);
        if (r.oidc) await this.identities.link(userId, r.oidc, trx);
        return { userId, networkId: '', first: false, verified };
      }
      const orgId = await this.organizations.insert(trx, r.setup?.organization_name || 'My Organization');
      const userId = await this.users.insert(trx, {
        organizationId: orgId,
        email: r.email,
        passwordHash: hash,
        permissions: 'Owner',
        emailVerified: verified,
        termsAccepted: r.termsAccepted,
      });
      if (r.oidc) await this.identities.link(userId, r.oidc, trx);
      const networkId = await this.networks.create(
        trx,
        orgId,
        r.setup?.network.name || 'My Network',
        r.setup?.network_id && !(await this.networks.exists(trx, r.setup.network_id))
          ? r.setup.network_id
          : undefined,
      );
      return { userId, networkId, first: n === 0, verified };
    });
    if (result.first) await this.opts.integratedDaemon?.provision(result.networkId, result.userId);
    if (!result.verified) await this.sendVerification(result.userId, r.email);
    return this.getUser(result.userId);
  }

  /** Registration through an invite: the user joins the invite's org with its role and networks; the invite is spent. */
  private async joinByInvite(
    trx: Kdb,
    inviteId: string,
    r: Registration,
    hash: string | null,
    verified: boolean,
  ): Promise<string> {
    const inv = await this.invites.lockLive(trx, inviteId);
    if (!inv) throw new AppError('invite_invalid');
    if (inv.send_to && inv.send_to.toLowerCase() !== r.email.toLowerCase()) {
      throw new AppError('invite_email_mismatch');
    }
    await this.invites.delete(inviteId, trx);
    const userId = await this.users.insert(trx, {
      organizationId: inv.organization_id,
      email: r.email,
      passwordHash: hash,
      permissions: inv.permissions as Role,
      emailVerified: verified,
      termsAccepted: r.termsAccepted,
    });
    // Networks deleted since the invite was made are skipped rather than failing the registration.
    await this.users.grantExistingNetworks(trx, userId, inv.organization_id, inv.network_ids);
    return userId;
  }

  /** Checks the password (with a lockout after repeated failures) and signs the user in with a fresh session. */
  async login(session: SessionRow | undefined, email: string, password: string): Promise<Required<SignedIn>> {
    const key = email.toLowerCase();
    const f = this.failures.get(key);
    if (f && f.count >= LOCK_AFTER && f.until > Date.now()) {
      throw new AppError('auth_too_many_attempts', { seconds: Math.ceil((f.until - Date.now()) / 1000) });
    }
    const row = await this.users.credentialsByEmail(email);
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
    return this.signIn(session, row.id);
  }

  /** Ends the browser's session, if any. */
  async logout(session: SessionRow | undefined): Promise<void> {
    if (session) await this.sessions.destroy(session.id);
  }

  /** Ends every session of the user, this browser's included (a lost laptop, a shared computer). */
  async logoutEverywhere(userId: string): Promise<void> {
    await this.sessions.endAllOf(userId);
  }

  /**
   * Consumes a mailed verification token and signs the now verified user in. The same link format completes an email
   * change: then the pending address becomes the account's address.
   */
  async verifyEmail(session: SessionRow | undefined, token: string): Promise<Required<SignedIn>> {
    const { userId, purpose } = await this.consumeToken(token, ['verify_email', 'change_email']);
    if (purpose === 'verify_email') {
      await this.users.markVerified(userId);
      return this.signIn(session, userId);
    }
    const changed = await this.users.applyPendingEmail(userId).catch((err: unknown) => {
      // Someone registered the address between the request and the click.
      if (isPgError(err) && err.code === '23505') throw new AppError('user_email_in_use');
      throw err;
    });
    if (!changed) throw new AppError('auth_token_invalid');
    return this.signIn(session, userId);
  }

  /**
   * Starts an email change for a signed-in user: the new address gets a confirmation link (24 h) and only becomes the
   * account's address when it is followed; the old address is told. Accounts linked to an OIDC provider take their
   * address from the provider.
   */
  async requestEmailChange(userId: string, current: string | null | undefined, newEmail: string) {
    if (!this.email.enabled) throw new AppError('email_not_configured');
    const row = await this.users.credentialsById(userId);
    if (!row) throw new AppError('auth_not_authenticated');
    if (row.oidc_provider) throw new AppError('user_email_managed_by_oidc', { provider: row.oidc_provider });
    await checkCurrentPassword(row.password_hash, current);
    if (newEmail.toLowerCase() === row.email.toLowerCase()) {
      throw new AppError('validation_failed', { detail: 'new_email is already the address of this account' });
    }
    await this.checkEmail(newEmail);
    const token = await this.issueToken(userId, 'change_email', VERIFY_TTL_MS, (trx) =>
      this.users.setPendingEmail(trx, userId, newEmail),
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
    const row = await this.users.credentialsByEmail(email);
    if (row && !row.email_verified) await this.sendVerification(row.id, row.email);
  }

  /** Mails a password reset link when the account exists; the caller answers the same either way. */
  async forgotPassword(email: string): Promise<void> {
    if (!this.email.enabled) throw new AppError('email_not_configured');
    const row = await this.users.credentialsByEmail(email);
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
   * Sets a new password from a mailed reset token, ends every session of the user and signs them in. Following the
   * link proves the address, so the account counts as verified afterwards.
   */
  async resetPassword(
    session: SessionRow | undefined,
    token: string,
    password: string,
  ): Promise<Required<SignedIn>> {
    const problem = passwordProblem(password);
    if (problem) throw new AppError('auth_password_invalid', { detail: problem });
    const hash = await hashPassword(password);
    const { userId } = await this.consumeToken(token, ['reset_password']);
    const u = await this.users.setPassword(userId, hash, true);
    await this.sessions.endAllOf(userId);
    this.failures.delete(u.email.toLowerCase());
    return this.signIn(session, userId);
  }

  /** Changes the password of a signed-in user and ends their other sessions. */
  async changePassword(
    userId: string,
    currentSessionId: string,
    current: string | null | undefined,
    next: string,
  ): Promise<UserRow> {
    const row = await this.users.credentialsById(userId);
    if (!row) throw new AppError('auth_not_authenticated');
    // An account made through OIDC has no password yet: it may set one without a current password.
    await checkCurrentPassword(row.password_hash, current);
    const problem = passwordProblem(next);
    if (problem) throw new AppError('auth_password_invalid', { detail: problem });
    await this.users.setPassword(userId, await hashPassword(next));
    await this.sessions.endAllOf(userId, currentSessionId);
    this.mailLater({
      to: row.email,
      subject: 'Your Scanopy password was changed',
      text: `The password of your Scanopy account was just changed. If this was not you, reset it at once:\n${this.email.link('/reset-password')}`,
    });
    return this.getUser(userId);
  }

  private async signIn(session: SessionRow | undefined, userId: string): Promise<Required<SignedIn>> {
    const token = await this.sessions.signIn(session, userId);
    return { user: await this.getUser(userId), token };
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
    alongside?: (trx: Kdb) => Promise<unknown>,
  ): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await this.tokens.transaction(async (trx) => {
      await alongside?.(trx);
      await this.tokens.replace(trx, {
        userId,
        purpose,
        tokenHash: sha256Hex(token),
        expiresAt: new Date(Date.now() + ttlMs),
      });
    });
    return token;
  }

  /** Deletes the token whatever its state (single use) and returns its user and purpose if it was still valid. */
  private async consumeToken(
    token: string,
    purposes: TokenPurpose[],
  ): Promise<{ userId: string; purpose: TokenPurpose }> {
    const row = await this.tokens.take(sha256Hex(token), purposes);
    if (!row?.valid) throw new AppError('auth_token_invalid');
    return { userId: row.user_id, purpose: row.purpose as TokenPurpose };
  }

  /** SMTP can be slow; requests do not wait for it and EmailService logs failures. */
  private mailLater(mail: { to: string; subject: string; text: string }): void {
    void this.email.send(mail);
  }
}

/** A password change needs the current password when the account has one. */
async function checkCurrentPassword(
  stored: string | null,
  current: string | null | undefined,
): Promise<void> {
  if (stored === null) return;
  if (!current) throw new AppError('auth_password_invalid', { detail: 'Current password is required' });
  if (!(await verifyPassword(stored, current))) {
    throw new AppError('auth_password_invalid', { detail: 'Current password is incorrect' });
  }
}
