import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import {
  OidcAuthorizeQuery,
  OidcCallbackQuery,
  OidcProviderMetadata,
  OidcProviderParams,
  User,
} from '@scanopy/contracts';
import { setSessionCookie } from './session-cookie.ts';
import type { ServerConfig } from '../config.ts';
import type { Db } from '../db/client.ts';
import { ok } from '../http/envelope.ts';
import { AppError, badRequest } from '../http/errors.ts';
import { ItemResponse } from '../http/schemas.ts';
import type { AccountService, SetupData } from './account.service.ts';
import { OidcService, type OidcFlow, type PendingAuth } from './oidc.service.ts';
import type { SessionStore } from './sessions.ts';

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

function withQuery(path: string, params: Record<string, string>): string {
  const url = new URL(path, 'http://placeholder');
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.pathname + url.search + url.hash;
}

interface Opts {
  config: ServerConfig;
  db: Db;
  sessions: SessionStore;
  accounts: AccountService;
  oidc: OidcService;
}

/** OIDC routes under /api/auth (api-model.md §3.5): provider list, browser redirects and unlinking. */
export async function oidcRoutes(app: FastifyInstance, opts: Opts) {
  const { config, sessions, accounts, oidc } = opts;
  const tags = ['auth'];

  /** Audit line for the Auth events of the reference (register, login_success, oidc_linked, oidc_unlinked). */
  const audit = (req: FastifyRequest, event: string, userId: string, provider: string) =>
    req.log.info({ auth_event: event, user_id: userId, provider, ip: req.ip }, `auth ${event}`);

  /** Failures of the browser flows go back to the page the flow started from, as `?error=<message>`. */
  function failTo(req: FastifyRequest, reply: FastifyReply, back: string, err: unknown, flow?: OidcFlow) {
    let message: string;
    if (err instanceof AppError) {
      message = err.message;
      if (err.code === 'auth_oidc_provider_error') req.log.warn({ err: err.cause ?? err }, message);
    } else {
      req.log.error({ err }, 'OIDC sign-in failed');
      message = new AppError('internal_error', { request_id: req.id }).message;
    }
    const extra: Record<string, string> = flow === 'link' ? { modal: 'settings' } : {};
    return reply.redirect(withQuery(back, { ...extra, error: message }), 302);
  }

  app.get(
    '/oidc/providers',
    {
      config: { access: 'public' },
      schema: {
        operationId: 'get_oidc_providers',
        tags,
        description: 'The OIDC providers users can sign in with (name, slug and logo only).',
        response: { 200: ItemResponse(Type.Array(OidcProviderMetadata)) },
      },
    },
    async () => ok(oidc.list()),
  );

  app.get(
    '/oidc/:slug/authorize',
    {
      config: { access: 'public' },
      // A browser navigation answered with a redirect, not a JSON API call.
      schema: { hide: true, params: OidcProviderParams, querystring: OidcAuthorizeQuery },
    },
    async (req, reply) => {
      const { slug } = req.params as { slug: string };
      const q = req.query as { flow: OidcFlow; return_url?: string; terms_accepted?: boolean };
      const back = safeReturnUrl(q.return_url, config.publicUrl);
      if (!back) throw badRequest('return_url must be a path on this server');
      oidc.provider(slug);
      try {
        let userId: string | undefined;
        if (q.flow === 'link') {
          if (req.principal?.kind !== 'session') throw new AppError('auth_not_authenticated');
          userId = req.principal.userId;
        }
        const { url, pending } = await oidc.begin(slug, {
          flow: q.flow,
          return_url: back,
          ...(userId ? { user_id: userId } : {}),
          terms_accepted: q.terms_accepted ?? false,
        });
        // The secrets live server-side in the session; the browser only carries the session cookie (SameSite=Lax
        // still sends it on the provider's top-level redirect back).
        if (req.session) {
          await sessions.setData(req.session.id, { ...req.session.data, oidc_pending_auth: pending });
        } else {
          const { token } = await sessions.create(null, { oidc_pending_auth: pending });
          setSessionCookie(reply, config, token);
        }
        return reply.redirect(url, 302);
      } catch (err) {
        return failTo(req, reply, back, err, q.flow);
      }
    },
  );

  app.get(
    '/oidc/:slug/callback',
    {
      config: { access: 'public' },
      schema: { hide: true, params: OidcProviderParams, querystring: OidcCallbackQuery },
    },
    async (req, reply) => {
      const { slug } = req.params as { slug: string };
      const data = req.session?.data ?? {};
      const pending = data.oidc_pending_auth as PendingAuth | undefined;
      const back = pending?.return_url ?? '/';
      try {
        if (req.session && pending) {
          // Single use, whatever the outcome.
          const { oidc_pending_auth: _, ...rest } = data;
          await sessions.setData(req.session.id, rest);
        }
        const search = req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '';
        const done = await oidc.complete(slug, pending, new URLSearchParams(search), {
          setup: data.pending_setup as SetupData | undefined,
          inviteId: data.pending_invite_id as string | undefined,
        });
        if (pending!.flow === 'link') {
          audit(req, 'oidc_linked', done.userId, slug);
          return reply.redirect(withQuery(back, { modal: 'settings' }), 302);
        }
        audit(
          req,
          { login: 'login_success', linked: 'oidc_linked', registered: 'register' }[done.outcome],
          done.userId,
          slug,
        );
        // A fresh session id on sign-in defeats session fixation.
        if (req.session) await sessions.destroy(req.session.id);
        const { token } = await sessions.create(done.userId);
        setSessionCookie(reply, config, token);
        return reply.redirect(back, 302);
      } catch (err) {
        return failTo(req, reply, back, err, pending?.flow);
      }
    },
  );

  app.post(
    '/oidc/:slug/unlink',
    {
      config: { access: 'session' },
      schema: {
        operationId: 'unlink_oidc_account',
        tags,
        description:
          'Removes the link between the signed-in user and the provider. Needs a password on the account ' +
          '(403 auth_password_required otherwise); a provider the user is not linked to is left as it is.',
        params: OidcProviderParams,
        response: { 200: ItemResponse(User) },
      },
    },
    async (req) => {
      if (req.principal?.kind !== 'session') throw new AppError('auth_not_authenticated');
      const { slug } = req.params as { slug: string };
      const { changed } = await oidc.unlink(req.principal.userId, slug);
      if (changed) audit(req, 'oidc_unlinked', req.principal.userId, slug);
      return ok(await accounts.getUser(req.principal.userId));
    },
  );
}
