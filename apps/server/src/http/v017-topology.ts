import { TopologyView } from '@scanopy/contracts';
import { Type, type Static } from 'typebox';
import type { Principal } from '../auth/principal.ts';
import type { Row } from '../db/entity-repository.ts';
import type { EntityService } from './crud.ts';
import { AppError } from './errors.ts';

/**
 * The v0.17 read path of a network's topology (`GET /api/v1/topology/data`, reference-0.17-delta.md §4 and §d
 * "TopologyData") as an alias over our topology builder. v0.17 names its views L3Logical, Workloads and Application
 * (and L2Physical, which we do not build); ours are L3Logical, Workloads and Applications.
 */
export const V017_VIEWS = {
  L3Logical: 'L3Logical',
  Workloads: 'Workloads',
  Application: 'Applications',
} as const;
export type V017View = keyof typeof V017_VIEWS;

/** A `?view=` of the topology read and export routes: ours, or the v0.17 spelling `Application`. */
export const TopologyViewParam = Type.Union([TopologyView, Type.Literal('Application')]);
export type TopologyViewParam = Static<typeof TopologyViewParam>;

/** Our view for a `?view=` value (v0.17's `Application` is our `Applications`). */
export function ourView(view: TopologyViewParam | undefined): TopologyView | undefined {
  return view === 'Application' ? 'Applications' : view;
}

/** One view's computed graph with the network's inventory, as TopologyService.graphOf answers it. */
type Graph = Record<string, unknown> & { nodes: unknown[]; edges: unknown[] };

export interface TopologyDataSources {
  /** TopologyService.graphOf: one view of a network, built from live inventory (404 outside the caller's scope). */
  graphOf: (p: Principal, networkId: string, view: TopologyView) => Promise<Graph>;
  dependencies: EntityService;
  tags: EntityService;
}

export interface TopologyDataQuery {
  network_id: string;
  view?: TopologyViewParam;
  snapshot_id?: string;
}

/**
 * `GET /api/v1/topology/data`.
 * - Without `view` (a v0.17 client never sends one) the answer is v0.17's TopologyData: the entity lists (`hosts`,
 *   `ip_addresses`, `subnets`, `dependencies`, `ports`, `bindings`, `services`, `tags`, `vlans` empty) and `nodes` and
 *   `edges` keyed by view, for every view in `available_views`.
 * - With `view` (our extension, the UI and the benchmarks) it is that one view's graph as flat `nodes`/`edges` lists
 *   with `view`, plus the same entity lists.
 * `interfaces` is the host IPs, as everywhere here (v0.14 wins; v0.17 means SNMP ifTable rows), and `groups` stays
 * beside `dependencies`. A `snapshot_id` answers not_supported: we keep no snapshots.
 */
export async function topologyData(src: TopologyDataSources, p: Principal, q: TopologyDataQuery) {
  if (q.snapshot_id !== undefined) {
    throw new AppError('not_supported', { feature: 'Snapshots', path: '/api/v1/topology/data?snapshot_id' });
  }
  const views = (Object.keys(V017_VIEWS) as V017View[]).filter(
    (v) => q.view === undefined || V017_VIEWS[v] === ourView(q.view),
  );
  const graphs: [V017View, Graph][] = [];
  // One after the other: each build reads the inventory and runs the layout, and they would only compete.
  for (const v of views) graphs.push([v, await src.graphOf(p, q.network_id, V017_VIEWS[v])]);
  const { view, nodes, edges, ...lists } = graphs[0]![1];
  const all = async (s: EntityService, filter: Record<string, unknown>): Promise<Row[]> =>
    (await s.list(p, { ...filter, limit: 0 })).data as Row[];
  const bundle = {
    ...lists,
    ip_addresses: lists.interfaces ?? [],
    dependencies: await all(src.dependencies, { network_id: q.network_id }),
    tags: await all(src.tags, {}),
    vlans: [],
    available_views: Object.keys(V017_VIEWS),
  };
  if (q.view !== undefined) return { ...bundle, view, nodes, edges };
  return {
    ...bundle,
    nodes: Object.fromEntries(graphs.map(([v, g]) => [v, g.nodes])),
    edges: Object.fromEntries(graphs.map(([v, g]) => [v, g.edges])),
  };
}
