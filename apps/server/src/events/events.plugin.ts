import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { ServerConfig } from '../config.ts';
import { redactDiscoveryType } from '../discovery/sessions.service.ts';
import type { Db } from '../db/client.ts';
import type { Principal } from '../auth/principal.ts';
import type { EntityEvent, EventBus } from './bus.ts';
import { DEFAULT_MAX_BUFFERED_BYTES, SseStream } from './sse.ts';

/** The NOTIFY channel migration 0002's triggers publish on. */
export const EVENTS_CHANNEL = 'scanopy_events';

const operations = new Set(['created', 'updated', 'deleted']);

/** A NOTIFY payload as an event, or undefined when it is not one of ours. */
export function parseEvent(raw: string): EntityEvent | undefined {
  let v: Partial<EntityEvent>;
  try {
    v = JSON.parse(raw) as Partial<EntityEvent>;
  } catch {
    return undefined;
  }
  if (typeof v.entity !== 'string' || typeof v.id !== 'string' || !operations.has(v.operation ?? '')) {
    return undefined;
  }
  const e: EntityEvent = {
    entity: v.entity,
    operation: v.operation!,
    id: v.id,
    network_id: v.network_id ?? null,
    organization_id: v.organization_id ?? null,
    changed_fields: Array.isArray(v.changed_fields) ? v.changed_fields : [],
    suppress: v.suppress === true,
  };
  if (v.session) {
    const iso = (t: string | null) => (t ? new Date(t).toISOString() : null);
    e.session = {
      ...v.session,
      started_at: iso(v.session.started_at),
      finished_at: iso(v.session.finished_at),
    };
  }
  return e;
}

/** What the topology stream sends: enough for the UI to know which network's diagram went stale. */
export const staleMessage = (e: EntityEvent) => ({
  type: 'stale' as const,
  network_id: e.network_id,
  entity: e.entity,
  operation: e.operation,
  id: e.id,
});

/**
 * Bridges the database's entity events into the bus (on every replica: NOTIFY reaches every listening
 * connection), and serves them to browsers as the discovery and topology event streams.
 */
export async function installEvents(
  app: FastifyInstance,
  deps: { config: ServerConfig; db: Db; bus: EventBus },
) {
  const { config, db, bus } = deps;
  bus.onError = (err) => app.log.error({ err }, 'event subscriber failed');

  // One chain keeps events in commit order even when one needs a lookup before it is published.
  let chain = Promise.resolve();
  const deliver = async (raw: string) => {
    const e = parseEvent(raw);
    if (!e) return;
    if (e.session && !e.session.discovery_type) {
      // Left out of the NOTIFY because it was too large for the payload limit.
      const [row] = await db.query<{ discovery_type: Record<string, unknown> }>(
        'SELECT discovery_type FROM discovery_sessions WHERE id = $1',
        [e.id],
      );
      if (row) e.session.discovery_type = row.discovery_type;
    }
    bus.publish(e);
  };
  const streams = new Set<SseStream>();
  const stopListening = await db.listen(
    EVENTS_CHANNEL,
    (raw) => {
      chain = chain
        .then(() => deliver(raw))
        .catch((err: unknown) => app.log.error({ err }, 'event delivery failed'));
    },
    () => {
      // Events committed while the listener was disconnected were never delivered. Ending every stream makes each
      // client reconnect and refetch, as it does after any dropped connection, instead of silently missing them.
      app.log.warn({ streams: streams.size }, 'event listener reconnected; ending streams so clients resync');
      for (const s of [...streams]) s.close();
    },
  );

  const offLog = bus.subscribe((e) => {
    if (!e.suppress) app.log.debug({ event: e }, 'entity event');
  });

  const sseOptions = {
    keepAliveMs: config.sseKeepAliveSeconds * 1000,
    maxBufferedBytes: DEFAULT_MAX_BUFFERED_BYTES,
  };

  /** Opens a stream for the caller; `pick` turns an event into the message to send, or nothing. */
  function openStream(req: FastifyRequest, reply: FastifyReply, pick: (e: EntityEvent) => unknown) {
    const principal = req.principal as Principal;
    // Captured at connect: a grant made later is seen after the client reconnects.
    const networks = new Set(principal.networkIds);
    void reply.hijack();
    const stream = new SseStream(reply.raw, sseOptions);
    streams.add(stream);
    const off = bus.subscribe((e) => {
      if (!e.network_id || !networks.has(e.network_id)) return;
      const msg = pick(e);
      if (msg !== undefined) stream.send(msg);
    });
    stream.onClose(() => {
      off();
      streams.delete(stream);
    });
  }

  const discoverySchema = {
    operationId: 'discovery_stream',
    tags: ['discovery'],
    summary: 'Discovery progress events',
    description:
      'Server-sent events: one unnamed `data:` event with a DiscoveryUpdatePayload per session change in the ' +
      "caller's networks; `: keep-alive` comments in between.",
    response: { 200: { content: { 'text/event-stream': { schema: Type.String() } } } },
  };
  const discoveryHandler = async (req: FastifyRequest, reply: FastifyReply) =>
    openStream(req, reply, (e) =>
      e.entity === 'DiscoverySession' && !e.suppress && e.session
        ? {
            ...e.session,
            // Users never see SNMP communities; only the daemon running the session gets them.
            ...(e.session.discovery_type
              ? { discovery_type: redactDiscoveryType(e.session.discovery_type) }
              : {}),
          }
        : undefined,
    );
  app.get(
    '/api/v1/discovery/stream',
    { config: { access: 'viewer' }, schema: discoverySchema },
    discoveryHandler,
  );
  app.get(
    '/api/discovery/stream',
    { config: { access: 'viewer' }, schema: { ...discoverySchema, hide: true } },
    discoveryHandler,
  );

  app.get(
    '/api/v1/topology/stream',
    {
      config: { access: 'session' },
      schema: {
        operationId: 'topology_stream',
        tags: ['topology'],
        summary: 'Topology staleness events',
        description:
          'Server-sent events: `data: {"type":"stale","network_id",...}` for every entity change in the caller\'s ' +
          'networks (heartbeat-only updates are skipped); `: keep-alive` comments in between.',
        response: { 200: { content: { 'text/event-stream': { schema: Type.String() } } } },
      },
    },
    async (req, reply) => openStream(req, reply, (e) => (e.suppress ? undefined : staleMessage(e))),
  );

  // Open streams would keep the server from closing: end them first, then stop listening.
  app.addHook('preClose', async () => {
    for (const s of [...streams]) s.close();
  });
  app.addHook('onClose', async () => {
    offLog();
    await stopListening();
    await chain;
  });
}
