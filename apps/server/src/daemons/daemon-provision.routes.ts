import { Type } from 'typebox';
import { DaemonResponse, ProvisionDaemonRequest, ProvisionDaemonResponse } from '@scanopy/contracts';
import { principal, type EntityResource } from '../http/crud.ts';
import { ok } from '../http/envelope.ts';
import type { RouteApp } from '../http/route-app.ts';
import { IdParams, ItemResponse, Search, Uuid, UuidArray } from '../http/schemas.ts';
import type { Services } from '../services.ts';

export const daemonResource: EntityResource = {
  name: 'Daemon',
  path: 'daemons',
  filterSchema: { network_id: Uuid, ids: UuidArray, search: Search },
  csvFile: 'Daemons',
  schema: DaemonResponse,
  access: { read: 'viewer', write: 'member' },
};

/** server_poll provisioning (daemon.md §2.5): the user registers a daemon the server will call. */
export async function daemonProvisionRoutes(app: RouteApp, { daemons }: Services) {
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
        response: { 201: ItemResponse(ProvisionDaemonResponse) },
      },
    },
    async (req, reply) => {
      const provisioned = await daemons.provision(principal(req), req.body);
      req.log.info(
        { daemon_id: provisioned.daemon.id, network_id: req.body.network_id },
        'server_poll daemon provisioned',
      );
      return reply.code(201).send(ok(provisioned));
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
      await daemons.retryConnection(principal(req), req.params.id);
      return ok(null);
    },
  );
}
