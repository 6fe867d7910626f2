import {
  Topology,
  TopologyEdgeHandleUpdate,
  TopologyMetadataUpdate,
  TopologyNodePositionUpdate,
  TopologyNodeResizeUpdate,
  TopologyRebuildRequest,
  TopologyRequest,
  TopologyView,
} from '@scanopy/contracts';
import { Type, type TSchema } from 'typebox';
import { principal, type EntityResource } from '../../http/crud.ts';
import { ok } from '../../http/envelope.ts';
import type { RouteApp } from '../../http/route-app.ts';
import { IdParams, ItemResponse, Uuid, UuidArray } from '../../http/schemas.ts';
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
const GRAPH_BODY_LIMIT_BYTES = 16 * 1024 * 1024;

const Empty = ItemResponse(Type.Null());

/**
 * Topology routes: create and full update, rebuild/refresh, lock/unlock and the point updates (list, get, delete and
 * export come from registerCrud).
 */
export async function topologyRoutes(app: RouteApp, { topologies }: Services) {
  topologies.lifecycle.start((l) => app.bus.subscribe(l));
  app.addHook('onClose', async () => topologies.lifecycle.stop());

  app.get(
    '/topology/data',
    {
      config: { access: 'viewer' },
      schema: {
        operationId: 'get_topology_data',
        tags: ['topology'],
        querystring: Type.Object({ network_id: Uuid, view: Type.Optional(TopologyView) }),
        response: { 200: ItemResponse(Type.Record(Type.String(), Type.Unknown())) },
      },
    },
    async (req) => ok(await topologies.graphOf(principal(req), req.query.network_id, req.query.view)),
  );

  app.get(
    '/topology/:id/export/mermaid',
    {
      config: { access: 'viewer' },
      schema: {
        operationId: 'export_topology_mermaid',
        tags: ['topology'],
        params: IdParams,
        querystring: Type.Object({ view: Type.Optional(TopologyView) }),
        produces: ['text/plain'],
        response: { 200: Type.String() },
      },
    },
    async (req, reply) => {
      const text = await topologies.mermaid(principal(req), req.params.id, req.query.view);
      return reply.type('text/plain; charset=utf-8').send(text);
    },
  );

  const post = (
    path: string,
    operationId: string,
    body: TSchema | undefined,
    response: TSchema,
    handler: (
      req: { params: { id: string }; body: never } & Parameters<typeof principal>[0],
    ) => Promise<unknown>,
    bodyLimit?: number,
  ) =>
    app.post(
      path,
      {
        config: { access: 'member' },
        ...(bodyLimit ? { bodyLimit } : {}),
        schema: {
          operationId,
          tags: ['topology'],
          params: IdParams,
          ...(body ? { body } : {}),
          response: { 200: response },
        },
      },
      async (req) => ok(await handler(req as never)),
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

  post(
    '/topology/:id/rebuild',
    'rebuild',
    TopologyRebuildRequest,
    Empty,
    async (req) => {
      // An empty success, like the reference; the rebuilt topology is read back (or arrives on the stream).
      await topologies.rebuild(principal(req), req.params.id, req.body as TopologyRebuildRequest);
      return null;
    },
    GRAPH_BODY_LIMIT_BYTES,
  );
  post(
    '/topology/:id/refresh',
    'refresh',
    TopologyRebuildRequest,
    Empty,
    async (req) => {
      // An empty success, like the reference; the rebuilt topology is read back (or arrives on the stream).
      await topologies.refresh(principal(req), req.params.id, req.body as TopologyRebuildRequest);
      return null;
    },
    GRAPH_BODY_LIMIT_BYTES,
  );
  post('/topology/:id/lock', 'lock', undefined, ItemResponse(Topology), async (req) =>
    topologies.lock(principal(req), req.params.id),
  );
  post('/topology/:id/unlock', 'unlock', undefined, ItemResponse(Topology), async (req) =>
    topologies.unlock(principal(req), req.params.id),
  );
  post(
    '/topology/:id/node-position',
    'update_node_position',
    TopologyNodePositionUpdate,
    Empty,
    async (req) => {
      await topologies.nodePosition(principal(req), req.params.id, req.body as TopologyNodePositionUpdate);
      return null;
    },
  );
  post('/topology/:id/node-resize', 'update_node_resize', TopologyNodeResizeUpdate, Empty, async (req) => {
    await topologies.nodeResize(principal(req), req.params.id, req.body as TopologyNodeResizeUpdate);
    return null;
  });
  post('/topology/:id/edge-handles', 'update_edge_handles', TopologyEdgeHandleUpdate, Empty, async (req) => {
    await topologies.edgeHandles(principal(req), req.params.id, req.body as TopologyEdgeHandleUpdate);
    return null;
  });
  post('/topology/:id/metadata', 'update_metadata', TopologyMetadataUpdate, Empty, async (req) => {
    await topologies.metadata(principal(req), req.params.id, req.body as TopologyMetadataUpdate);
    return null;
  });
}
