import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import {
  UpdateCapabilitiesBody,
  DaemonHeartbeatBody,
  DaemonRegistrationRequest,
  DaemonStartupRequest,
  DaemonStatusPayload,
  DiscoveryHostRequest,
  DiscoverySessionParams,
  DiscoveryUpdatePayload,
  HostResponse,
  RegisterDaemonResponse,
  RequestWorkArray,
  ServerCapabilities,
} from '@scanopy/contracts';
import type { DaemonPrincipal } from '../auth/principal.ts';
import { principal } from '../http/crud.ts';
import { ok } from '../http/envelope.ts';
import { AppError } from '../http/errors.ts';
import type { RouteApp } from '../http/route-app.ts';
import { IdParams, ItemResponse } from '../http/schemas.ts';
import type { Services } from '../services.ts';
import { serverCapabilities } from './daemon-version.ts';

/** The calling daemon; a path id that is not its own is refused. */
function daemonOf(req: FastifyRequest, pathId?: string): DaemonPrincipal {
  const p = principal(req);
  if (p.kind !== 'daemon') throw new AppError('auth_permission_denied', { role: 'daemon' });
  if (pathId && pathId !== p.daemonId) throw new AppError('daemon_identity_mismatch');
  return p;
}

/** The daemon → server protocol (daemon.md §2.2), unversioned under /api/daemons. */
export async function daemonProtocolRoutes(app: RouteApp, { daemons }: Services) {
  const tags = ['daemons'];

  app.post(
    '/register',
    {
      config: { access: 'daemon' },
      schema: {
        operationId: 'register_daemon',
        tags,
        body: DaemonRegistrationRequest,
        response: { 200: ItemResponse(RegisterDaemonResponse) },
      },
    },
    async (req) => {
      const registered = await daemons.register(daemonOf(req), req.body);
      req.log.info({ daemon_id: req.body.daemon_id, network_id: req.body.network_id }, 'daemon registered');
      return ok(registered);
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
      const p = daemonOf(req, req.params.id);
      const failed = await daemons.startup(p, req.body.daemon_version);
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
        operationId: 'update_capabilities',
        tags,
        params: IdParams,
        body: UpdateCapabilitiesBody,
        response: { 200: ItemResponse(Type.Null()) },
      },
    },
    async (req) => {
      await daemons.updateCapabilities(daemonOf(req, req.params.id), {
        has_docker_socket: req.body.has_docker_socket ?? false,
        interfaced_subnet_ids: req.body.interfaced_subnet_ids,
      });
      return ok(null);
    },
  );

  app.post(
    '/:id/request-work',
    {
      config: { access: 'daemon' },
      schema: {
        operationId: 'receive_work_request',
        tags,
        params: IdParams,
        body: DaemonStatusPayload,
        // [payload | null, cancel].
        response: { 200: ItemResponse(RequestWorkArray) },
      },
    },
    async (req) => ok(await daemons.requestWork(daemonOf(req, req.params.id), req.body)),
  );

  app.post(
    '/:id/heartbeat',
    {
      config: { access: 'daemon' },
      schema: {
        operationId: 'receive_heartbeat',
        tags,
        params: IdParams,
        body: DaemonHeartbeatBody,
        response: { 200: ItemResponse(Type.Null()) },
      },
    },
    async (req) => {
      await daemons.heartbeat(daemonOf(req, req.params.id));
      return ok(null);
    },
  );
}

/**
 * A host a daemon discovered, under /api/v1 (reference path). server_poll daemons report through the same service
 * method (server-poll.service.ts).
 */
export async function hostReportRoutes(app: RouteApp, { ingestion }: Services) {
  app.post(
    '/hosts/discovery',
    {
      config: { access: 'daemon' },
      schema: {
        operationId: 'create_host_discovery',
        tags: ['hosts'],
        body: DiscoveryHostRequest,
        response: { 200: ItemResponse(HostResponse) },
      },
    },
    async (req) => ok(await ingestion.discoverHost(principal(req), req.body)),
  );
}

/** A daemon's progress on a discovery session, under /api/v1 (reference path); server_poll reports the same way. */
export async function sessionReportRoutes(app: RouteApp, { discoverySessions }: Services) {
  app.post(
    '/discovery/:session_id/update',
    {
      config: { access: 'daemon' },
      schema: {
        operationId: 'receive_discovery_update',
        tags: ['discovery'],
        params: DiscoverySessionParams,
        body: DiscoveryUpdatePayload,
        response: { 200: ItemResponse(Type.Null()) },
      },
    },
    async (req) => {
      const p = daemonOf(req);
      await discoverySessions.update(p.daemonId, p.networkId, {
        ...req.body,
        session_id: req.params.session_id,
      });
      return ok(null);
    },
  );
}
