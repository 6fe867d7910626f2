import type { FastifyInstance } from 'fastify';
import type { Db } from '../../db/client.ts';
import { assertNetwork, getVisible, principal } from '../../http/crud.ts';
import { ok } from '../../http/envelope.ts';
import { AppError } from '../../http/errors.ts';
import { ItemResponse } from '../../http/schemas.ts';
import { freshId, loadRef } from '../hosts/hosts.service.ts';
import { Topology, TopologyRequest, topologyDef } from './topology.defs.ts';

/**
 * Topology storage: create only (list, get, delete and export come from registerCrud). Rebuild, refresh, locking
 * and node edits arrive with the topology builder.
 */
export async function topologyRoutes(app: FastifyInstance, opts: { db: Db }) {
  const { db } = opts;

  app.post(
    '/topology',
    {
      config: { access: 'member' },
      schema: {
        operationId: 'create_topology',
        tags: ['topology'],
        body: TopologyRequest,
        response: { 200: ItemResponse(Topology) },
      },
    },
    async (req) => {
      const p = principal(req);
      const b = req.body as TopologyRequest;
      assertNetwork(p, b.network_id);
      const id = await db.transaction(async (tx) => {
        if (b.parent_id) await loadRef(tx, p, 'topologies', b.parent_id, b.network_id, 'Topology');
        const tags = [...new Set(b.tags ?? [])];
        if (tags.length) {
          const found = await tx.query(
            'SELECT 1 FROM tags WHERE id = ANY($1::uuid[]) AND organization_id = $2',
            [tags, p.organizationId],
          );
          if (found.length !== tags.length) throw new AppError('entity_reference_invalid');
        }
        const tid = await freshId(tx, 'topologies', b.id);
        // Without options the column default (the UI's defaults) applies.
        const cols = ['id', 'network_id', 'name', 'parent_id', 'tags'];
        const values: unknown[] = [tid, b.network_id, b.name, b.parent_id ?? null, tags];
        if (b.options) {
          cols.push('options');
          values.push(JSON.stringify(b.options));
        }
        await tx.query(
          `INSERT INTO topologies (${cols.join(', ')}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')})`,
          values,
        );
        return tid;
      });
      return ok(await getVisible(db, topologyDef, p, id));
    },
  );
}
