import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Provider } from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { oidcProviders } from '../src/auth/oidc.settings.ts';
import { ConfigError, loadConfig } from '../src/config.ts';
import { Client, registerOwner, startTestServer, type TestServer } from './harness.ts';
import { sqlRows } from './sql.ts';

/**
 * OIDC sign-in against a real identity provider: oidc-provider on 127.0.0.1, driven over HTTP like a browser would
 * (redirects followed by hand, the provider's login and consent answered by the interaction endpoints below).
 * PGlite only: the flow's SQL is plain lookups and one unique index, which migrations.test.ts builds on both
 * backends; a second backend would only double the provider round trips.
 */

const CLIENT_ID = 'scanopy';
const CLIENT_SECRET = 'client-secret-for-tests-only';
const PUBLIC_URL = 'http://localhost:60072';

interface Account {
  email?: string;
  email_verified?: boolean;
}

interface Idp {
  issuer: string;
  accounts: Map<string, Account>;
  close: () => Promise<void>;
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  let body = '';
  for await (const chunk of req) body += String(chunk);
  return new URLSearchParams(body);
}

/**
 * The provider's own login and consent pages, reduced to what a test needs: GET answers which prompt is due as
 * JSON; POST `login=<subject>` signs that account in, `consent=yes` grants the requested scopes, `abort=1` refuses.
 */
async function interaction(provider: Provider, req: IncomingMessage, res: ServerResponse) {
  const details = await provider.interactionDetails(req, res);
  if (req.method === 'GET') {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ uid: details.uid, prompt: details.prompt.name }));
    return;
  }
  const form = await readForm(req);
  if (form.get('abort')) {
    await provider.interactionFinished(
      req,
      res,
      { error: 'access_denied', error_description: 'The user refused the sign-in' },
      { mergeWithLastSubmission: false },
    );
    return;
  }
  if (details.prompt.name === 'login') {
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId: form.get('login') } },
      { mergeWithLastSubmission: false },
    );
    return;
  }
  const grant = new provider.Grant({
    accountId: details.session!.accountId,
    clientId: details.params.client_id,
  });
  const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  await provider.interactionFinished(
    req,
    res,
    { consent: { grantId: await grant.save() } },
    { mergeWithLastSubmission: true },
  );
}

async function startIdp(): Promise<Idp> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const accounts = new Map<string, Account>();
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        redirect_uris: [`${PUBLIC_URL}/api/auth/oidc/test/callback`],
        response_types: ['code'],
        grant_types: ['authorization_code'],
      },
    ],
    jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'test', use: 'sig', alg: 'RS256' }] },
    cookies: { keys: ['cookie-key-for-tests-only'] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'] },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx: unknown, i: { uid: string }) => `/interaction/${i.uid}` },
    pkce: { required: () => true },
    ttl: {
      AccessToken: 600,
      AuthorizationCode: 60,
      Grant: 600,
      IdToken: 600,
      Interaction: 600,
      Session: 600,
    },
    findAccount: (_ctx: unknown, sub: string) => {
      const a = accounts.get(sub);
      return a && { accountId: sub, claims: () => ({ sub, ...a }) };
    },
  });
  const handle = provider.callback();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.url?.startsWith('/interaction/')) {
      interaction(provider, req, res).catch((err: unknown) => {
        res.statusCode = 500;
        res.end(String(err));
      });
    } else handle(req, res);
  });
  return {
    issuer,
    accounts,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The browser's side at the provider: a cookie jar and redirects followed until the provider sends it back. */
class IdpBrowser {
  private readonly jar = new Map<string, string>();
  constructor(private readonly issuer: string) {}

  private async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { ...(cookie ? { cookie } : {}), ...(init.headers as Record<string, string>) },
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const name = pair.slice(0, pair.indexOf('='));
      const value = pair.slice(pair.indexOf('=') + 1);
      const expired = attrs.some((a) => /expires=thu, 01 jan 1970/i.test(a.trim()));
      if (!value || expired) this.jar.delete(name);
      else this.jar.set(name, value);
    }
    return res;
  }

  /** Signs in at the provider as `subject` (or refuses with `abort`) and returns where it redirects back to. */
  async signIn(authorizeUrl: string, subject: string, abort = false): Promise<string> {
    let url = authorizeUrl;
    for (let hop = 0; hop < 12; hop++) {
      if (!url.startsWith(this.issuer)) return url;
      const res = await this.fetch(url);
      const location = res.headers.get('location');
      if (location) {
        url = new URL(location, url).href;
        continue;
      }
      expect(res.status, await res.clone().text()).toBe(200);
      const { prompt } = (await res.json()) as { prompt: string };
      const form: Record<string, string> = abort
        ? { abort: '1' }
        : prompt === 'login'
          ? { login: subject }
          : { consent: 'yes' };
      const post = await this.fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form).toString(),
      });
      expect(post.status).toBe(303);
      url = new URL(post.headers.get('location')!, url).href;
    }
    throw new Error('the provider never redirected back');
  }
}

const providerJson = (issuer: string) =>
  JSON.stringify([
    {
      name: 'Test IdP',
      slug: 'test',
      logo: 'https://idp.example/logo.svg',
      issuer_url: `${issuer}/`,
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
    },
  ]);

/** Location of a redirect as path + query, the way the Scanopy client follows it. */
function target(location: string): URL {
  return new URL(location, PUBLIC_URL);
}

describe('OIDC sign-in against a local provider', () => {
  let idp: Idp;
  let s: TestServer;
  /** Two more apps on the same database: registration disabled, and no providers configured. */
  let closed: FastifyInstance;
  let bare: FastifyInstance;

  beforeAll(async () => {
    idp = await startIdp();
    s = await startTestServer('pglite', { oidcProviders: providerJson(idp.issuer) });
    closed = await buildApp({ config: { ...s.config, disableRegistration: true }, db: s.db });
    bare = await buildApp({ config: { ...s.config, oidcProviders: undefined }, db: s.db });
  });
  afterAll(async () => {
    await closed?.close();
    await bare?.close();
    await s?.close();
    await idp?.close();
  });

  /** Runs one flow from authorize to callback; returns the callback's redirect. */
  async function flow(
    c: Client,
    query: string,
    subject: string,
    opts: { abort?: boolean; tamper?: (callback: URL) => void } = {},
  ): Promise<URL> {
    const start = await c.req('GET', `/api/auth/oidc/test/authorize?${query}`);
    expect(start.statusCode, start.body).toBe(302);
    // A relative Location is the server sending the browser back with an error (e.g. the provider did not answer).
    expect(start.headers.location, 'redirect to the provider').toMatch(/^https?:\/\//);
    const authorize = new URL(start.headers.location as string);
    expect(authorize.origin).toBe(idp.issuer);
    const back = new URL(await new IdpBrowser(idp.issuer).signIn(authorize.href, subject, opts.abort));
    expect(back.origin + back.pathname).toBe(`${PUBLIC_URL}/api/auth/oidc/test/callback`);
    opts.tamper?.(back);
    const done = await c.req('GET', back.pathname + back.search);
    expect(done.statusCode, done.body).toBe(302);
    return target(done.headers.location as string);
  }

  it('lists the providers publicly without their issuer or credentials', async () => {
    const c = new Client(s.app);
    const list = await c.req('GET', '/api/auth/oidc/providers');
    const config = await c.req('GET', '/api/config');
    const expected = [{ name: 'Test IdP', slug: 'test', logo: 'https://idp.example/logo.svg' }];
    expect(list.json().data).toEqual(expected);
    expect(config.json().data.oidc_providers).toEqual(expected);
    for (const body of [list.body, config.body]) {
      expect(body).not.toContain(CLIENT_SECRET);
      expect(body).not.toContain(idp.issuer);
    }
  });

  it('sends the browser to the provider with PKCE S256, a nonce and a state kept in the session', async () => {
    const c = new Client(s.app);
    const res = await c.req('GET', '/api/auth/oidc/test/authorize?flow=login&return_url=/hosts');
    expect(res.statusCode).toBe(302);
    const url = new URL(res.headers.location as string);
    expect(url.origin + url.pathname).toBe(`${idp.issuer}/auth`);
    const q = url.searchParams;
    expect(q.get('client_id')).toBe(CLIENT_ID);
    expect(q.get('redirect_uri')).toBe(`${PUBLIC_URL}/api/auth/oidc/test/callback`);
    expect(q.get('scope')).toBe('openid email profile');
    expect(q.get('code_challenge_method')).toBe('S256');
    expect(q.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(q.get('nonce')).toBeTruthy();
    expect(q.get('state')).toBeTruthy();
    // The verifier and nonce stay on the server, in the anonymous session the cookie names.
    expect(c.cookie).toBeDefined();
    const [row] = await sqlRows<{ data: { oidc_pending_auth: Record<string, unknown> } }>(
      s.db,
      'SELECT data FROM sessions WHERE user_id IS NULL ORDER BY created_at DESC LIMIT 1',
    );
    expect(row.data.oidc_pending_auth).toMatchObject({
      slug: 'test',
      flow: 'login',
      state: q.get('state'),
      nonce: q.get('nonce'),
      return_url: '/hosts',
    });
  });

  it('registers a new user with an organization and network, then signs the same user in again', async () => {
    idp.accounts.set('alice-sub', { email: 'alice@example.com', email_verified: true });
    const c = new Client(s.app);
    const back = await flow(c, 'flow=register&return_url=/hosts&terms_accepted=true', 'alice-sub');
    expect(back.pathname + back.search).toBe('/hosts');
    const me = await c.json('POST', '/api/auth/me');
    expect(me).toMatchObject({
      email: 'alice@example.com',
      permissions: 'Owner',
      has_password: false,
      email_verified: true,
      oidc_provider: 'test',
    });
    expect(me.oidc_linked_at).toBeTruthy();
    expect(me).not.toHaveProperty('oidc_subject');
    expect(me.terms_accepted_at).toBeTruthy();
    expect(await c.json('GET', '/api/v1/networks')).toHaveLength(1);
    const [org] = await sqlRows<{ n: number }>(
      s.db,
      'SELECT count(*)::int AS n FROM organizations WHERE id = $1',
      [me.organization_id],
    );
    expect(org.n).toBe(1);

    // A second browser signs in through the login flow and lands on the same account.
    const other = new Client(s.app);
    const again = await flow(other, 'flow=login&return_url=/', 'alice-sub');
    expect(again.pathname + again.search).toBe('/');
    expect((await other.json('POST', '/api/auth/me')).id).toBe(me.id);
    // The register flow for an identity that already has an account signs in too, without a second account.
    const third = new Client(s.app);
    await flow(third, 'flow=register', 'alice-sub');
    expect((await third.json('POST', '/api/auth/me')).id).toBe(me.id);
    const [users] = await sqlRows<{ n: number }>(
      s.db,
      "SELECT count(*)::int AS n FROM users WHERE oidc_subject = 'alice-sub'",
    );
    expect(users.n).toBe(1);
  });

  it('refuses to sign in an identity that has no account, and does not create one', async () => {
    idp.accounts.set('nobody-sub', { email: 'nobody@example.com', email_verified: true });
    const c = new Client(s.app);
    const back = await flow(c, 'flow=login&return_url=/', 'nobody-sub');
    expect(back.pathname).toBe('/');
    expect(back.searchParams.get('error')).toMatch(/No account is linked to this Test IdP identity/);
    expect((await c.req('POST', '/api/auth/me')).statusCode).toBe(401);
    expect(await sqlRows(s.db, "SELECT 1 FROM users WHERE email = 'nobody@example.com'")).toHaveLength(0);
  });

  it('links a provider identity to a password user, signs in with it, and unlinks it again', async () => {
    const owner = await registerOwner(s.app, 'bob@example.com');
    idp.accounts.set('bob-sub', { email: 'bob.elsewhere@example.com', email_verified: true });
    const back = await flow(owner.client, 'flow=link&return_url=/hosts', 'bob-sub');
    expect(back.pathname).toBe('/hosts');
    expect(back.searchParams.get('modal')).toBe('settings');
    expect(back.searchParams.get('error')).toBeNull();
    const me = await owner.client.json('POST', '/api/auth/me');
    expect(me).toMatchObject({ id: owner.user.id, oidc_provider: 'test', has_password: true });

    const browser = new Client(s.app);
    await flow(browser, 'flow=login', 'bob-sub');
    expect((await browser.json('POST', '/api/auth/me')).id).toBe(owner.user.id);

    // Linking the same identity to someone else is refused.
    const carol = await registerOwner(s.app, 'carol-link@example.com');
    const refused = await flow(carol.client, 'flow=link&return_url=/', 'bob-sub');
    expect(refused.searchParams.get('modal')).toBe('settings');
    expect(refused.searchParams.get('error')).toMatch(/already linked to another Scanopy user/);

    const unlinked = await owner.client.json('POST', '/api/auth/oidc/test/unlink');
    expect(unlinked).toMatchObject({ id: owner.user.id, oidc_provider: null, oidc_linked_at: null });
    const [row] = await sqlRows<{ oidc_subject: string | null }>(
      s.db,
      'SELECT oidc_subject FROM users WHERE id = $1',
      [owner.user.id],
    );
    expect(row.oidc_subject).toBeNull();
    // Unlinking again changes nothing; the identity no longer signs anyone in.
    await owner.client.json('POST', '/api/auth/oidc/test/unlink');
    const after = await flow(new Client(s.app), 'flow=login', 'bob-sub');
    expect(after.searchParams.get('error')).toMatch(/No account is linked/);
  });

  it('refuses to unlink the only way an OIDC-registered user can sign in', async () => {
    idp.accounts.set('dave-sub', { email: 'dave@example.com', email_verified: true });
    const c = new Client(s.app);
    await flow(c, 'flow=register', 'dave-sub');
    const res = await c.req('POST', '/api/auth/oidc/test/unlink');
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: 'auth_password_required' });
    expect(res.json().error).toMatch(/Set a password before unlinking Test IdP/);
    expect((await c.json('POST', '/api/auth/me')).oidc_provider).toBe('test');
    expect((await new Client(s.app).req('POST', '/api/auth/oidc/test/unlink')).statusCode).toBe(401);
  });

  it('links an existing account by email only when the provider verified the address', async () => {
    const erin = await registerOwner(s.app, 'erin@example.com');
    idp.accounts.set('erin-unverified', { email: 'erin@example.com', email_verified: false });
    const refused = await flow(new Client(s.app), 'flow=login', 'erin-unverified');
    expect(refused.searchParams.get('error')).toMatch(/does not confirm the address/);

    idp.accounts.set('erin-sub', { email: 'ERIN@example.com', email_verified: true });
    const c = new Client(s.app);
    const back = await flow(c, 'flow=login&return_url=/subnets', 'erin-sub');
    expect(back.pathname + back.search).toBe('/subnets');
    expect(await c.json('POST', '/api/auth/me')).toMatchObject({ id: erin.user.id, oidc_provider: 'test' });
  });

  it('answers a tampered state with an error redirect, and the attempt cannot be replayed', async () => {
    idp.accounts.set('frank-sub', { email: 'frank@example.com', email_verified: true });
    const c = new Client(s.app);
    let original = '';
    const back = await flow(c, 'flow=register&return_url=/daemons', 'frank-sub', {
      tamper: (cb) => {
        original = cb.pathname + cb.search;
        cb.searchParams.set('state', 'forged-state');
      },
    });
    expect(back.pathname).toBe('/daemons');
    expect(back.searchParams.get('error')).toMatch(/invalid or has expired/);
    expect((await c.req('POST', '/api/auth/me')).statusCode).toBe(401);
    // The genuine callback afterwards finds no pending attempt: the failed one was consumed.
    const replay = await c.req('GET', original);
    expect(target(replay.headers.location as string).searchParams.get('error')).toMatch(
      /invalid or has expired/,
    );
    // A callback in a browser that never started the flow fails the same way.
    const stranger = await new Client(s.app).req('GET', original);
    expect(stranger.statusCode).toBe(302);
    expect(target(stranger.headers.location as string).searchParams.get('error')).toMatch(/invalid/);
    expect(await sqlRows(s.db, "SELECT 1 FROM users WHERE email = 'frank@example.com'")).toHaveLength(0);
  });

  it('reports a sign-in the user refused at the provider', async () => {
    const back = await flow(new Client(s.app), 'flow=login&return_url=/', 'anyone', { abort: true });
    expect(back.searchParams.get('error')).toBe('Sign-in with Test IdP failed: The user refused the sign-in');
  });

  it('rejects return URLs off this server, unknown providers and bad flows before leaving for the provider', async () => {
    const c = new Client(s.app);
    for (const bad of [
      'https://evil.example/x',
      '//evil.example/x',
      '/\\evil.example',
      'javascript:alert(1)',
      'http://localhost:60073/',
    ]) {
      const res = await c.req('GET', `/api/auth/oidc/test/authorize?return_url=${encodeURIComponent(bad)}`);
      expect(res.statusCode, bad).toBe(400);
      expect(res.json().error).toMatch(/return_url must be a path on this server/);
    }
    const same = await c.req(
      'GET',
      `/api/auth/oidc/test/authorize?return_url=${encodeURIComponent(`${PUBLIC_URL}/hosts?x=1`)}`,
    );
    expect(same.statusCode).toBe(302);
    const unknown = await c.req('GET', '/api/auth/oidc/nope/authorize');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().code).toBe('entity_not_found');
    expect((await c.req('GET', '/api/auth/oidc/test/authorize?flow=steal')).statusCode).toBe(400);
    // Linking needs a signed-in user; the refusal comes back to the page.
    const link = await c.req('GET', '/api/auth/oidc/test/authorize?flow=link&return_url=/x');
    expect(link.statusCode).toBe(302);
    expect(target(link.headers.location as string).searchParams.get('error')).toBe('Not authenticated');
  });

  it('refuses OIDC registration when registration is disabled and an account exists', async () => {
    await registerOwner(s.app, 'first@example.com');
    idp.accounts.set('late-sub', { email: 'late@example.com', email_verified: true });
    const back = await flow(new Client(closed), 'flow=register', 'late-sub');
    expect(back.searchParams.get('error')).toBe('Registration is disabled on this server');
    expect(await sqlRows(s.db, "SELECT 1 FROM users WHERE email = 'late@example.com'")).toHaveLength(0);
  });

  it('answers auth_oidc_not_configured and an empty list when no provider is configured', async () => {
    const c = new Client(bare);
    expect(await c.json('GET', '/api/auth/oidc/providers')).toEqual([]);
    expect((await c.json('GET', '/api/config')).oidc_providers).toEqual([]);
    const res = await c.req('GET', '/api/auth/oidc/test/authorize?flow=login');
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('auth_oidc_not_configured');
    const owner = await registerOwner(bare);
    // Nothing is linked, so there is nothing to remove.
    expect((await owner.client.json('POST', '/api/auth/oidc/test/unlink')).oidc_provider).toBeNull();
  });
});

describe('OIDC provider configuration', () => {
  const good = {
    name: 'Corp',
    slug: 'corp',
    issuer_url: 'https://id.corp.example/',
    client_id: 'c',
    client_secret: 's',
  };

  it('reads SCANOPY_OIDC_PROVIDERS and refuses invalid lists at boot naming the problem', () => {
    expect(oidcProviders(loadConfig({ SCANOPY_OIDC_PROVIDERS: JSON.stringify([good]) }))).toEqual([good]);
    const cases: [unknown, RegExp][] = [
      [{ ...good }, /must be a list/],
      [[{ ...good, slug: 'Has Spaces' }], /slug "Has Spaces"/],
      [[good, good], /used twice/],
      [[{ ...good, client_secret: '' }], /needs a "client_secret"/],
      [[{ ...good, issuer_url: 'not a url' }], /issuer_url "not a url" is not a URL/],
      [[{ ...good, clientid: 'x' }], /unknown field "clientid"/],
    ];
    for (const [value, message] of cases) {
      const env = { SCANOPY_OIDC_PROVIDERS: JSON.stringify(value) };
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).toThrow(message);
    }
    expect(() => loadConfig({ SCANOPY_OIDC_PROVIDERS: '[{' })).toThrow(
      /SCANOPY_OIDC_PROVIDERS is not valid JSON/,
    );
  });

  it('reads [[oidc_providers]] tables from an oidc.toml file', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'scanopy-oidc-'));
    const file = path.join(dir, 'oidc.toml');
    writeFileSync(
      file,
      [
        '# providers',
        '[[oidc_providers]]',
        'name = "Corp \\"SSO\\""',
        "slug = 'corp' # inline comment",
        'issuer_url = "https://id.corp.example/"',
        'client_id = "c"',
        'client_secret = "s#not-a-comment"',
        '',
        '[[oidc_providers]]',
        'name = "Other"',
        'slug = "other"',
        'logo = "https://other.example/logo.png"',
        'issuer_url = "https://other.example/"',
        'client_id = "o"',
        'client_secret = "p"',
      ].join('\n'),
    );
    const list = oidcProviders(loadConfig({ SCANOPY_OIDC_CONFIG: file }));
    expect(list).toEqual([
      { ...good, name: 'Corp "SSO"', client_secret: 's#not-a-comment' },
      {
        name: 'Other',
        slug: 'other',
        logo: 'https://other.example/logo.png',
        issuer_url: 'https://other.example/',
        client_id: 'o',
        client_secret: 'p',
      },
    ]);
    writeFileSync(file, '[[oidc_providers]]\nname = 3\n');
    expect(() => loadConfig({ SCANOPY_OIDC_CONFIG: file })).toThrow(/oidc\.toml\): line 2/);
    expect(() => loadConfig({ SCANOPY_OIDC_CONFIG: path.join(dir, 'missing.toml') })).toThrow(
      /SCANOPY_OIDC_CONFIG: cannot read/,
    );
  });
});
