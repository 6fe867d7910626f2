import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import {
  Daemon,
  DaemonCapabilities,
  DaemonRegistrationRequest,
  DaemonStartupRequest,
  DaemonStatusPayload,
  DiscoveryUpdatePayload,
  ServerCapabilities,
} from '@scanopy/contracts';
import type { Db } from '../db/client.ts';
import type { DaemonPrincipal } from '../auth/principal.ts';
import { ok } from '../http/envelope.ts';
import { AppError, notFound } from '../http/errors.ts';
import { IdParams, ItemResponse } from '../http/schemas.ts';
import { getVisible } from '../http/crud.ts';
import { daemonDef } from '../entities/defs.ts';
import { MINIMUM_DAEMON_VERSION } from '../entities/daemons/daemons.service.ts';
import { SERVER_VERSION } from '../version.ts';
import { SessionsService } from './sessions.service.ts';

export const serverCapabilities = () => ({
  server_version: SERVER_VERSION,
  minimum_daemon_version: MINIMUM_DAEMON_VERSION,
  deprecation_warnings: [],
});

function daemonOf(req: { principal?: unknown; params?: unknown }): DaemonPrincipal {
  const p = req.principal as DaemonPrincipal;
  const id = (req.params as { id?: string } | undefined)?.id;
  if (id && id !== p.daemonId) throw new AppError('daemon_identity_mismatch');
  return p;
}

/** The daemon → server protocol (daemon.md §2.2), unversioned under /api/daemons. */
export async function daemonProtocolRoutes(app: FastifyInstance, opts: { db: Db }) {
  const { db } = opts;
  const sessions = new SessionsService(db);
  const tags = ['daemons'];

  async function touch(daemonId: string, fields: Record<string, unknown> = {}) {
    const sets = ['last_seen = now()', 'updated_at = now()'];
    const params: unknown[] = [daemonId];
    for (const [k, v] of Object.entries(fields)) {
      if (v === undefined) continue;
      params.push(typeof v === 'object' && v !== null ? JSON.stringify(v) : v);
      sets.push(`${k} = $${params.length}`);
    }
    const rows = await db.query(`UPDATE daemons SET ${sets.join(', ')} WHERE id = $1 RETURNING id`, params);
    if (!rows.length) throw notFound('Daemon');
  }

  app.post(
    '/register',
    {
      config: { access: 'daemon' },
      schema: {
        operationId: 'register_daemon',
        tags,
        body: DaemonRegistrationRequest,
        response: {
          200: ItemResponse(
            Type.Object({ daemon: Daemon, host_id: Type.String(), server_capabilities: ServerCapabilities }),
          ),
        },
      },
    },
    async (req) => {
      const p = daemonOf(req);
      const body = req.body as {
        daemon_id: string;
        network_id: string;
        name: string;
        mode: string;
        capabilities: { has_docker_socket: boolean; interfaced_subnet_ids: string[] };
        user_id?: string | null;
        version?: string | null;
      };
      if (body.daemon_id !== p.daemonId) throw new AppError('daemon_identity_mismatch');
      if (body.network_id !== p.networkId) throw new AppError('daemon_network_mismatch');
      const mode = normalizeMode(body.mode);
      const hostId = await db.transaction(async (tx) => {
        const [existing] = await tx.query<{ host_id: string; network_id: string }>(
          'SELECT host_id, network_id FROM daemons WHERE id = $1 FOR UPDATE',
          [body.daemon_id],
        );
        if (existing) {
          if (existing.network_id !== p.networkId) throw new AppError('daemon_network_mismatch');
          await tx.query(
            `UPDATE daemons SET name = $2, mode = $3, capabilities = $4, version = $5, api_key_id = $6,
               last_seen = now(), updated_at = now() WHERE id = $1`,
            [
              body.daemon_id,
              body.name,
              mode,
              JSON.stringify(body.capabilities),
              body.version ?? null,
              p.keyId,
            ],
          );
          return existing.host_id;
        }
        // The daemon is attributed to the given user when it belongs to this org, else to the first Owner.
        const [user] = await tx.query<{ id: string }>(
          `SELECT id FROM users WHERE organization_id = $1 AND (id = $2 OR permissions = 'Owner')
           ORDER BY (id = $2) DESC, created_at LIMIT 1`,
          [p.organizationId, body.user_id ?? null],
        );
        if (!user) throw new AppError('entity_reference_invalid');
        const host = randomUUID();
        const source = {
          type: 'Discovery',
          metadata: [
            { type: 'SelfReport', host_id: host, daemon_id: body.daemon_id, date: new Date().toISOString() },
          ],
        };
        await tx.query(
          `INSERT INTO hosts (id, network_id, name, description, source) VALUES ($1, $2, $3, 'Scanopy daemon', $4)`,
          [host, p.networkId, body.name.slice(0, 100) || 'scanopy-daemon', JSON.stringify(source)],
        );
        await tx.query(
          `INSERT INTO daemons (id, network_id, host_id, user_id, name, mode, capabilities, version, api_key_id, last_seen)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now())`,
          [
            body.daemon_id,
            p.networkId,
            host,
            user.id,
            body.name,
            mode,
            JSON.stringify(body.capabilities),
            body.version ?? null,
            p.keyId,
          ],
        );
        const [net] = await tx.query<{ name: string }>('SELECT name FROM networks WHERE id = $1', [
          p.networkId,
        ]);
        // The reference's default jobs, in its queue order (daemon.md §3.6). The self-report and, with a Docker
        // socket, the Docker discovery (local Engine API only) run at once; the Network discovery is created but
        // never started by itself: scanning a network is always an explicit user action.
        await sessions.createDiscovery(
          tx,
          body.daemon_id,
          p.networkId,
          `Self Report — ${net.name}`,
          { type: 'SelfReport', host_id: host },
          true,
        );
        if (body.capabilities.has_docker_socket) {
          await sessions.createDiscovery(
            tx,
            body.daemon_id,
            p.networkId,
            `Docker — ${net.name}`,
            { type: 'Docker', host_id: host, host_naming_fallback: 'BestService' },
            true,
          );
        }
        await sessions.createDiscovery(
          tx,
          body.daemon_id,
          p.networkId,
          `Network — ${net.name}`,
          {
            type: 'Network',
            subnet_ids: null,
            host_naming_fallback: 'BestService',
            probe_raw_socket_ports: false,
          },
          false,
        );
        return host;
      });
      req.log.info({ daemon_id: body.daemon_id, network_id: p.networkId }, 'daemon registered');
      const daemon = await getVisible(db, daemonDef, p, body.daemon_id);
      return ok({ daemon, host_id: hostId, server_capabilities: serverCapabilities() });
    },
  );

  app.post(
    '/:id/startup',
    {
      config: { access: 'daemon' },
      schema: {
        operationId: 'daemon_startup',
        tags,
        params: IdParams,
        body: DaemonStartupRequest,
        response: { 200: ItemResponse(ServerCapabilities) },
      },
    },
    async (req) => {
      const p = daemonOf(req);
      await touch(p.daemonId, { version: (req.body as { daemon_version: string }).daemon_version });
      // Sent once per boot: whatever the daemon was running died with its previous process.
      const failed = await sessions.failRunning(
        p.daemonId,
        'The daemon restarted while the session was running',
      );
      if (failed)
        req.log.warn({ daemon_id: p.daemonId, sessions: failed }, 'daemon restarted; its sessions failed');
      return ok(serverCapabilities());
    },
  );

  app.post(
    '/:id/update-capabilities',
    {
      config: { access: 'daemon' },
      schema: {
        operationId: 'update_daemon_capabilities',
        tags,
        params: IdParams,
        body: DaemonCapabilities,
        response: { 200: ItemResponse(Type.Null()) },
      },
    },
    async (req) => {
      const p = daemonOf(req);
      await touch(p.daemonId, { capabilities: req.body });
      return ok(null);
    },
  );

  app.post(
    '/:id/request-work',
    {
      config: { access: 'daemon' },
      schema: {
        operationId: 'daemon_request_work',
        tags,
        params: IdParams,
        body: DaemonStatusPayload,
        // [payload | null, cancel]. Declared as a 2-item array of a union: fast-json-stringify mis-serializes a
        // tuple whose item is itself a union.
        response: {
          200: ItemResponse(
            Type.Array(Type.Union([DiscoveryUpdatePayload, Type.Null(), Type.Boolean()]), {
              minItems: 2,
              maxItems: 2,
            }),
          ),
        },
      },
    },
    async (req) => {
      const p = daemonOf(req);
      const body = req.body as { name?: string; mode?: string; version?: string | null };
      await touch(p.daemonId, {
        name: body.name,
        mode: body.mode ? normalizeMode(body.mode) : undefined,
        version: body.version ?? undefined,
      });
      return ok(await sessions.requestWork(p.daemonId));
    },
  );

  app.post(
    '/:id/heartbeat',
    {
      config: { access: 'daemon' },
      schema: {
        operationId: 'daemon_heartbeat',
        tags,
        params: IdParams,
        body: Type.Object({}, { additionalProperties: true }),
        response: { 200: ItemResponse(Type.Null()) },
      },
    },
    async (req) => {
      await touch(daemonOf(req).daemonId);
      return ok(null);
    },
  );
}

/** The reference accepts the v0.13 names as aliases. */
export function normalizeMode(mode: string): 'daemon_poll' | 'server_poll' {
  const m = mode.toLowerCase();
  if (m === 'server_poll' || m === 'push') return 'server_poll';
  return 'daemon_poll';
}

export { SessionsService };
