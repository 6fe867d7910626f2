import * as client from 'openid-client';
import { isPgError } from '../db/client.ts';
import type { UsersRepository } from '../entities/users/users.repository.ts';
import { AppError, badRequest, notFound } from '../http/errors.ts';
import type { AccountService, OidcSignUp, SetupData } from './account.service.ts';
import type { OidcIdentitiesRepository } from './oidc-identities.repository.ts';
import type { OidcProviderConfig } from './oidc.settings.ts';
import type { SessionRow, SessionStore } from './sessions.ts';

export const oidcFlows = ['login', 'register', 'link'] as const;
export type OidcFlow = (typeof oidcFlows)[number];

/** What the browser's session holds between authorize and callback (session key `oidc_pending_auth`). */
export interface PendingAuth {
  slug: string;
  flow: OidcFlow;
  state: string;
  nonce: string;
  code_verifier: string;
  /** A path on this server, checked when the flow started. */
  return_url: string;
  /** The signed-in user a link flow attaches the identity to. */
  user_id?: string;
  terms_accepted: boolean;
  started_at: number;
}

/** What the callback did, for the session and the audit log line. */
export interface Completion {
  userId: string;
  /** `linked`: an identity was attached to an existing account (link flow or a verified email match). */
  outcome: 'login' | 'linked' | 'registered';
}

/** Extras a registration takes from the browser's session, as with password registration. */
export interface RegistrationContext {
  setup?: SetupData;
  inviteId?: string;
}

/**
 * A path on this server to send the browser back to, or undefined when `raw` points elsewhere (no open redirect).
 * Absolute URLs of the public origin are reduced to their path.
 */
export function safeReturnUrl(raw: string | undefined, publicUrl: string): string | undefined {
  if (!raw) return '/';
  // Browsers read a backslash as a slash ("/\evil.example" is protocol-relative); control characters have no use.
  if (/[\\\p{Cc}]/u.test(raw)) return undefined;
  const base = new URL(publicUrl);
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch {
    return undefined;
  }
  if (url.origin !== base.origin) return undefined;
  return url.pathname + url.search + url.hash;
}

interface Identity {
  subject: string;
  email?: string;
  /** The provider's `email_verified` claim, when it sent one. */
  emailVerified?: boolean;
}

const PENDING_TTL_MS = 10 * 60_000;
const SCOPES = 'openid email profile';
const EMAIL_RE = /^[^\s@]+@[^\s@]+$/;
/** Seconds to wait for the provider (discovery, token exchange, userinfo). */
const PROVIDER_TIMEOUT_S = 10;

/** OpenID Connect sign-in, registration and account linking (authorization code flow with PKCE S256 and nonce). */
export class OidcService {
  /** Discovered provider metadata per slug; a failed discovery is forgotten so the next attempt retries. */
  private readonly configs = new Map<string, Promise<client.Configuration>>();

  constructor(
    private readonly identities: OidcIdentitiesRepository,
    private readonly users: UsersRepository,
    private readonly accounts: AccountService,
    private readonly sessions: SessionStore,
    private readonly providers: OidcProviderConfig[],
    private readonly publicUrl: string,
  ) {}

  /** The public view of the providers: never the issuer or the client credentials. */
  list(): { name: string; slug: string; logo?: string }[] {
    return this.providers.map((p) => ({ name: p.name, slug: p.slug, ...(p.logo ? { logo: p.logo } : {}) }));
  }

  provider(slug: string): OidcProviderConfig {
    if (!this.providers.length) throw new AppError('auth_oidc_not_configured');
    const p = this.providers.find((x) => x.slug === slug);
    if (!p) throw notFound('OIDC provider');
    return p;
  }

  /** Where a flow returns to: a path on this server (400 for anything else, so no open redirect). */
  returnPath(raw: string | undefined): string {
    const back = safeReturnUrl(raw, this.publicUrl);
    if (!back) throw badRequest('return_url must be a path on this server');
    return back;
  }

  /**
   * Starts a browser flow: the provider URL to redirect to. The secrets the callback checks stay in the browser's
   * session (an anonymous one is started when there is none; its cookie value is returned).
   */
  async start(
    slug: string,
    session: SessionRow | undefined,
    start: {
      flow: OidcFlow;
      return_url: string;
      terms_accepted: boolean;
      /** The signed-in session user: a link flow needs one. */
      userId?: string;
    },
  ): Promise<{ url: string; token?: string }> {
    if (start.flow === 'link' && !start.userId) throw new AppError('auth_not_authenticated');
    const { url, pending } = await this.begin(slug, {
      flow: start.flow,
      return_url: start.return_url,
      ...(start.userId && start.flow === 'link' ? { user_id: start.userId } : {}),
      terms_accepted: start.terms_accepted,
    });
    // SameSite=Lax still sends the session cookie on the provider's top-level redirect back.
    const token = await this.sessions.remember(session, { oidc_pending_auth: pending });
    return { url, token };
  }

  /** The flow the browser's session is in the middle of, if any. */
  pendingOf(session: SessionRow | undefined): PendingAuth | undefined {
    return session?.data.oidc_pending_auth as PendingAuth | undefined;
  }

  /**
   * Finishes a browser flow from the provider's redirect (the pending attempt is single use, whatever the outcome).
   * Sign-in and registration start a fresh session, whose cookie value is returned; a link keeps the current one.
   */
  async finish(
    slug: string,
    session: SessionRow | undefined,
    query: URLSearchParams,
  ): Promise<Completion & { flow: OidcFlow; token?: string }> {
    const pending = this.pendingOf(session);
    if (session && pending) await this.sessions.forget(session, 'oidc_pending_auth');
    const data = session?.data ?? {};
    const done = await this.complete(slug, pending, query, {
      setup: data.pending_setup as SetupData | undefined,
      inviteId: data.pending_invite_id as string | undefined,
    });
    // complete() refused a missing pending attempt.
    const flow = pending!.flow;
    if (flow === 'link') return { ...done, flow };
    return { ...done, flow, token: await this.sessions.signIn(session, done.userId) };
  }

  /** The redirect URI registered at the provider: `{public_url}/api/auth/oidc/{slug}/callback`. */
  redirectUri(slug: string): string {
    return `${this.publicUrl.replace(/\/+$/, '')}/api/auth/oidc/${slug}/callback`;
  }

  /** Starts a flow: the provider URL to send the browser to and the secrets the callback will check. */
  async begin(
    slug: string,
    start: Pick<PendingAuth, 'flow' | 'return_url' | 'user_id' | 'terms_accepted'>,
  ): Promise<{ url: string; pending: PendingAuth }> {
    const p = this.provider(slug);
    const cfg = await this.configuration(p);
    const pending: PendingAuth = {
      ...start,
      slug,
      state: client.randomState(),
      nonce: client.randomNonce(),
      code_verifier: client.randomPKCECodeVerifier(),
      started_at: Date.now(),
    };
    const url = client.buildAuthorizationUrl(cfg, {
      redirect_uri: this.redirectUri(slug),
      scope: SCOPES,
      code_challenge: await client.calculatePKCECodeChallenge(pending.code_verifier),
      code_challenge_method: 'S256',
      state: pending.state,
      nonce: pending.nonce,
    });
    return { url: url.href, pending };
  }

  /**
   * Finishes a flow from the provider's redirect: checks the state against the pending attempt, exchanges the code
   * (PKCE verifier), verifies the ID token (signature, issuer, audience, nonce) and applies the flow.
   */
  async complete(
    slug: string,
    pending: PendingAuth | undefined,
    query: URLSearchParams,
    ctx: RegistrationContext,
  ): Promise<Completion> {
    if (
      !pending ||
      pending.slug !== slug ||
      pending.state !== query.get('state') ||
      Date.now() - pending.started_at > PENDING_TTL_MS
    ) {
      throw new AppError('auth_oidc_state_invalid');
    }
    const p = this.provider(slug);
    const identity = await this.identify(p, pending, query);
    switch (pending.flow) {
      case 'link':
        if (!pending.user_id) throw new AppError('auth_not_authenticated');
        await this.link(p, pending.user_id, identity);
        return { userId: pending.user_id, outcome: 'linked' };
      case 'login':
      case 'register':
        return this.signIn(p, pending, identity, ctx);
    }
  }

  /**
   * Removes the link to `slug` from a user. Unlinking a provider the user is not linked to changes nothing (the
   * link may name a provider that was since removed from the configuration, so the slug is not checked against it).
   */
  async unlink(userId: string, slug: string): Promise<{ changed: boolean }> {
    const u = await this.users.credentialsById(userId);
    if (!u) throw new AppError('auth_not_authenticated');
    if (u.oidc_provider !== slug) return { changed: false };
    if (u.password_hash === null) {
      throw new AppError('auth_password_required', { provider: this.displayName(slug) });
    }
    await this.identities.unlink(userId);
    return { changed: true };
  }

  private displayName(slug: string): string {
    return this.providers.find((x) => x.slug === slug)?.name ?? slug;
  }

  private configuration(p: OidcProviderConfig): Promise<client.Configuration> {
    let cfg = this.configs.get(p.slug);
    if (!cfg) {
      cfg = this.discover(p).catch((err: unknown) => {
        this.configs.delete(p.slug);
        throw providerError(p, err);
      });
      this.configs.set(p.slug, cfg);
    }
    return cfg;
  }

  private async discover(p: OidcProviderConfig): Promise<client.Configuration> {
    const issuer = new URL(p.issuer_url);
    // An http:// issuer is the administrator's explicit choice (a provider on a trusted LAN, or a test); the
    // library refuses plain HTTP unless told.
    const insecure = issuer.protocol === 'http:';
    const found = await client.discovery(issuer, p.client_id, p.client_secret, undefined, {
      execute: insecure ? [client.allowInsecureRequests] : [],
      timeout: PROVIDER_TIMEOUT_S,
    });
    // client_secret_basic is the default registration of a confidential client, so it is used unless the provider
    // only takes the secret in the form body.
    const methods = found.serverMetadata().token_endpoint_auth_methods_supported;
    if (methods && !methods.includes('client_secret_basic') && methods.includes('client_secret_post')) {
      return found;
    }
    const cfg = new client.Configuration(
      found.serverMetadata(),
      p.client_id,
      p.client_secret,
      client.ClientSecretBasic(p.client_secret),
    );
    if (insecure) client.allowInsecureRequests(cfg);
    cfg.timeout = PROVIDER_TIMEOUT_S;
    return cfg;
  }

  private async identify(
    p: OidcProviderConfig,
    pending: PendingAuth,
    query: URLSearchParams,
  ): Promise<Identity> {
    const cfg = await this.configuration(p);
    const current = new URL(this.redirectUri(p.slug));
    current.search = query.toString();
    try {
      const tokens = await client.authorizationCodeGrant(cfg, current, {
        pkceCodeVerifier: pending.code_verifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
      });
      // expectedNonce makes the library require and verify an ID token, so claims() is set.
      const claims = tokens.claims()!;
      let email = claims.email;
      let verified = claims.email_verified;
      // Providers may keep profile claims out of the ID token when an access token is issued (OIDC Core 5.4).
      if (typeof email !== 'string' && cfg.serverMetadata().userinfo_endpoint) {
        const info = await client.fetchUserInfo(cfg, tokens.access_token, claims.sub);
        email = info.email;
        verified = info.email_verified;
      }
      const usable = typeof email === 'string' && email.length <= 254 && EMAIL_RE.test(email);
      return {
        subject: claims.sub,
        ...(usable ? { email: email as string } : {}),
        ...(typeof verified === 'boolean' ? { emailVerified: verified } : {}),
      };
    } catch (err) {
      throw providerError(p, err);
    }
  }

  /** Login and register flows: a linked identity signs in; a verified matching address links; else register. */
  private async signIn(
    p: OidcProviderConfig,
    pending: PendingAuth,
    id: Identity,
    ctx: RegistrationContext,
  ): Promise<Completion> {
    const linked = await this.identities.userOf({ provider: p.slug, subject: id.subject });
    if (linked) return { userId: linked, outcome: 'login' };
    if (id.email) {
      const owner = await this.users.credentialsByEmail(id.email);
      if (owner) {
        if (owner.oidc_provider) {
          throw conflict(
            'The account with this email address is linked to another sign-in identity; use that one',
          );
        }
        // Only an address the provider vouches for may take over an existing account's sign-in.
        if (id.emailVerified !== true) {
          throw conflict(
            `An account with this email address exists, but ${p.name} does not confirm the address; ` +
              `sign in with your password and link ${p.name} in your settings`,
          );
        }
        await this.identities.link(owner.id, this.oidcIdentity(p, id)).catch(identityTaken(p));
        return { userId: owner.id, outcome: 'linked' };
      }
    }
    if (pending.flow === 'login') throw new AppError('auth_oidc_no_account', { provider: p.name });
    const email = id.email ?? `user${id.subject.replace(/[^A-Za-z0-9]/g, '').slice(0, 8)}@example.com`;
    const user = await this.accounts
      .register({
        email,
        password: null,
        termsAccepted: pending.terms_accepted,
        setup: ctx.setup,
        inviteId: ctx.inviteId,
        oidc: this.oidcIdentity(p, id),
      })
      .catch(identityTaken(p));
    return { userId: user.id, outcome: 'registered' };
  }

  private oidcIdentity(p: OidcProviderConfig, id: Identity): OidcSignUp {
    // A placeholder address (no email from the provider) must not be mailed, so it counts as verified.
    return { provider: p.slug, subject: id.subject, emailVerified: !id.email || id.emailVerified !== false };
  }

  private async link(p: OidcProviderConfig, userId: string, id: Identity): Promise<void> {
    const identity = this.oidcIdentity(p, id);
    await this.identities.transaction(async (trx) => {
      const u = await this.identities.lockLinkOf(trx, userId);
      if (!u) throw new AppError('auth_not_authenticated');
      if (u.oidc_provider === p.slug && u.oidc_subject === id.subject) return;
      if (u.oidc_provider) {
        throw conflict(
          `Your account is already linked to ${this.displayName(u.oidc_provider)}; unlink it first`,
        );
      }
      if (await this.identities.linkedToOther(trx, identity, userId)) {
        throw conflict(`This ${p.name} account is already linked to another Scanopy user`);
      }
      await this.identities.link(userId, identity, trx);
    });
  }
}

const conflict = (detail: string) => new AppError('auth_oidc_identity_conflict', { detail });

/** Two browsers finishing the same identity at once: the unique index decides, the loser gets a clear answer. */
const identityTaken =
  (p: OidcProviderConfig) =>
  (err: unknown): never => {
    if (isPgError(err) && err.code === '23505') {
      throw conflict(`This ${p.name} account is already linked to another Scanopy user`);
    }
    throw err;
  };

/** Provider failures become one coded error; the original stays as `cause` for the log. */
function providerError(p: OidcProviderConfig, err: unknown): AppError {
  if (err instanceof AppError) return err;
  const detail =
    err instanceof client.AuthorizationResponseError
      ? err.error_description || err.error
      : 'the provider could not be reached or sent an answer that failed verification';
  const e = new AppError('auth_oidc_provider_error', { provider: p.name, detail });
  e.cause = err;
  return e;
}
