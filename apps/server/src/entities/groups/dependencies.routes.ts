import { Dependency, DependencyRequest } from '@scanopy/contracts';
import { principal, type EntityResource } from '../../http/crud.ts';
import { ok } from '../../http/envelope.ts';
import type { RouteApp } from '../../http/route-app.ts';
import { IdParams, ItemResponse, Search, Uuid, UuidArray } from '../../http/schemas.ts';
import type { Services } from '../../services.ts';

/** v0.17 dependencies: groups under their newer name and shape, with the groups' access (read Viewer, write Member). */
export const dependencyResource: EntityResource = {
  name: 'Dependency',
  path: 'dependencies',
  filterSchema: { network_id: Uuid, ids: UuidArray, tag_ids: UuidArray, search: Search },
  csvFile: 'Dependencies',
  schema: Dependency,
  access: { read: 'viewer', write: 'member' },
};

/** Create and update; list, read, delete, bulk delete and CSV export are the generic ones (routes.ts). */
export async function dependencyRoutes(app: RouteApp, { groups }: Services) {
  app.post(
    '/dependencies',
    {
      config: { access: 'member' },
      schema: {
        operationId: 'create_dependency',
        tags: ['dependencies'],
        body: DependencyRequest,
        response: { 200: ItemResponse(Dependency) },
      },
    },
    async (req) => ok(await groups.createDependency(principal(req), req.body)),
  );

  app.put(
    '/dependencies/:id',
    {
      config: { access: 'member' },
      schema: {
        operationId: 'update_dependency',
        tags: ['dependencies'],
        params: IdParams,
        body: DependencyRequest,
        response: { 200: ItemResponse(Dependency) },
      },
    },
    async (req) => ok(await groups.updateDependency(principal(req), req.params.id, req.body)),
  );
}
