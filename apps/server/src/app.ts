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
import type { TSchema } from 'typebox';
import type { ServerConfig } from './config.ts';
import type { Db } from './db/client.ts';
import type { EventBus } from './events/bus.ts';
import { BodyValidator, findNul } from './http/body-validator.ts';
import { installErrorHandler } from './http/error-handler.ts';
import { AppError, badRequest } from './http/errors.ts';
import { NIL_UUID } from './db/fresh-id.ts';
import { installRateLimit } from './http/rate-limit.plugin.ts';
import { installEvents } from './events/events.plugin.ts';
import { installMetrics } from './metrics/metrics.plugin.ts';
import { installAuth } from './auth/auth.plugin.ts';
import { SESSION_COOKIE } from './auth/session-cookie.ts';
import { createServices, type Services } from './services.ts';
import { registerRoutes } from './routes.ts';
import { SERVER_VERSION } from './version.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface AppDeps {
  config: ServerConfig;
  db: Db;
  /** A pino instance (main.ts), logger options (tests), or nothing. */
  logger?: FastifyServerOptions['logger'] | FastifyBaseLogger;
  /** Shared with main.ts so background jobs publish on the same bus; a fresh one otherwise. */
  bus?: EventBus;
  /** Built by the caller when background jobs share them (main.ts); otherwise built here from the above. */
  services?: Services;
}

/** Builds the Fastify instance without listening; main.ts listens, tests use app.inject. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config } = deps;
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
  const services =
    deps.services ??
    createServices({
      config,
      db: deps.db,
      log: app.log,
      bus: deps.bus,
    });
  app.addHook('onClose', async () => services.email.close());

  // Bodies: the named fields strictly, unknown fields dropped, NULs refused (http/body-validator.ts). Query strings
  // and params are text, so they are coerced, and single values become arrays where an array is expected.
  const bodies = new BodyValidator();
  const coercing = new Ajv({ allErrors: false, strict: false, coerceTypes: 'array', useDefaults: true });
  addFormats.default(coercing);
  app.setValidatorCompiler(({ schema, httpPart }) =>
    httpPart === 'body' ? bodies.compile(schema as TSchema) : coercing.compile(schema),
  );
  // A body naming an id must name the one in the path (a GET → modify → PUT round trip sends it back).
  app.addHook('preValidation', async (req) => {
    const params = req.params as { id?: unknown } | undefined;
    const body = req.body as { id?: unknown } | undefined;
    if (
      typeof params?.id === 'string' &&
      body &&
      typeof body === 'object' &&
      typeof body.id === 'string' &&
      body.id !== NIL_UUID &&
      body.id.toLowerCase() !== params.id.toLowerCase()
    ) {
      throw badRequest(`Invalid body: id ${body.id} does not match the id in the path (${params.id})`);
    }
  });

  // PostgreSQL text cannot hold a NUL either in a query parameter (a list's `search`, say): refused naming the
  // parameter, as a body field is, before the schema and any SQL see it.
  app.addHook('preValidation', async (req) => {
    const at = findNul(req.query);
    if (at !== undefined) {
      const field = at.replace(/^\//, '').replace(/\//g, '.');
      throw new AppError('validation_failed', {
        detail: `Invalid querystring: ${field} contains a NUL character (\\u0000), which cannot be stored`,
        location: 'querystring',
        field,
      });
    }
  });

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

  app.decorate('bus', services.bus);
  // Metrics hooks come first so they time every request, including rejected ones.
  await installMetrics(app, { config, bus: services.bus });
  installAuth(app, services);

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
  await installEvents(app, { config, db: services.db, bus: services.bus, events: services.eventLookups });

  await registerRoutes(app, services);

  // Also at the site root, where the reference UI ships it and clients that build tools from it look first.
  for (const url of ['/api/openapi.json', '/openapi.json']) {
    app.get(url, { config: { access: 'public' }, schema: { hide: true } }, async () => app.swagger());
  }

  if (spa) {
    await app.register(fastifyStatic, { root: config.webDir, wildcard: false, index: ['index.html'] });
    // A share's public page carries the share's frame-ancestors policy, so a browser refuses to show it inside a
    // site that is not on the share's allow-list before any of the page runs (the viewer's own check comes later).
    app.get<{ Params: { id: string } }>(
      '/share/:id',
      { config: { access: 'public' }, schema: { hide: true } },
      async (req, reply) => {
        const policy = UUID.test(req.params.id) ? await services.shares.pagePolicy(req.params.id) : null;
        if (policy) void reply.header('Content-Security-Policy', `frame-ancestors ${policy}`);
        return reply.type('text/html').sendFile('index.html');
      },
    );
  }

  return app;
}
