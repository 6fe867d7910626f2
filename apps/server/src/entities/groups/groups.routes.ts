import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Db, Queryable } from '../../db/client.ts';
import type { Principal } from '../../auth/principal.ts';
import { assertNetwork, getVisible, principal, setTags } from '../../http/crud.ts';
import { ok } from '../../http/envelope.ts';
import { AppError } from '../../http/errors.ts';
import { IdParams, ItemResponse } from '../../http/schemas.ts';
import { freshId } from '../hosts/hosts.service.ts';
import { Group, GroupRequest, groupDef } from './groups.defs.ts';

/** Replaces the ordered binding list; every binding must live on the group's network. */
async function setBindings(tx: Queryable, groupId: string, networkId: string, ids: string[]) {
  const unique = [...new Set(ids)];
  if (unique.length) {
    const found = await tx.query<{ id: string }>(
      'SELECT id FROM bindings WHERE id = ANY($1::uuid[]) AND network_id = $2',
      [unique, networkId],
    );
    if (found.length !== unique.length) {
      throw new AppError('entity_network_mismatch', {
        detail: 'Every binding of a group must exist on the group network',
      });
    }
  }
  await tx.query('DELETE FROM group_bindings WHERE group_id = $1', [groupId]);
  for (const [i, id] of unique.entries()) {
    await tx.query('INSERT INTO group_bindings (group_id, binding_id, position) VALUES ($1, $2, $3)', [
      groupId,
      id,
      i,
    ]);
  }
}

async function writeGroup(tx: Queryable, p: Principal, id: string, b: GroupRequest) {
  await setBindings(tx, id, b.network_id, b.binding_ids ?? []);
  await setTags(tx, 'Group', p.organizationId, id, b.tags ?? []);
}

export async function groupRoutes(app: FastifyInstance, opts: { db: Db }) {
  const { db } = opts;

  app.post(
    '/groups',
    {
      config: { access: 'member' },
      schema: {
        operationId: 'create_group',
        tags: ['groups'],
        body: GroupRequest,
        response: { 200: ItemResponse(Group) },
      },
    },
    async (req) => {
      const p = principal(req);
      const b = req.body as GroupRequest;
      assertNetwork(p, b.network_id);
      const id = await db.transaction(async (tx) => {
        const gid = b.id ? await freshId(tx, 'groups', b.id) : randomUUID();
        await tx.query(
          `INSERT INTO groups (id, network_id, name, description, group_type, color, edge_style, source)
           VALUES ($1, $2, $3, $4, $5, $6, $7, '{"type":"Manual"}')`,
          [
            gid,
            b.network_id,
            b.name,
            b.description ?? null,
            b.group_type,
            b.color,
            b.edge_style ?? 'SmoothStep',
          ],
        );
        await writeGroup(tx, p, gid, b);
        return gid;
      });
      return ok(await getVisible(db, groupDef, p, id));
    },
  );

  app.put(
    '/groups/:id',
    {
      config: { access: 'member' },
      schema: {
        operationId: 'update_group',
        tags: ['groups'],
        params: IdParams,
        body: GroupRequest,
        response: { 200: ItemResponse(Group) },
      },
    },
    async (req) => {
      const p = principal(req);
      const { id } = req.params as { id: string };
      const b = req.body as GroupRequest;
      const current = await getVisible(db, groupDef, p, id);
      if (current.network_id !== b.network_id) {
        throw new AppError('entity_network_mismatch', { detail: 'A group cannot move to another network' });
      }
      await db.transaction(async (tx) => {
        await tx.query(
          `UPDATE groups SET name = $2, description = $3, group_type = $4, color = $5, edge_style = $6,
             updated_at = now() WHERE id = $1`,
          [id, b.name, b.description ?? null, b.group_type, b.color, b.edge_style ?? current.edge_style],
        );
        await writeGroup(tx, p, id, b);
      });
      return ok(await getVisible(db, groupDef, p, id));
    },
  );
}
