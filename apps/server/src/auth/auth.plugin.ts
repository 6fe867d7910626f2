import type { FastifyInstance } from 'fastify';
import type { ServerConfig } from '../config.ts';
import type { AuthService } from './auth.service.ts';
import { authorize } from './principal.ts';
import type { SessionStore } from './sessions.ts';
import { SESSION_COOKIE, setSessionCookie } from './session-cookie.ts';

type Resolved = Awaited<ReturnType<AuthService['resolve']>>;

/**
 * Every /api route declares its access level (a route without one is a programming error caught at boot), and one
 * onRequest hook resolves the caller before the body is parsed, so an anonymous caller never gets a validation
 * answer.
 */
export function installAuth(
  app: FastifyInstance,
  deps: { config: ServerConfig; auth: AuthService; sessions: SessionStore },
): void {
  const { config, auth, sessions } = deps;
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/api') && !route.config?.access && route.method !== 'HEAD') {
      throw new Error(`route ${String(route.method)} ${route.url} declares no access level`);
    }
  });

  app.addHook('onRequest', async (req, reply) => {
    const access = req.routeOptions.config?.access;
    if (!access) return;
    const authz = req.headers.authorization;
    const bearer = authz?.toLowerCase().startsWith('bearer ')
      ? authz.slice(7).trim()
      : (req.headers['x-api-key'] as string | undefined);
    const sessionToken = req.cookies[SESSION_COOKIE];
    const resolving = auth.resolve({
      bearer: bearer || undefined,
      daemonId: req.headers['x-daemon-id'] as string | undefined,
      daemonVersion: req.headers['x-daemon-version'] as string | undefined,
      sessionToken,
    });
    // A stale or wrong credential must not lock anyone out of public routes (health checks, login).
    const { principal, session } =
      access === 'public' ? await resolving.catch(() => ({}) as Resolved) : await resolving;
    req.principal = principal;
    req.session = session;
    if (session && sessionToken && (await sessions.touch(session))) {
      setSessionCookie(reply, config, sessionToken);
    }
    authorize(principal, access);
  });
}
