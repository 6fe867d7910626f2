import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import {
  OidcAuthorizeQuery,
  OidcCallbackQuery,
  OidcProviderMetadata,
  OidcProviderParams,
  User,
} from '@scanopy/contracts';
import { setSessionCookie } from './session-cookie.ts';
import { ok } from '../http/envelope.ts';
import { AppError } from '../http/errors.ts';
import type { RouteApp } from '../http/route-app.ts';
import { ItemResponse } from '../http/schemas.ts';
import type { Services } from '../services.ts';
import type { OidcFlow } from './oidc.service.ts';

function withQuery(path: string, params: Record<string, string>): string {
  const url = new URL(path, 'http://placeholder');
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.pathname + url.search + url.hash;
}

/** OIDC routes under /api/auth (api-model.md §3.5): provider list, browser redirects and unlinking. */
export async function oidcRoutes(app: RouteApp, { config, accounts, oidc }: Services) {
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
      const { slug } = req.params;
      const flow = req.query.flow ?? 'login';
      const back = oidc.returnPath(req.query.return_url);
      oidc.provider(slug);
      try {
        const { url, token } = await oidc.start(slug, req.session, {
          flow,
          return_url: back,
          terms_accepted: req.query.terms_accepted ?? false,
          ...(req.principal?.kind === 'session' ? { userId: req.principal.userId } : {}),
        });
        if (token) setSessionCookie(reply, config, token);
        return reply.redirect(url, 302);
      } catch (err) {
        return failTo(req, reply, back, err, flow);
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
      const { slug } = req.params;
      const pending = oidc.pendingOf(req.session);
      const back = pending?.return_url ?? '/';
      try {
        // The provider's own parameters are passed on as they came (the token exchange checks them all).
        const search = req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '';
        const done = await oidc.finish(slug, req.session, new URLSearchParams(search));
        if (done.flow === 'link') {
          audit(req, 'oidc_linked', done.userId, slug);
          return reply.redirect(withQuery(back, { modal: 'settings' }), 302);
        }
        audit(
          req,
          { login: 'login_success', linked: 'oidc_linked', registered: 'register' }[done.outcome],
          done.userId,
          slug,
        );
        if (done.token) setSessionCookie(reply, config, done.token);
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
      const { slug } = req.params;
      const { changed } = await oidc.unlink(req.principal.userId, slug);
      if (changed) audit(req, 'oidc_unlinked', req.principal.userId, slug);
      return ok(await accounts.getUser(req.principal.userId));
    },
  );
}
