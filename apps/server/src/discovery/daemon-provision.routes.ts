import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { DaemonResponse } from '@scanopy/contracts';
import type { Db } from '../db/client.ts';
import { requireUser } from '../auth/principal.ts';
import { assertNetwork, getVisible, principal } from '../http/crud.ts';
import { ok } from '../http/envelope.ts';
import { badRequest } from '../http/errors.ts';
import { IdParams, ItemResponse, Uuid } from '../http/schemas.ts';
import { daemonDef } from '../entities/defs.ts';
import { createDaemonKey } from '../entities/api-keys/api-keys.routes.ts';
import { SERVER_VERSION } from '../version.ts';

const ProvisionDaemonRequest = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    network_id: Uuid,
    url: Type.String({ minLength: 1, maxLength: 2000 }),
  },
  { additionalProperties: false },
);

/** The daemon's base URL as the server will call it: http(s) only, no credentials, no query. */
function daemonUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    throw badRequest('url must be an absolute http:// or https:// URL');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw badRequest('url must use http or https');
  if (u.username || u.password || u.search || u.hash) {
    throw badRequest('url must not carry credentials, a query or a fragment');
  }
  return u.toString().replace(/\/+$/, '');
}

/** server_poll provisioning (daemon.md §2.5): the user registers a daemon the server will call. */
export async function daemonProvisionRoutes(app: FastifyInstance, opts: { db: Db }) {
  const { db } = opts;

  app.post(
    '/daemons/provision',
    {
      config: { access: 'member' },
      schema: {
        operationId: 'provision_daemon',
        tags: ['daemons'],
        summary: 'Provision a server_poll daemon',
        description:
          'Creates a daemon in server_poll mode, its host and its API key, for a daemon reachable at `url`. The ' +
          'key is shown once: configure the daemon with SCANOPY_MODE=server_poll, this key and the network id. ' +
          'The server then contacts the daemon (first-contact, status, poll) on its discovery loop.',
        body: ProvisionDaemonRequest,
        response: {
          201: ItemResponse(Type.Object({ daemon: DaemonResponse, daemon_api_key: Type.String() })),
        },
      },
    },
    async (req, reply) => {
      const p = principal(req);
      const user = requireUser(p);
      const b = req.body as { name: string; network_id: string; url: string };
      assertNetwork(p, b.network_id);
      const url = daemonUrl(b.url);
      const name = b.name.trim() || 'scanopy-daemon';
      const daemonId = randomUUID();
      const key = await db.transaction(async (tx) => {
        const created = await createDaemonKey(tx, b.network_id, name);
        // The server authenticates to this daemon with the key itself, so this one key keeps its plaintext.
        await tx.query('UPDATE api_keys SET plaintext_key = $2 WHERE id = $1', [created.id, created.key]);
        const hostId = randomUUID();
        await tx.query(
          `INSERT INTO hosts (id, network_id, name, description, source) VALUES ($1, $2, $3, 'Scanopy daemon', $4)`,
          [hostId, b.network_id, name, JSON.stringify({ type: 'System' })],
        );
        await tx.query(
          `INSERT INTO daemons (id, network_id, host_id, user_id, name, url, mode, version, api_key_id, last_seen)
           VALUES ($1, $2, $3, $4, $5, $6, 'server_poll', $7, $8, NULL)`,
          [daemonId, b.network_id, hostId, user.userId, name, url, SERVER_VERSION, created.id],
        );
        return created.key;
      });
      req.log.info({ daemon_id: daemonId, network_id: b.network_id }, 'server_poll daemon provisioned');
      return reply
        .code(201)
        .send(ok({ daemon: await getVisible(db, daemonDef, p, daemonId), daemon_api_key: key }));
    },
  );

  app.post(
    '/daemons/:id/retry-connection',
    {
      config: { access: 'member' },
      schema: {
        operationId: 'retry_daemon_connection',
        tags: ['daemons'],
        summary: 'Poll an unreachable server_poll daemon again',
        description: 'Clears is_unreachable; the next discovery loop pass contacts the daemon.',
        params: IdParams,
        response: { 200: ItemResponse(Type.Null()) },
      },
    },
    async (req) => {
      const p = principal(req);
      const { id } = req.params as { id: string };
      await getVisible(db, daemonDef, p, id);
      await db.transaction(async (tx) => {
        await tx.query('UPDATE daemons SET is_unreachable = false, updated_at = now() WHERE id = $1', [id]);
        await tx.query('DELETE FROM server_poll_claims WHERE daemon_id = $1', [id]);
      });
      return ok(null);
    },
  );
}
