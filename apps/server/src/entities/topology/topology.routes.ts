import {
  Topology,
  TopologyEdgeHandleUpdate,
  TopologyMetadataUpdate,
  TopologyNodePositionUpdate,
  TopologyNodeResizeUpdate,
  TopologyRebuildRequest,
  TopologyRequest,
} from '@scanopy/contracts';
import { Type, type TSchema } from 'typebox';
import { principal, type EntityResource } from '../../http/crud.ts';
import { ok } from '../../http/envelope.ts';
import type { RouteApp } from '../../http/route-app.ts';
import { IdParams, ItemResponse, Uuid, UuidArray } from '../../http/schemas.ts';
import { ourView, topologyData, TopologyViewParam } from '../../http/v017-topology.ts';
import type { Services } from '../../services.ts';

export const topologyResource: EntityResource = {
  name: 'Topology',
  path: 'topology',
  filterSchema: { network_id: Uuid, ids: UuidArray },
  csvFile: 'Topologies',
  schema: Topology,
  access: { read: 'viewer', write: 'member' },
};

/**
 * A full topology save (PUT, the reference UI before #451) carries the whole graph and snapshot: a 1,000-host
 * topology is some 6–7 MB, so this route alone accepts up to 32 MB; beyond that, 413.
 */
export const FULL_SAVE_LIMIT_BYTES = 32 * 1024 * 1024;
/** Rebuild and refresh bodies carry the client's current nodes and edges. */
export const GRAPH_BODY_LIMIT_BYTES = 16 * 1024 * 1024;

const Empty = ItemResponse(Type.Null());

/**
 * Topology routes: create and full update, rebuild/refresh, lock/unlock and the point updates (list, get, delete and
 * export come from registerCrud).
 */
export async function topologyRoutes(app: RouteApp, { topologies, config, entities }: Services) {
  topologies.lifecycle.autoRebuild = config.topologyAutoRebuild;
  topologies.lifecycle.start((l) => app.bus.subscribe(l));
  app.addHook('onClose', async () => topologies.lifecycle.stop());

  app.get(
    '/topology/data',
    {
      config: { access: 'viewer' },
      schema: {
        operationId: 'get_topology_data',
        tags: ['topology'],
        querystring: Type.Object({
          network_id: Uuid,
          view: Type.Optional(TopologyViewParam),
          snapshot_id: Type.Optional(Uuid),
        }),
        response: { 200: ItemResponse(Type.Record(Type.String(), Type.Unknown())) },
      },
    },
    // v0.17's TopologyData without ?view=, one view's graph with it (http/v017-topology.ts).
    async (req) =>
      ok(
        await topologyData(
          {
            graphOf: (p, id, view) => topologies.graphOf(p, id, view),
            dependencies: entities.dependencies,
            tags: entities.tags,
          },
          principal(req),
          req.query,
        ),
      ),
  );

  app.get(
    '/topology/:id/export/mermaid',
    {
      config: { access: 'viewer' },
      schema: {
        operationId: 'export_mermaid',
        tags: ['topology'],
        params: IdParams,
        querystring: Type.Object({ view: Type.Optional(TopologyViewParam) }),
        produces: ['text/plain'],
        response: { 200: Type.String() },
      },
    },
    async (req, reply) => {
      const text = await topologies.mermaid(principal(req), req.params.id, ourView(req.query.view));
      return reply.type('text/plain; charset=utf-8').send(text);
    },
  );

  app.post(
    '/topology',
    {
      config: { access: 'member' },
      bodyLimit: FULL_SAVE_LIMIT_BYTES,
      schema: {
        operationId: 'create_topology',
        tags: ['topology'],
        body: TopologyRequest,
        response: { 200: ItemResponse(Topology) },
      },
    },
    async (req) => ok(await topologies.create(principal(req), req.body)),
  );

  app.put(
    '/topology/:id',
    {
      config: { access: 'member' },
      bodyLimit: FULL_SAVE_LIMIT_BYTES,
      schema: {
        operationId: 'update_topology',
        tags: ['topology'],
        params: IdParams,
        body: TopologyRequest,
        response: { 200: ItemResponse(Topology) },
      },
    },
    async (req) => ok(await topologies.update(principal(req), req.params.id, req.body)),
  );

  app.post(
    '/topology/:id/rebuild',
    {
      config: { access: 'member' },
      bodyLimit: GRAPH_BODY_LIMIT_BYTES,
      schema: topologyPost('rebuild', TopologyRebuildRequest, Empty),
    },
    async (req) => {
      // An empty success, like the reference; the rebuilt topology is read back (or arrives on the stream).
      await topologies.rebuild(principal(req), req.params.id, req.body);
      return ok(null);
    },
  );
  app.post(
    '/topology/:id/refresh',
    {
      config: { access: 'member' },
      bodyLimit: GRAPH_BODY_LIMIT_BYTES,
      schema: topologyPost('refresh', TopologyRebuildRequest, Empty),
    },
    async (req) => {
      await topologies.refresh(principal(req), req.params.id, req.body);
      return ok(null);
    },
  );
  app.post(
    '/topology/:id/lock',
    { config: { access: 'member' }, schema: topologyAction('lock', ItemResponse(Topology)) },
    async (req) => ok(await topologies.lock(principal(req), req.params.id)),
  );
  app.post(
    '/topology/:id/unlock',
    { config: { access: 'member' }, schema: topologyAction('unlock', ItemResponse(Topology)) },
    async (req) => ok(await topologies.unlock(principal(req), req.params.id)),
  );
  app.post(
    '/topology/:id/node-position',
    {
      config: { access: 'member' },
      schema: topologyPost('update_node_position', TopologyNodePositionUpdate, Empty),
    },
    async (req) => {
      await topologies.nodePosition(principal(req), req.params.id, req.body);
      return ok(null);
    },
  );
  app.post(
    '/topology/:id/node-resize',
    {
      config: { access: 'member' },
      schema: topologyPost('update_node_resize', TopologyNodeResizeUpdate, Empty),
    },
    async (req) => {
      await topologies.nodeResize(principal(req), req.params.id, req.body);
      return ok(null);
    },
  );
  app.post(
    '/topology/:id/edge-handles',
    {
      config: { access: 'member' },
      schema: topologyPost('update_edge_handles', TopologyEdgeHandleUpdate, Empty),
    },
    async (req) => {
      await topologies.edgeHandles(principal(req), req.params.id, req.body);
      return ok(null);
    },
  );
  app.post(
    '/topology/:id/metadata',
    { config: { access: 'member' }, schema: topologyPost('update_metadata', TopologyMetadataUpdate, Empty) },
    async (req) => {
      await topologies.metadata(principal(req), req.params.id, req.body);
      return ok(null);
    },
  );
}

/** The schema of a POST on one topology with a body: the route's `req.body` is the body schema's static type. */
function topologyPost<B extends TSchema, R extends TSchema>(operationId: string, body: B, response: R) {
  return { operationId, tags: ['topology'], params: IdParams, body, response: { 200: response } };
}

/** The schema of a POST on one topology without a body (lock, unlock). */
function topologyAction<R extends TSchema>(operationId: string, response: R) {
  return { operationId, tags: ['topology'], params: IdParams, response: { 200: response } };
}
