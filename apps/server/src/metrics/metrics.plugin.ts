import { BlockList, isIP } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { Type } from 'typebox';
import { ConfigError, type ServerConfig } from '../config.ts';
import type { EventBus } from '../events/bus.ts';
import { constantTimeEqual } from '../auth/tokens.ts';
import { AppError } from '../http/errors.ts';
import type { Principal } from '../auth/principal.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route checks the scrape token itself. */
    metricsScrape?: boolean;
  }
  interface FastifyRequest {
    scrapeToken?: string;
  }
}

const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const principalLabel: Record<Principal['kind'], string> = {
  session: 'user',
  user_api_key: 'api_key',
  daemon: 'daemon',
};

/**
 * Route template for /api routes and the scrape endpoint; every other path collapses to one of two values so the
 * label set stays bounded whatever clients request.
 */
export function pathLabel(req: FastifyRequest): string {
  const template = req.routeOptions.url;
  const raw = req.url;
  if (raw.startsWith('/api') || raw === '/metrics' || raw.startsWith('/metrics?'))
    return template ?? 'unmatched';
  return 'static';
}

/** Parses SCANOPY_EXTERNAL_SERVICE_PROMETHEUS_ALLOWED_IPS (IPs and CIDRs, comma-separated) into a matcher. */
export function parseAllowList(raw: string | undefined): BlockList | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const list = new BlockList();
  for (const item of raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [addr, bits, extra] = item.split('/');
    const family = isIP(addr);
    const prefix = bits === undefined ? undefined : Number(bits);
    const max = family === 6 ? 128 : 32;
    if (!family || extra !== undefined || (prefix !== undefined && (!/^\d+$/.test(bits) || prefix > max))) {
      throw new ConfigError(
        `SCANOPY_EXTERNAL_SERVICE_PROMETHEUS_ALLOWED_IPS: "${item}" is not an IP address or CIDR`,
      );
    }
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(addr, type);
    else list.addSubnet(addr, prefix, type);
  }
  return list;
}

function allowed(list: BlockList, ip: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(ip);
  const addr = mapped ? mapped[1] : ip;
  return list.check(addr, isIP(addr) === 6 ? 'ipv6' : 'ipv4');
}

/** Prometheus metrics on a registry of this app's own (tests build many apps in one process). */
export async function installMetrics(app: FastifyInstance, deps: { config: ServerConfig; bus: EventBus }) {
  const { config, bus } = deps;
  const token = config.metricsToken;
  const allowList = parseAllowList(config.metricsAllowedIps);
  const registry = new Registry();
  if (token && !allowList) {
    app.log.warn(
      'SCANOPY_METRICS_TOKEN is set without SCANOPY_EXTERNAL_SERVICE_PROMETHEUS_ALLOWED_IPS: any address with the token can scrape',
    );
  }

  if (token) {
    collectDefaultMetrics({ register: registry });
    const requests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered, by route template, status and kind of caller.',
      labelNames: ['method', 'path', 'status', 'entity_type'] as const,
      registers: [registry],
    });
    const duration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time from receiving a request to finishing its response.',
      labelNames: ['method', 'path'] as const,
      registers: [registry],
    });
    const inFlight = new Gauge({
      name: 'http_requests_in_flight',
      help: 'Requests being processed (open event streams included).',
      labelNames: ['method'] as const,
      registers: [registry],
    });
    const events = new Counter({
      name: 'scanopy_events_total',
      // Per event, not per row: a write touching 20 bindings counts one Binding event (see events/bus.ts).
      help: 'Entity events seen on the event bus: one per entity type and operation of each committed write.',
      labelNames: ['entity', 'operation'] as const,
      registers: [registry],
    });

    const off = bus.subscribe((e) => events.inc({ entity: e.entity, operation: e.operation }));
    app.addHook('onClose', async () => {
      off();
    });

    app.addHook('onRequest', async (req, reply) => {
      const method = req.method;
      inFlight.inc({ method });
      // 'close' fires for finished and for aborted responses alike, so the gauge never drifts upwards.
      reply.raw.once('close', () => inFlight.dec({ method }));
    });
    app.addHook('onResponse', async (req, reply) => {
      const path = pathLabel(req);
      const entityType = req.principal
        ? principalLabel[req.principal.kind]
        : req.routeOptions.config?.metricsScrape && reply.statusCode === 200
          ? 'external_service'
          : 'anonymous';
      requests.inc({ method: req.method, path, status: String(reply.statusCode), entity_type: entityType });
      duration.observe({ method: req.method, path }, reply.elapsedTime / 1000);
    });
  }

  // Runs before the credential hook (registered after this plugin): the scrape token is not an API key, so it is
  // taken out of the request before the resolver would reject it as one.
  app.addHook('onRequest', async (req) => {
    if (!req.routeOptions.config?.metricsScrape) return;
    const authz = req.headers.authorization;
    if (authz?.toLowerCase().startsWith('bearer ')) req.scrapeToken = authz.slice(7).trim();
    delete req.headers.authorization;
  });

  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    // Disabled looks exactly like a route that does not exist.
    if (!token) throw new AppError('route_not_found', { method: req.method, url: req.url });
    if (!req.scrapeToken || !constantTimeEqual(req.scrapeToken, token)) {
      throw new AppError('auth_not_authenticated');
    }
    // Reference scrapers name themselves; a scraper that sends no name is taken to be Prometheus.
    const service =
      (req.headers['x-service-name'] as string | undefined)?.trim().toLowerCase() || 'prometheus';
    if (service !== 'prometheus') {
      throw new AppError('external_service_denied', { detail: `Unknown external service "${service}"` });
    }
    if (allowList && !allowed(allowList, req.ip)) {
      throw new AppError('external_service_denied', {
        detail: 'This address is not allowed to scrape metrics',
      });
    }
    const body = await registry.metrics();
    return reply.type(PROMETHEUS_CONTENT_TYPE).send(body);
  };
  const schema = {
    operationId: 'get_metrics',
    tags: ['system'],
    summary: 'Prometheus metrics',
    description:
      'Enabled by SCANOPY_METRICS_TOKEN (404 otherwise); requires `Authorization: Bearer <token>` (401), an ' +
      '`X-Service-Name` of `prometheus` when sent, and a client address in ' +
      'SCANOPY_EXTERNAL_SERVICE_PROMETHEUS_ALLOWED_IPS when that is set (403). Prometheus text format 0.0.4.',
    response: { 200: { content: { 'text/plain': { schema: Type.String() } } } },
  };
  const opts = { config: { access: 'public' as const, metricsScrape: true }, schema };
  app.get('/api/metrics', opts, handler);
  app.get('/metrics', { ...opts, schema: { ...schema, hide: true } }, handler);
}
