import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { DiscoveryHostRequest, DiscoveryUpdatePayload, HostResponse } from '@scanopy/contracts';
import type { Db } from '../db/client.ts';
import type { DaemonPrincipal } from '../auth/principal.ts';
import { principal } from '../http/crud.ts';
import { ok } from '../http/envelope.ts';
import { ItemResponse, Uuid } from '../http/schemas.ts';
import { IngestionService, type DiscoveryHostBody } from './ingestion.service.ts';
import { SessionsService, type DiscoveryUpdate } from './sessions.service.ts';

/** Discovery sessions (users start, cancel and watch them) and the results daemons post, under /api/v1. */
export async function discoveryRoutes(app: FastifyInstance, opts: { db: Db }) {
  const ingestion = new IngestionService(opts.db);
  const sessions = new SessionsService(opts.db);

  app.post(
    '/hosts/discovery',
    {
      config: { access: 'daemon' },
      schema: {
        operationId: 'discover_host',
        tags: ['hosts'],
        body: DiscoveryHostRequest,
        response: { 200: ItemResponse(HostResponse) },
      },
    },
    async (req) => ok(await ingestion.discoverHost(principal(req), req.body as DiscoveryHostBody)),
  );

  app.post(
    '/discovery/start-session',
    {
      config: { access: 'member' },
      schema: {
        operationId: 'start_session',
        tags: ['discovery'],
        summary: 'Run a discovery now',
        description:
          "Body: the discovery id as a bare JSON string. Queues a Pending session for the discovery's daemon. " +
          'While a session of the same discovery is queued or running, that session is returned instead of a ' +
          'second one. Historical discoveries cannot run (400 discovery_historical_read_only).',
        body: Uuid,
        response: { 200: ItemResponse(DiscoveryUpdatePayload) },
      },
    },
    async (req) => ok(await sessions.start(principal(req), req.body as string)),
  );

  app.post(
    '/discovery/:session_id/cancel',
    {
      config: { access: 'member' },
      schema: {
        operationId: 'cancel_discovery',
        tags: ['discovery'],
        summary: 'Cancel a discovery session',
        description:
          'A Pending session is Cancelled at once. A running one is flagged: its daemon is told on its next ' +
          'poll and reports Cancelled (the stall sweep closes it if the daemon never does). Answers data: null, as ' +
          'the reference does, also for a session that does not exist or is not visible (cancel is idempotent).',
        params: Type.Object({ session_id: Uuid }),
        response: { 200: ItemResponse(Type.Null()) },
      },
    },
    async (req) => {
      await sessions.cancel(principal(req), (req.params as { session_id: string }).session_id);
      return ok(null);
    },
  );

  app.get(
    '/discovery/active-sessions',
    {
      config: { access: 'viewer' },
      schema: {
        operationId: 'get_active_sessions',
        tags: ['discovery'],
        summary: "Queued and running discovery sessions in the caller's networks",
        response: { 200: ItemResponse(Type.Array(DiscoveryUpdatePayload)) },
      },
    },
    async (req) => ok(await sessions.active(principal(req))),
  );

  app.post(
    '/discovery/:session_id/update',
    {
      config: { access: 'daemon' },
      schema: {
        operationId: 'update_discovery_session',
        tags: ['discovery'],
        params: Type.Object({ session_id: Uuid }),
        body: DiscoveryUpdatePayload,
        response: { 200: ItemResponse(Type.Null()) },
      },
    },
    async (req) => {
      const p = principal(req) as DaemonPrincipal;
      const body = req.body as DiscoveryUpdate;
      await sessions.update(p.daemonId, p.networkId, {
        ...body,
        session_id: (req.params as { session_id: string }).session_id,
      });
      return ok(null);
    },
  );
}
