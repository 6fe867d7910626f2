import type { Kdb } from '../../db/client.ts';
import { entitySpec } from '../../db/entity-repository.ts';
import { freshId } from '../../db/fresh-id.ts';
import { removedNames, snapshotNames } from '@scanopy/contracts';
import { sql } from 'kysely';

export const topologySpec = entitySpec({
  table: 'topologies',
  scope: 'network',
  select: () => [
    't.id',
    't.network_id',
    't.name',
    't.options',
    ...[...snapshotNames, ...removedNames].map((n) => `t.${n}` as const),
    't.is_stale',
    't.last_refreshed',
    't.is_locked',
    't.locked_at',
    't.locked_by',
    't.parent_id',
    't.tags',
    't.view',
    't.created_at',
    't.updated_at',
  ],
  filters: { network_id: 'network_id', ids: 'id' },
  csv: {
    columns: [
      'id',
      'name',
      'network_id',
      'is_stale',
      'is_locked',
      'locked_by',
      'locked_at',
      'last_refreshed',
      'parent_id',
      'created_at',
      'updated_at',
    ],
  },
});

export class TopologiesRepository {
  constructor(readonly db: Kdb) {}

  transaction<T>(fn: (trx: Kdb) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }

  /** A stored topology; without options the column default (the UI's defaults) applies. */
  async insert(
    on: Kdb,
    t: {
      id?: string;
      network_id: string;
      name: string;
      parent_id: string | null;
      tags: string[];
      options?: object;
    },
  ): Promise<string> {
    const id = await freshId(on, 'topologies', t.id);
    await on
      .insertInto('topologies')
      .values({
        id,
        network_id: t.network_id,
        name: t.name,
        parent_id: t.parent_id,
        tags: t.tags,
        ...(t.options ? { options: JSON.stringify(t.options) } : {}),
      })
      .execute();
    return id;
  }

  /** What a build needs of the row, whoever asks (the caller was checked by the service). */
  async buildState(id: string, on: Kdb = this.db) {
    return on
      .selectFrom('topologies')
      .select(['id', 'network_id', 'options', 'overrides', 'view', 'is_locked', 'is_stale'])
      .where('id', '=', id)
      .executeTakeFirst();
  }

  /** Replaces graph, snapshot and build state in one statement. */
  async saveBuild(
    on: Kdb,
    id: string,
    v: {
      nodes?: unknown[];
      edges?: unknown[];
      snapshot: Record<string, unknown[]>;
      options?: object;
      overrides?: object;
      view?: string;
      clearStale: boolean;
    },
  ): Promise<void> {
    const j = (x: unknown) => JSON.stringify(x);
    await on
      .updateTable('topologies')
      .set({
        ...(v.nodes ? { nodes: j(v.nodes), edges: j(v.edges ?? []) } : {}),
        ...Object.fromEntries(Object.entries(v.snapshot).map(([k, rows]) => [k, j(rows)])),
        ...(v.options ? { options: j(v.options) } : {}),
        ...(v.overrides ? { overrides: j(v.overrides) } : {}),
        ...(v.view ? { view: v.view } : {}),
        ...(v.clearStale
          ? Object.fromEntries([['is_stale', false], ...removedNames.map((n) => [n, sql`'{}'::uuid[]`])])
          : {}),
        last_refreshed: sql`now()`,
        updated_at: sql`now()`,
      })
      .where('id', '=', id)
      .execute();
  }

  async setLock(id: string, userId: string | null, locked: boolean): Promise<void> {
    await this.db
      .updateTable('topologies')
      .set({
        is_locked: locked,
        locked_at: locked ? sql`now()` : null,
        locked_by: locked ? userId : null,
        updated_at: sql`now()`,
      })
      .where('id', '=', id)
      .execute();
  }

  async setMetadata(
    id: string,
    v: { name: string; parent_id?: string | null; tags?: string[]; options?: object },
  ) {
    await this.db
      .updateTable('topologies')
      .set({
        name: v.name,
        ...(v.parent_id !== undefined ? { parent_id: v.parent_id } : {}),
        ...(v.tags ? { tags: v.tags } : {}),
        ...(v.options ? { options: JSON.stringify(v.options) } : {}),
        updated_at: sql`now()`,
      })
      .where('id', '=', id)
      .execute();
  }

  /**
   * One point update in place: finds the node (or edge) by id inside the stored array, sets the given fields of that
   * element with jsonb_set and records them as a user override; nothing else of the row is read or written.
   * Returns false when the id is not in the graph.
   */
  async patchElement(
    id: string,
    kind: 'nodes' | 'edges',
    elementId: string,
    fields: Record<string, unknown>,
  ): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const found = await sql<{ idx: number }>`
        SELECT (e.ord - 1)::int AS idx
        FROM topologies t, jsonb_array_elements(t.${sql.ref(kind)}) WITH ORDINALITY AS e(el, ord)
        WHERE t.id = ${id} AND e.el->>'id' = ${elementId}
        LIMIT 1`.execute(trx);
      const idx = found.rows[0]?.idx;
      if (idx === undefined) return false;
      let graphExpr = sql`${sql.ref(kind)}`;
      for (const [k, v] of Object.entries(fields)) {
        graphExpr = sql`jsonb_set(${graphExpr}, ${`{${idx},${k}}`}::text[], ${JSON.stringify(v)}::jsonb)`;
      }
      const ov = JSON.stringify({ [elementId]: fields });
      await sql`
        UPDATE topologies SET
          ${sql.ref(kind)} = ${graphExpr},
          overrides = jsonb_set(overrides, ${`{${kind}}`}::text[],
            coalesce(overrides->${kind}, '{}'::jsonb) || (
              SELECT jsonb_object_agg(k, coalesce(overrides->${kind}->k, '{}'::jsonb) || v)
              FROM jsonb_each(${ov}::jsonb) AS x(k, v))),
          updated_at = now()
        WHERE id = ${id}`.execute(trx);
      return true;
    });
  }

  /**
   * Many node patches in one statement (a full PUT): each known node gets its fields merged in, graph and overrides
   * alike; unknown ids are ignored. One rewrite of the graph column however many nodes the body names (a patch per
   * node rewrote the multi-megabyte column a thousand times for a 1,000-host topology).
   */
  async patchNodes(id: string, patches: Record<string, Record<string, unknown>>): Promise<void> {
    if (Object.keys(patches).length === 0) return;
    const p = JSON.stringify(patches);
    await sql`
      UPDATE topologies t SET
        nodes = (
          SELECT coalesce(jsonb_agg(CASE WHEN x.v IS NULL THEN e.el ELSE e.el || x.v END ORDER BY e.ord), '[]'::jsonb)
          FROM jsonb_array_elements(t.nodes) WITH ORDINALITY AS e(el, ord)
          LEFT JOIN jsonb_each(${p}::jsonb) AS x(k, v) ON x.k = e.el->>'id'),
        overrides = jsonb_set(t.overrides, '{nodes}'::text[],
          coalesce(t.overrides->'nodes', '{}'::jsonb) || coalesce((
            SELECT jsonb_object_agg(x.k, coalesce(t.overrides->'nodes'->x.k, '{}'::jsonb) || x.v)
            FROM jsonb_each(${p}::jsonb) AS x(k, v)
            WHERE EXISTS (SELECT 1 FROM jsonb_array_elements(t.nodes) AS n(el) WHERE n.el->>'id' = x.k)),
          '{}'::jsonb)),
        updated_at = now()
      WHERE t.id = ${id}`.execute(this.db);
  }

  /** Topologies of a network (for staleness and auto-rebuild). */
  async ofNetworks(networkIds: string[]) {
    if (networkIds.length === 0) return [];
    return this.db
      .selectFrom('topologies')
      .select(['id', 'network_id', 'is_locked', 'is_stale', 'view'])
      .where('network_id', 'in', networkIds)
      .orderBy('id')
      .execute();
  }

  /** Topologies of every network of the organizations (a tag belongs to an organization, not a network). */
  async ofOrganizations(orgIds: string[]) {
    if (orgIds.length === 0) return [];
    return this.db
      .selectFrom('topologies')
      .innerJoin('networks', 'networks.id', 'topologies.network_id')
      .select([
        'topologies.id',
        'topologies.network_id',
        'topologies.is_locked',
        'topologies.is_stale',
        'topologies.view',
      ])
      .where('networks.organization_id', 'in', orgIds)
      .orderBy('topologies.id')
      .execute();
  }

  async markStale(ids: string[], removed: Partial<Record<(typeof removedNames)[number], string[]>>) {
    if (ids.length === 0) return;
    const sets: Record<string, unknown> = { is_stale: true, updated_at: sql`now()` };
    for (const [k, v] of Object.entries(removed)) {
      if (v && v.length)
        sets[k] = sql`(SELECT array_agg(DISTINCT x) FROM unnest(${sql.ref(k)} || ${v}::uuid[]) x)`;
    }
    await this.db.updateTable('topologies').set(sets).where('id', 'in', ids).execute();
  }

  /**
   * The application tags (flagged `is_application`) of a network's organization, by id, with their names: the boxes
   * of the Applications view.
   */
  async applicationTagsOfNetwork(networkId: string): Promise<Map<string, string>> {
    const rows = await this.db
      .selectFrom('tags')
      .innerJoin('networks', 'networks.organization_id', 'tags.organization_id')
      .select(['tags.id', 'tags.name'])
      .where('networks.id', '=', networkId)
      .where('tags.is_application', '=', true)
      .execute();
    return new Map(rows.map((r) => [r.id, r.name]));
  }
}
