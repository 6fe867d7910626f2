import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { Organization } from '@scanopy/contracts';
import type { Db, Queryable } from '../../db/client.ts';
import { principal } from '../../http/crud.ts';
import { ok } from '../../http/envelope.ts';
import { badRequest, notFound } from '../../http/errors.ts';
import { IdParams, ItemResponse } from '../../http/schemas.ts';
import { requireUser } from '../../auth/principal.ts';
import { NetworksRepository } from '../networks/networks.repository.ts';

const tags = ['organizations'];

async function loadOrg(db: Queryable, id: string) {
  const [org] = await db.query(
    `SELECT id, name, plan, plan_status, onboarding, false AS has_payment_method, NULL::timestamptz AS trial_end_date,
       created_at, updated_at FROM organizations WHERE id = $1`,
    [id],
  );
  if (!org) throw notFound('Organization');
  return org;
}

/** The caller's own organization only: any other id is a 404, whatever the role. */
function ownOrg(callerOrg: string, id: string): void {
  if (callerOrg !== id) throw notFound('Organization');
}

export async function organizationRoutes(app: FastifyInstance, opts: { db: Db }) {
  const { db } = opts;

  app.get(
    '/organizations',
    {
      config: { access: 'session' },
      schema: { operationId: 'get_organization', tags, response: { 200: ItemResponse(Organization) } },
    },
    async (req) => ok(await loadOrg(db, principal(req).organizationId)),
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
    async (req) => {
      const p = principal(req);
      const { id } = req.params as { id: string };
      ownOrg(p.organizationId, id);
      const name = (req.body as string).trim();
      if (!name) throw badRequest('Organization name must not be blank');
      await db.query('UPDATE organizations SET name = $2, updated_at = now() WHERE id = $1', [id, name]);
      return ok(await loadOrg(db, id));
    },
  );

  app.post(
    '/organizations/:id/reset',
    {
      config: { access: 'owner' },
      schema: {
        operationId: 'reset_organization',
        tags,
        description:
          'Wipes everything but the organization and the caller, then makes a fresh default network (fetch it with ' +
          'GET /api/v1/networks). Answers `data: null`, as the reference does.',
        params: IdParams,
        response: { 200: ItemResponse(Type.Null()) },
      },
    },
    async (req) => {
      const p = requireUser(req.principal);
      const { id } = req.params as { id: string };
      ownOrg(p.organizationId, id);
      await db.transaction(async (tx) => {
        // Networks first: their cascade removes every network-scoped row, including daemons of the users below.
        await tx.query('DELETE FROM networks WHERE organization_id = $1', [id]);
        await tx.query('DELETE FROM tags WHERE organization_id = $1', [id]);
        await tx.query('DELETE FROM invites WHERE organization_id = $1', [id]);
        await tx.query('DELETE FROM user_api_keys WHERE organization_id = $1', [id]);
        await tx.query('DELETE FROM users WHERE organization_id = $1 AND id <> $2', [id, p.userId]);
        await tx.query('DELETE FROM user_network_access WHERE user_id = $1', [p.userId]);
        await new NetworksRepository(tx.kysely).create(tx.kysely, id, 'My Network');
      });
      return ok(null);
    },
  );
}
