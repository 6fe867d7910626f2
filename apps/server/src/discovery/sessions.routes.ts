import { Type } from 'typebox';
import { DiscoverySessionParams, DiscoveryUpdatePayload } from '@scanopy/contracts';
import { principal } from '../http/crud.ts';
import { ok } from '../http/envelope.ts';
import type { RouteApp } from '../http/route-app.ts';
import { ItemResponse, Uuid } from '../http/schemas.ts';
import type { Services } from '../services.ts';

/** Discovery sessions: users start, cancel and watch them, under /api/v1. */
export async function sessionRoutes(app: RouteApp, { discoverySessions }: Services) {
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
    async (req) => ok(await discoverySessions.start(principal(req), req.body)),
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
        params: DiscoverySessionParams,
        response: { 200: ItemResponse(Type.Null()) },
      },
    },
    async (req) => {
      await discoverySessions.cancel(principal(req), req.params.session_id);
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
    async (req) => ok(await discoverySessions.active(principal(req))),
  );
}
