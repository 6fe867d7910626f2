import { Type } from 'typebox';
import { Organization } from '@scanopy/contracts';
import { requireUser } from '../../auth/principal.ts';
import { principal } from '../../http/crud.ts';
import { ok } from '../../http/envelope.ts';
import type { RouteApp } from '../../http/route-app.ts';
import { IdParams, ItemResponse } from '../../http/schemas.ts';
import type { Services } from '../../services.ts';

const tags = ['organizations'];

export async function organizationRoutes(app: RouteApp, { organizations }: Services) {
  app.get(
    '/organizations',
    {
      config: { access: 'session' },
      schema: { operationId: 'get_organization', tags, response: { 200: ItemResponse(Organization) } },
    },
    async (req) => ok(await organizations.get(principal(req).organizationId)),
  );

  app.put(
    '/organizations/:id',
    {
      config: { access: 'owner' },
      schema: {
        operationId: 'update_org_name',
        tags,
        params: IdParams,
        // The reference takes the new name as a bare JSON string.
        body: Type.String({ minLength: 1, maxLength: 100 }),
        response: { 200: ItemResponse(Organization) },
      },
    },
    async (req) => ok(await organizations.rename(principal(req), req.params.id, req.body)),
  );

  app.post(
    '/organizations/:id/reset',
    {
      config: { access: 'owner' },
      schema: {
        operationId: 'reset',
        tags,
        description:
          'Wipes everything but the organization and the caller, then makes a fresh default network (fetch it with ' +
          'GET /api/v1/networks). Answers `data: null`, as the reference does.',
        params: IdParams,
        response: { 200: ItemResponse(Type.Null()) },
      },
    },
    async (req) => {
      await organizations.reset(requireUser(req.principal), req.params.id);
      return ok(null);
    },
  );
}
