import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { ServerConfig } from '../config.ts';
import { redactDiscoveryType } from '../discovery/sessions.service.ts';
import type { Db } from '../db/client.ts';
import type { EventsRepository } from './events.repository.ts';
import type { Principal } from '../auth/principal.ts';
import { visibleOn, type EntityEvent, type EventBus } from './bus.ts';
import { EventAssembler, parsePart } from './notifications.ts';
import { DEFAULT_MAX_BUFFERED_BYTES, SseStream } from './sse.ts';

/** The NOTIFY channel the event triggers publish on (migrations 0002 and 0013). */
export const EVENTS_CHANNEL = 'scanopy_events';

/**
 * What the topology stream sends for an event: one message per network it touched (the caller's networks only),
 * enough for the UI to know which network's diagram went stale and which rows changed. `withoutNetwork` keeps the
 * rows on no network that visibleOn let through (organization-wide entities, as `network_id: null`).
 */
export const staleMessages = (e: EntityEvent, withoutNetwork = false) =>
  e.scopes
    .filter((s) => withoutNetwork || s.network_id !== null)
    .map((s) => ({
      type: 'stale' as const,
      network_id: s.network_id,
      entity: e.entity,
      operation: e.operation,
      ids: s.ids,
    }));

type TopologySummary = Awaited<ReturnType<EventsRepository['topologySummaries']>>[number];

/**
 * What the topology stream says of a write to topologies, per topology on the caller's networks: what happened
 * (`action`: created, deleted, rebuilt, refreshed, locked, unlocked, stale, updated (name or options), saved (a full
 * PUT) or arranged (a point update)) and, unless deleted, the topology's state after it without graph and snapshot
 * (`topology`), so an open editor can show a lock, a staleness or a new name at once and knows when to fetch the
 * graph again.
 */
export function topologyMessages(e: EntityEvent, summaries: readonly TopologySummary[] = []) {
  if (e.entity !== 'Topology') return [];
  const byId = new Map(summaries.map((t) => [t.id, t]));
  return e.scopes
    .filter((s) => s.network_id !== null)
    .flatMap((s) =>
      s.ids.map((id) => {
        const t = e.operation === 'deleted' ? undefined : byId.get(id);
        const action =
          e.operation !== 'updated'
            ? e.operation
            : e.changed_fields.includes('placements')
              ? 'arranged'
              : e.changed_fields.includes('is_locked') && t
                ? t.is_locked
                  ? 'locked'
                  : 'unlocked'
                : (t?.last_action ?? 'updated');
        const state = t ? { ...t, last_action: undefined } : undefined;
        return {
          type: 'topology' as const,
          network_id: s.network_id,
          id,
          operation: e.operation,
          action,
          changed_fields: e.changed_fields,
          ...(state ? { topology: state } : {}),
        };
      }),
    );
}

/**
 * Bridges the database's entity events into the bus (on every replica: NOTIFY reaches every listening
 * connection), and serves them to browsers as the discovery and topology event streams.
 */
export async function installEvents(
  app: FastifyInstance,
  deps: { config: ServerConfig; db: Db; bus: EventBus; events: EventsRepository },
) {
  const { config, db, bus, events } = deps;
  bus.onError = (err) => app.log.error({ err }, 'event subscriber failed');

  // One chain keeps events in commit order even when one needs a lookup before it is published.
  let chain = Promise.resolve();
  /** Topology summaries read once per Topology event while a topology stream is open (see topologyMessages). */
  const summaries = new WeakMap<EntityEvent, TopologySummary[]>();
  let topologyStreams = 0;
  const deliver = async (e: EntityEvent) => {
    if (e.entity === 'Topology' && e.operation !== 'deleted' && !e.suppress && topologyStreams > 0) {
      // Without them the stream still says what happened; the event itself must reach every subscriber.
      const found = await events.topologySummaries(e.ids).catch((err: unknown) => {
        app.log.warn({ err }, 'topology summaries for the stream failed');
        return [];
      });
      summaries.set(e, found);
    }
    // Left out of the NOTIFY because it was too large for the payload limit.
    const missing = (e.sessions ?? []).filter((s) => !s.discovery_type);
    if (missing.length) {
      const rows = await events.discoveryTypes(missing.map((s) => s.session_id));
      for (const s of missing) {
        s.discovery_type = rows.find((r) => r.id === s.session_id)?.discovery_type as
          Record<string, unknown> | undefined;
      }
    }
    bus.publish(e);
  };
  const assembler = new EventAssembler();
  const streams = new Set<SseStream>();
  const stopListening = await db.listen(
    EVENTS_CHANNEL,
    (raw) => {
      const part = parsePart(raw);
      if (!part) return;
      for (const e of assembler.add(part)) {
        chain = chain
          .then(() => deliver(e))
          .catch((err: unknown) => app.log.error({ err }, 'event delivery failed'));
      }
    },
    () => {
      assembler.reset();
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

  /**
   * Opens a stream for the caller; `pick` turns the part of an event on the caller's networks into the messages to
   * send (none, one, or several).
   */
  function openStream(
    req: FastifyRequest,
    reply: FastifyReply,
    pick: (e: EntityEvent, original: EntityEvent) => unknown[],
    options: { organizationWide?: boolean } = {},
  ) {
    const principal = req.principal as Principal;
    const organizationId = options.organizationWide ? principal.organizationId : undefined;
    // Captured at connect: a grant made later is seen after the client reconnects.
    const networks = new Set(principal.networkIds);
    void reply.hijack();
    const stream = new SseStream(reply.raw, sseOptions);
    streams.add(stream);
    const off = bus.subscribe((e) => {
      // One write may touch several networks: the client gets only the ids on networks it can see.
      const visible = visibleOn(e, networks, organizationId);
      if (!visible) return;
      for (const msg of pick(visible, e)) if (!stream.send(msg)) return;
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
      e.entity === 'DiscoverySession' && !e.suppress
        ? (e.sessions ?? []).map((session) => ({
            ...session,
            // Users never see SNMP communities; only the daemon running the session gets them.
            ...(session.discovery_type
              ? { discovery_type: redactDiscoveryType(session.discovery_type) }
              : {}),
          }))
        : [],
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
          'networks (heartbeat-only updates are skipped), and for every change of a topology also ' +
          '`{"type":"topology","network_id","id","operation","action","changed_fields","topology"}`: what happened ' +
          '(created, deleted, rebuilt, refreshed, locked, unlocked, stale, updated, saved, arranged) and the ' +
          "topology's state after it, without graph and snapshot; `: keep-alive` comments in between.",
        response: { 200: { content: { 'text/event-stream': { schema: Type.String() } } } },
      },
    },
    async (req, reply) => {
      topologyStreams++;
      reply.raw.once('close', () => topologyStreams--);
      openStream(req, reply, (e, original) =>
        e.suppress ? [] : [...staleMessages(e), ...topologyMessages(e, summaries.get(original))],
      );
    },
  );

  /** Session snapshots of an event, redacted for users, as the combined stream carries them. */
  const sessionMessages = (e: EntityEvent) =>
    e.entity === 'DiscoverySession'
      ? (e.sessions ?? []).map((session) => ({
          type: 'session' as const,
          session: session.discovery_type
            ? { ...session, discovery_type: redactDiscoveryType(session.discovery_type) }
            : session,
        }))
      : [];

  // The web UI's single connection: staleness of every entity plus discovery progress, so a tab holds one stream.
  app.get(
    '/api/v1/events/stream',
    {
      config: { access: 'viewer' },
      schema: {
        operationId: 'events_stream',
        tags: ['events'],
        summary: 'All entity and discovery events',
        description:
          'Server-sent events for the web UI: `{"type":"stale","network_id","entity","operation","ids"}` for every ' +
          "entity change in the caller's networks (and, with `network_id` null, for the organization's tags), " +
          'and `{"type":"session","session":DiscoveryUpdatePayload}` for ' +
          'every discovery session change; `: keep-alive` comments in between.',
        response: { 200: { content: { 'text/event-stream': { schema: Type.String() } } } },
      },
    },
    async (req, reply) =>
      openStream(
        req,
        reply,
        (e) => (e.suppress ? [] : [...staleMessages(e, true), ...sessionMessages(e)]),
        // Tags are organization-wide: their changes refresh the Tags page and tag pickers of every member.
        { organizationWide: true },
      ),
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
