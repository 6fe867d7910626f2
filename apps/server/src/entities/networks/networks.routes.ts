import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { Network } from '@scanopy/contracts';
import type { Db } from '../../db/client.ts';
import { getVisible, principal, setTags } from '../../http/crud.ts';
import { ok } from '../../http/envelope.ts';
import { IdParams, ItemResponse, UuidArray } from '../../http/schemas.ts';
import { networkDef } from '../defs.ts';
import { createNetwork } from './networks.service.ts';

const NetworkBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 100 }), tags: Type.Optional(UuidArray) },
  { additionalProperties: false },
);

export async function networkRoutes(app: FastifyInstance, opts: { db: Db }) {
  const { db } = opts;

  app.post(
    '/networks',
    {
      config: { access: 'admin' },
      schema: {
        operationId: 'create_network',
        tags: ['networks'],
        body: NetworkBody,
        response: { 200: ItemResponse(Network) },
      },
    },
    async (req) => {
      const p = principal(req);
      const body = req.body as { name: string; tags?: string[] };
      const id = await db.transaction(async (tx) => {
        const nid = await createNetwork(tx, p.organizationId, body.name);
        if (body.tags) await setTags(tx, 'Network', p.organizationId, nid, body.tags);
        return nid;
      });
      // Owner/Admin see every org network; the principal's set was computed before this one existed.
      p.networkIds.push(id);
      return ok(await getVisible(db, networkDef, p, id));
    },
  );

  app.put(
    '/networks/:id',
    {
      config: { access: 'admin' },
      schema: {
        operationId: 'update_network',
        tags: ['networks'],
        params: IdParams,
        body: NetworkBody,
        response: { 200: ItemResponse(Network) },
      },
    },
    async (req) => {
      const p = principal(req);
      const { id } = req.params as { id: string };
      const body = req.body as { name: string; tags?: string[] };
      await getVisible(db, networkDef, p, id);
      await db.transaction(async (tx) => {
        await tx.query('UPDATE networks SET name = $2, updated_at = now() WHERE id = $1', [id, body.name]);
        if (body.tags) await setTags(tx, 'Network', p.organizationId, id, body.tags);
      });
      return ok(await getVisible(db, networkDef, p, id));
    },
  );
}
