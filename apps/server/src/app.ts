import { existsSync } from 'node:fs';
import path from 'node:path';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyServerOptions,
} from 'fastify';
import cookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import type { ServerConfig } from './config.ts';
import type { Db } from './db/client.ts';
import { installErrorHandler } from './http/error-handler.ts';
import { installRateLimit } from './http/rate-limit.plugin.ts';
import { EventBus } from './events/bus.ts';
import { installEvents } from './events/events.plugin.ts';
import { installMetrics } from './metrics/metrics.plugin.ts';
import { AuthService } from './auth/auth.service.ts';
import { SessionStore } from './auth/sessions.ts';
import { authorize, type Access, type Principal } from './auth/principal.ts';
import type { SessionRow } from './auth/sessions.ts';
import { SERVER_VERSION } from './version.ts';
import { systemRoutes } from './entities/system/system.routes.ts';
import { metadataRoutes } from './entities/metadata/metadata.routes.ts';
import { authRoutes } from './auth/auth.routes.ts';
import { oidcRoutes } from './auth/oidc.routes.ts';
import { inventoryRoutes, legacyAliasRoutes } from './entities/inventory.routes.ts';
import { daemonProtocolRoutes } from './discovery/daemon-protocol.routes.ts';
import { AccountService } from './auth/account.service.ts';
import { EmailService } from './auth/email.service.ts';
import type { IntegratedDaemon } from './discovery/integrated-daemon.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
    session?: SessionRow;
  }
  interface FastifyInstance {
    bus: EventBus;
  }
  interface FastifyContextConfig {
    access?: Access;
  }
}

export interface AppDeps {
  config: ServerConfig;
  db: Db;
  /** A pino instance (main.ts), logger options (tests), or nothing. */
  logger?: FastifyServerOptions['logger'] | FastifyBaseLogger;
  /** Shared with main.ts so background jobs publish on the same bus; a fresh one otherwise. */
  bus?: EventBus;
  /** Set by main.ts when the integrated daemon runs; register hands it the first network. */
  integratedDaemon?: IntegratedDaemon;
}

export const SESSION_COOKIE = 'session_id';

type Resolved = Awaited<ReturnType<AuthService['resolve']>>;

/** Builds the Fastify instance without listening; main.ts listens, tests use app.inject. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, db } = deps;
  const isInstance = (l: unknown): l is FastifyBaseLogger =>
    typeof (l as { child?: unknown })?.child === 'function';
  const app = Fastify({
    ...(isInstance(deps.logger) ? { loggerInstance: deps.logger } : { logger: deps.logger ?? false }),
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    routerOptions: { ignoreTrailingSlash: true },
    // Per-request lines only at debug: at info a busy daemon fleet would drown the useful lines.
    logController: new LogController({
      disableRequestLogging: config.logLevel !== 'debug' && config.logLevel !== 'trace',
    }),
    genReqId: () => crypto.randomUUID(),
  });

  // Bodies are validated strictly (no coercion: "1" is not a number); query strings and params are text, so they
  // are coerced, and single values become arrays where an array is expected (repeated keys).
  const strict = new Ajv({ allErrors: false, strict: false, coerceTypes: false, useDefaults: true });
  const coercing = new Ajv({ allErrors: false, strict: false, coerceTypes: 'array', useDefaults: true });
  addFormats.default(strict);
  addFormats.default(coercing);
  app.setValidatorCompiler(({ schema, httpPart }) =>
    httpPart === 'body' ? strict.compile(schema) : coercing.compile(schema),
  );

  const spa = existsSync(path.join(config.webDir, 'index.html'));
  installErrorHandler(app, { spa });
  // The API speaks JSON only: a text/plain body must be a 415, not a string that fails validation as a 400.
  app.removeContentTypeParser('text/plain');
  await app.register(cookie);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Scanopy API', version: SERVER_VERSION, description: 'Scanopy server REST API (v1).' },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE },
          bearer: { type: 'http', scheme: 'bearer' },
        },
      },
    },
  });

  const sessions = new SessionStore(db, config.sessionTtlHours * 3600_000);
  const auth = new AuthService(db, sessions);
  const email = new EmailService(config, app.log);
  app.addHook('onClose', async () => email.close());
  const accounts = new AccountService(db, email, deps.integratedDaemon);
  const bus = deps.bus ?? new EventBus();
  app.decorate('bus', bus);
  // Metrics hooks come first so they time every request, including rejected ones.
  await installMetrics(app, { config, bus });

  // Every /api route declares its access level; a route without one is a programming error caught at boot.
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/api') && !route.config?.access && route.method !== 'HEAD') {
      throw new Error(`route ${String(route.method)} ${route.url} declares no access level`);
    }
  });

  // Credentials are checked before the body is parsed, so an anonymous caller never gets a validation answer.
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

  app.addHook('onSend', async (req, reply) => {
    if (req.url.startsWith('/api')) {
      if (!reply.hasHeader('cache-control')) void reply.header('Cache-Control', 'no-store');
      void reply.header('X-Content-Type-Options', 'nosniff');
      void reply.header('Referrer-Policy', 'strict-origin-when-cross-origin');
      if (config.useSecureSessionCookies) {
        void reply.header('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
      }
    }
  });

  // After the auth hook: limits are keyed by the resolved principal.
  await installRateLimit(app, { config });
  await installEvents(app, { config, db, bus });

  await app.register(systemRoutes, { config, db });
  await app.register(metadataRoutes);
  await app.register(authRoutes, { prefix: '/api/auth', config, db, sessions, accounts });
  await app.register(oidcRoutes, { prefix: '/api/auth', config, db, sessions, accounts });
  await app.register(inventoryRoutes, { prefix: '/api/v1', db, config });
  await app.register(legacyAliasRoutes, { prefix: '/api', db, config });
  await app.register(daemonProtocolRoutes, { prefix: '/api/daemons', db });

  app.get('/api/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () =>
    app.swagger(),
  );

  if (spa) {
    await app.register(fastifyStatic, { root: config.webDir, wildcard: false, index: ['index.html'] });
  }

  return app;
}

export function setSessionCookie(
  reply: { setCookie: (name: string, value: string, opts: object) => unknown },
  config: ServerConfig,
  token: string,
): void {
  reply.setCookie(SESSION_COOKIE, token, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: config.useSecureSessionCookies,
    maxAge: config.sessionTtlHours * 3600,
  });
}
