import { generateKeyPairSync } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Provider } from 'oidc-provider';

/** The one account of the test identity provider. */
export interface IdpAccount {
  subject: string;
  email: string;
}

export interface TestIdp {
  /** The issuer URL (http://127.0.0.1:<port>). */
  issuer: string;
  /**
   * Creates the provider for a Scanopy server at `publicUrl` (the redirect URI contains the server's port, which is
   * only known once the server is being started) and returns the server's SCANOPY_OIDC_PROVIDERS value.
   */
  configure(publicUrl: string): string;
  close(): Promise<void>;
}

export const IDP_SLUG = 'test-idp';
export const IDP_NAME = 'Test IdP';
const CLIENT_ID = 'scanopy-e2e';
const CLIENT_SECRET = 'client-secret-for-browser-tests-only';

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  let body = '';
  for await (const chunk of req) body += String(chunk);
  return new URLSearchParams(body);
}

const page = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head>` +
  `<body><main><h1>${title}</h1>${body}</main></body></html>`;

/**
 * A real OpenID Connect provider (oidc-provider) on loopback for browser tests, with one account. Its login and
 * consent prompts are plain HTML forms a test clicks through: a "Sign in" button for the account, then "Allow".
 */
export async function startIdp(account: IdpAccount): Promise<TestIdp> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let provider: Provider | undefined;
  let handle: ReturnType<Provider['callback']> | undefined;

  async function interaction(p: Provider, req: IncomingMessage, res: ServerResponse) {
    const details = await p.interactionDetails(req, res);
    const prompt = details.prompt.name;
    if (req.method === 'GET') {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(
        prompt === 'login'
          ? page(
              `Sign in to ${IDP_NAME}`,
              `<form method="post"><button name="login" value="${account.subject}" data-testid="idp-login">` +
                `Sign in as ${account.email}</button></form>`,
            )
          : page(
              `Allow Scanopy to see your email address?`,
              `<form method="post"><button name="consent" value="yes" data-testid="idp-allow">Allow</button></form>`,
            ),
      );
      return;
    }
    const form = await readForm(req);
    if (prompt === 'login') {
      await p.interactionFinished(
        req,
        res,
        { login: { accountId: form.get('login') ?? '' } },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    const grant = new p.Grant({
      accountId: details.session!.accountId,
      clientId: details.params.client_id,
    });
    const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    await p.interactionFinished(
      req,
      res,
      { consent: { grantId: await grant.save() } },
      { mergeWithLastSubmission: true },
    );
  }

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const p = provider;
    if (!p || !handle) {
      res.statusCode = 503;
      res.end('not configured');
      return;
    }
    if (req.url?.startsWith('/interaction/')) {
      interaction(p, req, res).catch((err: unknown) => {
        res.statusCode = 500;
        res.end(String(err));
      });
    } else handle(req, res);
  });

  return {
    issuer,
    configure(publicUrl: string) {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      provider = new Provider(issuer, {
        clients: [
          {
            client_id: CLIENT_ID,
            client_secret: CLIENT_SECRET,
            redirect_uris: [`${publicUrl}/api/auth/oidc/${IDP_SLUG}/callback`],
            response_types: ['code'],
            grant_types: ['authorization_code'],
          },
        ],
        jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'e2e', use: 'sig', alg: 'RS256' }] },
        cookies: { keys: ['cookie-key-for-browser-tests-only'] },
        claims: { openid: ['sub'], email: ['email', 'email_verified'] },
        features: { devInteractions: { enabled: false } },
        interactions: { url: (_ctx: unknown, i: { uid: string }) => `/interaction/${i.uid}` },
        pkce: { required: () => true },
        findAccount: (_ctx: unknown, sub: string) =>
          sub === account.subject
            ? { accountId: sub, claims: () => ({ sub, email: account.email, email_verified: true }) }
            : undefined,
      });
      handle = provider.callback();
      return JSON.stringify([
        {
          name: IDP_NAME,
          slug: IDP_SLUG,
          issuer_url: `${issuer}/`,
          client_id: CLIENT_ID,
          client_secret: CLIENT_SECRET,
        },
      ]);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
