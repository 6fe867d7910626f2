import type { FastifyInstance } from 'fastify';
import { CreateTagRequest, Tag, UpdateTagRequest } from '@scanopy/contracts';
import type { Db, Queryable } from '../../db/client.ts';
import { getVisible, principal } from '../../http/crud.ts';
import { ok } from '../../http/envelope.ts';
import { AppError } from '../../http/errors.ts';
import { IdParams, ItemResponse } from '../../http/schemas.ts';
import { tagDef } from '../defs.ts';
import { freshId } from '../hosts/hosts.service.ts';

/** Names are unique per organization; checked first for a clear message (the unique index still guards races). */
async function assertNameFree(db: Queryable, orgId: string, name: string, exceptId: string | null) {
  const [dup] = await db.query(
    'SELECT 1 FROM tags WHERE organization_id = $1 AND name = $2 AND id IS DISTINCT FROM $3::uuid',
    [orgId, name, exceptId],
  );
  if (dup) throw new AppError('entity_already_exists', { entity: `Tag "${name}"` });
}

export async function tagRoutes(app: FastifyInstance, opts: { db: Db }) {
  const { db } = opts;

  app.post(
    '/tags',
    {
      config: { access: 'admin' },
      schema: {
        operationId: 'create_tag',
        tags: ['tags'],
        body: CreateTagRequest,
        response: { 200: ItemResponse(Tag) },
      },
    },
    async (req) => {
      const p = principal(req);
      const b = req.body as CreateTagRequest;
      // organization_id in the body is echoed by the UI and ignored: a tag always belongs to the caller's org.
      await assertNameFree(db, p.organizationId, b.name, null);
      const id = await freshId(db, 'tags', b.id);
      await db.query(
        'INSERT INTO tags (id, organization_id, name, description, color) VALUES ($1, $2, $3, $4, $5)',
        [id, p.organizationId, b.name, b.description ?? null, b.color],
      );
      return ok(await getVisible(db, tagDef, p, id));
    },
  );

  app.put(
    '/tags/:id',
    {
      config: { access: 'member' },
      schema: {
        operationId: 'update_tag',
        tags: ['tags'],
        params: IdParams,
        body: UpdateTagRequest,
        response: { 200: ItemResponse(Tag) },
      },
    },
    async (req) => {
      const p = principal(req);
      const { id } = req.params as { id: string };
      const b = req.body as UpdateTagRequest;
      await getVisible(db, tagDef, p, id);
      await assertNameFree(db, p.organizationId, b.name, id);
      await db.query(
        'UPDATE tags SET name = $2, description = $3, color = $4, updated_at = now() WHERE id = $1',
        [id, b.name, b.description ?? null, b.color],
      );
      return ok(await getVisible(db, tagDef, p, id));
    },
  );
}
