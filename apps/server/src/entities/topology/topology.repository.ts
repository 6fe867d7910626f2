import type { Kdb } from '../../db/client.ts';
import { anyOf, entitySpec, type Row } from '../../db/entity-repository.ts';
import { freshId } from '../../db/fresh-id.ts';
import { removedNames, snapshotNames, type TopologyAction } from '@scanopy/contracts';
import { sql } from 'kysely';
import type { Graph } from './topology.builder.ts';
import { applyOverrides, type Overrides } from './topology.layout.ts';

/** A placement row's kind and the graph column (and id list) it belongs to. */
type ElementKind = 'nodes' | 'edges';
const KIND = { nodes: 'node', edges: 'edge' } as const;
const IDS = { nodes: 'node_ids', edges: 'edge_ids' } as const;

/** The user's placements of some topologies, as overrides per topology id, with the time of the latest. */
export async function placementsOf(
  db: Kdb,
  ids: string[],
): Promise<Map<string, { overrides: Overrides; latest: Date }>> {
  const out = new Map<string, { overrides: Overrides; latest: Date }>();
  if (ids.length === 0) return out;
  const rows = await db
    .selectFrom('topology_placements')
    .select(['topology_id', 'kind', 'element_id', 'placement', 'updated_at'])
    .where(anyOf('topology_id', ids))
    .execute();
  for (const r of rows) {
    const at = new Date(r.updated_at as unknown as string);
    const o = out.get(r.topology_id) ?? { overrides: { nodes: {}, edges: {} }, latest: at };
    const bucket = (r.kind === 'node' ? o.overrides.nodes : o.overrides.edges) as Record<string, unknown>;
    bucket[r.element_id] = r.placement;
    if (at > o.latest) o.latest = at;
    out.set(r.topology_id, o);
  }
  return out;
}

/**
 * Lays each topology's placements over its stored graph, so reads show every point update made since the last
 * build (the graph column is only written by builds); `updated_at` is the later of the row's and the latest
 * placement's.
 */
async function withPlacements(db: Kdb, rows: Row[]): Promise<Row[]> {
  const placed = await placementsOf(
    db,
    rows.filter((r) => Array.isArray(r.nodes)).map((r) => r.id as string),
  );
  for (const r of rows) {
    const p = placed.get(r.id as string);
    if (!p) continue;
    applyOverrides({ nodes: r.nodes, edges: r.edges ?? [] } as Graph, p.overrides);
    const at = r.updated_at instanceof Date ? r.updated_at : new Date(r.updated_at as string);
    if (p.latest > at) r.updated_at = r.updated_at instanceof Date ? p.latest : p.latest.toISOString();
  }
  return rows;
}

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
  hydrate: withPlacements,
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

  /** The network of a topology (nothing else of the row is read). */
  async networkOf(id: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('topologies')
      .select('network_id')
      .where('id', '=', id)
      .executeTakeFirst();
    return row?.network_id;
  }

  /** What a build needs of the row and the user's placements, whoever asks (the caller was checked by the service). */
  async buildState(id: string, on: Kdb = this.db) {
    const row = await on
      .selectFrom('topologies')
      .select(['id', 'network_id', 'options', 'view', 'is_locked', 'is_stale'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) return undefined;
    const overrides: Overrides = (await placementsOf(on, [id])).get(id)?.overrides ?? {};
    return { ...row, overrides };
  }

  /**
   * Replaces graph, snapshot and build state in one statement (with the ids of the graph's nodes and edges, which
   * point updates check against). `dropPlacements` (a reset, or another view) first forgets what the user placed.
   */
  async saveBuild(
    on: Kdb,
    id: string,
    v: {
      nodes?: { id: string }[];
      edges?: { id: string }[];
      snapshot: Record<string, unknown[]>;
      options?: object;
      dropPlacements?: boolean;
      view?: string;
      clearStale: boolean;
    },
  ): Promise<void> {
    const j = (x: unknown) => JSON.stringify(x);
    const write = async (trx: Kdb) => {
      if (v.dropPlacements)
        await trx.deleteFrom('topology_placements').where('topology_id', '=', id).execute();
      await trx
        .updateTable('topologies')
        .set({
          ...(v.nodes
            ? {
                nodes: j(v.nodes),
                edges: j(v.edges ?? []),
                node_ids: v.nodes.map((n) => n.id),
                edge_ids: (v.edges ?? []).map((e) => e.id),
              }
            : {}),
          ...Object.fromEntries(Object.entries(v.snapshot).map(([k, rows]) => [k, j(rows)])),
          ...(v.options ? { options: j(v.options) } : {}),
          ...(v.view ? { view: v.view } : {}),
          ...(v.clearStale
            ? Object.fromEntries([['is_stale', false], ...removedNames.map((n) => [n, sql`'{}'::uuid[]`])])
            : {}),
          last_action: (v.nodes ? 'rebuilt' : 'refreshed') satisfies TopologyAction,
          last_refreshed: sql`now()`,
          updated_at: sql`now()`,
        })
        .where('id', '=', id)
        .execute();
    };
    if (v.dropPlacements && on === this.db) await this.transaction(write);
    else await write(on);
  }

  async setLock(id: string, userId: string | null, locked: boolean): Promise<void> {
    await this.db
      .updateTable('topologies')
      .set({
        is_locked: locked,
        locked_at: locked ? sql`now()` : null,
        locked_by: locked ? userId : null,
        last_action: (locked ? 'locked' : 'unlocked') satisfies TopologyAction,
        updated_at: sql`now()`,
      })
      .where('id', '=', id)
      .execute();
  }

  /** Name, parent, tags and options; `saved` marks a full save (PUT), whose placements follow. */
  async setMetadata(
    id: string,
    v: { name: string; parent_id?: string | null; tags?: string[]; options?: object },
    action: 'updated' | 'saved' = 'updated',
  ) {
    await this.db
      .updateTable('topologies')
      .set({
        name: v.name,
        last_action: action satisfies TopologyAction,
        ...(v.parent_id !== undefined ? { parent_id: v.parent_id } : {}),
        ...(v.tags ? { tags: v.tags } : {}),
        ...(v.options ? { options: JSON.stringify(v.options) } : {}),
        updated_at: sql`now()`,
      })
      .where('id', '=', id)
      .execute();
  }

  /**
   * One point update: merges `fields` into the user's placement of one node (or edge) in one statement, which writes
   * that placement row (some 200 bytes) and nothing else: neither the graph nor the topologies row. The node must be
   * in the stored graph (checked against its id list). The change is announced as a Topology event (changed field
   * `placements`) like any write, through the same outbox. Returns false when the id is not in the graph.
   */
  async patchElement(
    id: string,
    kind: ElementKind,
    elementId: string,
    fields: Record<string, unknown>,
  ): Promise<boolean> {
    const res = await sql<{ ok: number }>`
      WITH t AS (
        SELECT id, network_id FROM topologies WHERE id = ${id} AND ${elementId} = ANY(${sql.ref(IDS[kind])})
      ), up AS (
        INSERT INTO topology_placements (topology_id, kind, element_id, placement)
          SELECT t.id, ${KIND[kind]}, ${elementId}, ${JSON.stringify(fields)}::jsonb FROM t
        ON CONFLICT (topology_id, kind, element_id) DO UPDATE
          SET placement = topology_placements.placement || excluded.placement, updated_at = now()
        RETURNING topology_id
      )
      SELECT 1 AS ok, scanopy_buffer_event('Topology', 'updated', t.id::text, t.network_id::text,
        scanopy_org_of_network(t.network_id::text), ARRAY['placements'], false, NULL)
      FROM t JOIN up ON up.topology_id = t.id`.execute(this.db);
    return res.rows.length > 0;
  }

  /**
   * Many node placements in one statement (a full PUT): each node of the stored graph named in `patches` gets its
   * fields merged into its placement; unknown ids are ignored. Nothing of the graph column is read or written.
   */
  async patchNodes(id: string, patches: Record<string, Record<string, unknown>>): Promise<void> {
    if (Object.keys(patches).length === 0) return;
    await sql`
      INSERT INTO topology_placements (topology_id, kind, element_id, placement)
        SELECT t.id, 'node', x.k, x.v
        FROM topologies t, jsonb_each(${JSON.stringify(patches)}::jsonb) AS x(k, v)
        WHERE t.id = ${id} AND x.k = ANY(t.node_ids)
      ON CONFLICT (topology_id, kind, element_id) DO UPDATE
        SET placement = topology_placements.placement || excluded.placement, updated_at = now()`.execute(
      this.db,
    );
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
    const sets: Record<string, unknown> = {
      is_stale: true,
      last_action: 'stale' satisfies TopologyAction,
      updated_at: sql`now()`,
    };
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
