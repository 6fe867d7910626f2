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

/** Discovery results posted by daemons under /api/v1. */
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
