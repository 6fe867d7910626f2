import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { CreateTagRequest, Tag, UpdateTagRequest, strict } from '@scanopy/contracts';
import type { Db, Queryable } from '../../db/client.ts';
import type { Principal } from '../../auth/principal.ts';
import { EntityService, getVisible, principal, scopeOf, setTags, type EntityDef } from '../../http/crud.ts';
import { ok } from '../../http/envelope.ts';
import { AppError, notFound } from '../../http/errors.ts';
import { IdParams, ItemResponse, Uuid } from '../../http/schemas.ts';
import { daemonApiKeyDef, daemonDef, subnetDef, tagDef, userApiKeyDef } from '../defs.ts';
import { networkSpec } from '../networks/networks.repository.ts';
import { freshId } from '../hosts/hosts.service.ts';
import { hostDef, serviceDef } from '../hosts/hosts.defs.ts';
import { groupDef } from '../groups/groups.defs.ts';
import { discoveryDef } from '../discovery/discovery-config.defs.ts';

/** Taggable entity types and the definitions that say who may see them. */
const taggable: Record<string, EntityDef> = {
  Host: hostDef,
  Service: serviceDef,
  Subnet: subnetDef,
  Group: groupDef,
  Network: { name: 'Network', spec: networkSpec } as EntityDef,
  Daemon: daemonDef,
  DaemonApiKey: daemonApiKeyDef,
  UserApiKey: userApiKeyDef,
  Discovery: discoveryDef,
};
const TaggableType = Type.Enum(Object.keys(taggable));

const AssignBody = Type.Object(
  {
    entity_id: Uuid,
    entity_type: TaggableType,
    tag_ids: Type.Array(Uuid, { maxItems: 1000 }),
  },
  strict,
);
const BulkAssignBody = Type.Object(
  {
    entity_ids: Type.Array(Uuid, { minItems: 1, maxItems: 10000 }),
    entity_type: TaggableType,
    tag_id: Uuid,
  },
  strict,
);
type BulkAssignBody = Static<typeof BulkAssignBody>;
const AffectedResponse = Type.Object({ affected_count: Type.Integer() });

/** Every id must be an entity the caller can see; one that is not makes the whole request a 404. */
async function assertVisible(db: Queryable, p: Principal, entityType: string, ids: string[]) {
  const def = taggable[entityType];
  const unique = [...new Set(ids)];
  const n = (await new EntityService(db.kysely, def.spec, def.name).repo.visibleIds(scopeOf(p), unique))
    .length;
  if (n !== unique.length) throw notFound(def.name);
  return unique;
}

async function assertTagInOrg(db: Queryable, orgId: string, tagId: string) {
  const [t] = await db.query('SELECT 1 FROM tags WHERE id = $1 AND organization_id = $2', [tagId, orgId]);
  if (!t) throw notFound('Tag');
}

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

  app.put(
    '/tags/assign',
    {
      config: { access: 'member' },
      schema: {
        operationId: 'set_entity_tags',
        tags: ['tags'],
        body: AssignBody,
        response: { 200: ItemResponse(Type.Null()) },
      },
    },
    async (req) => {
      const p = principal(req);
      const b = req.body as Static<typeof AssignBody>;
      await assertVisible(db, p, b.entity_type, [b.entity_id]);
      await db.transaction((tx) => setTags(tx, b.entity_type, p.organizationId, b.entity_id, b.tag_ids));
      return ok(null);
    },
  );

  const bulk = (op: 'add' | 'remove') =>
    app.post(
      `/tags/assign/bulk-${op}`,
      {
        config: { access: 'member' },
        schema: {
          operationId: `bulk_${op}_tag`,
          tags: ['tags'],
          body: BulkAssignBody,
          response: { 200: ItemResponse(AffectedResponse) },
        },
      },
      async (req) => {
        const p = principal(req);
        const b = req.body as BulkAssignBody;
        const ids = await assertVisible(db, p, b.entity_type, b.entity_ids);
        await assertTagInOrg(db, p.organizationId, b.tag_id);
        const rows =
          op === 'add'
            ? await db.query(
                `INSERT INTO entity_tags (entity_id, entity_type, tag_id)
                 SELECT e, $2, $3 FROM unnest($1::uuid[]) e ON CONFLICT DO NOTHING RETURNING entity_id`,
                [ids, b.entity_type, b.tag_id],
              )
            : await db.query(
                `DELETE FROM entity_tags WHERE entity_id = ANY($1::uuid[]) AND entity_type = $2 AND tag_id = $3
                 RETURNING entity_id`,
                [ids, b.entity_type, b.tag_id],
              );
        return ok({ affected_count: rows.length });
      },
    );
  bulk('add');
  bulk('remove');
}
