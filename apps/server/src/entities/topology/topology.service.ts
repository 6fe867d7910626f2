import type {
  TopologyEdgeHandleUpdate,
  TopologyMetadataUpdate,
  TopologyNodePositionUpdate,
  TopologyNodeResizeUpdate,
  TopologyOptions,
  TopologyRebuildRequest,
  TopologyView,
} from '@scanopy/contracts';
import type { Principal } from '../../auth/principal.ts';
import type { Kdb } from '../../db/client.ts';
import type { Scope } from '../../db/entity-repository.ts';
import { assertNetwork, type EntityService } from '../../http/crud.ts';
import { AppError, notFound } from '../../http/errors.ts';
import type { TagsRepository } from '../tags/tags.repository.ts';
import { buildGraph, type Graph, type Inventory, type Row } from './topology.builder.ts';
import { applyOverrides, layoutGraph, type Overrides } from './topology.layout.ts';
import { TopologyLifecycle } from './topology.lifecycle.ts';
import { toMermaid } from './topology.mermaid.ts';
import type { TopologiesRepository } from './topology.repository.ts';
import { buildView } from './topology.views.ts';

export interface TopologyInput {
  id?: string;
  network_id: string;
  name: string;
  parent_id?: string | null;
  tags?: string[];
  options?: object;
  view?: TopologyView;
}

/** The entity lists a build reads (wire-shaped rows of one network). */
export type InventorySources = Record<
  'hosts' | 'interfaces' | 'subnets' | 'services' | 'ports' | 'bindings' | 'groups',
  EntityService
>;

export const DEFAULT_REQUEST_OPTIONS: TopologyOptions['request'] = {
  group_docker_bridges_by_host: true,
  hide_ports: false,
  hide_service_categories: ['OpenPorts'],
  hide_vm_title_on_docker_container: false,
  left_zone_service_categories: ['DNS', 'ReverseProxy'],
  show_gateway_in_left_zone: true,
};

/** A computed graph with its snapshot, ready to store. */
export interface Built {
  graph: Graph;
  snapshot: Record<string, unknown[]>;
}

/**
 * Topologies: storage, building from live inventory (builder → view → ELK layout → user overrides), refresh,
 * rebuild, lock, and point updates of single nodes and edges.
 */
export class TopologyService {
  /** Staleness and auto-rebuild from entity events (started by the routes plugin on the app's bus). */
  readonly lifecycle: TopologyLifecycle;

  constructor(
    private readonly topologies: TopologiesRepository,
    private readonly self: EntityService<'topologies'>,
    private readonly tags: TagsRepository,
    private readonly inventory: InventorySources,
  ) {
    this.lifecycle = new TopologyLifecycle(topologies, (id) => this.rebuildStored(id));
  }

  /** v0.17 read path: the graph of a network built on the fly from live entities (nothing stored). */
  async graphOf(p: Principal, networkId: string, view: TopologyView = 'L3Logical') {
    if (!p.networkIds.includes(networkId)) throw notFound('Network');
    const stored = (await this.self.list(p, { network_id: networkId, limit: 1 })).data[0];
    const options = (stored?.options ?? {}) as Partial<TopologyOptions>;
    const built = await this.compute(
      networkId,
      { ...DEFAULT_REQUEST_OPTIONS, ...(options.request ?? {}) },
      view,
    );
    return {
      network_id: networkId,
      view,
      nodes: built.graph.nodes,
      edges: built.graph.edges,
      ...built.snapshot,
    };
  }

  /** Mermaid flowchart of a stored topology, or of another view of its network. */
  async mermaid(p: Principal, id: string, view?: TopologyView): Promise<string> {
    const row = await this.self.get(p, id);
    let graph: Graph = { nodes: row.nodes as Graph['nodes'], edges: row.edges as Graph['edges'] };
    let snapshot = row as Record<string, unknown>;
    if (view && view !== row.view) {
      const options = row.options as Partial<TopologyOptions>;
      const built = await this.compute(
        row.network_id as string,
        { ...DEFAULT_REQUEST_OPTIONS, ...(options.request ?? {}) },
        view,
      );
      graph = built.graph;
      snapshot = built.snapshot;
    }
    const name = new Map<string, string>();
    for (const s of (snapshot.subnets as Row[]) ?? [])
      name.set(String(s.id), `${String(s.name)} ${String(s.cidr)}`);
    for (const h of (snapshot.hosts as Row[]) ?? []) name.set(String(h.id), String(h.name));
    for (const s of (snapshot.services as Row[]) ?? []) name.set(String(s.id), String(s.name));
    for (const i of (snapshot.interfaces as Row[]) ?? []) {
      const host = name.get(String(i.host_id));
      name.set(String(i.id), `${host ?? ''} ${String(i.ip_address)}`.trim());
    }
    return toMermaid(graph, (nodeId) => name.get(nodeId) ?? nodeId);
  }

  async create(p: Principal, b: TopologyInput) {
    assertNetwork(p, b.network_id);
    const id = await this.topologies.transaction(async (trx) => {
      if (b.parent_id) await this.self.reference(p, b.parent_id, b.network_id, 'Topology', trx);
      await this.checkTags(p, b.tags ?? [], trx);
      return this.topologies.insert(trx, {
        id: b.id,
        network_id: b.network_id,
        name: b.name,
        parent_id: b.parent_id ?? null,
        tags: [...new Set(b.tags ?? [])],
        options: b.options,
      });
    });
    // §1.1: a new topology is built right away.
    await this.rebuildStored(id, { view: b.view });
    return this.self.get(p, id);
  }

  private async checkTags(p: Principal, tags: string[], on?: Kdb) {
    const unique = [...new Set(tags)];
    if ((await this.tags.countInOrganization(p.organizationId, unique, on)) !== unique.length) {
      throw new AppError('entity_reference_invalid');
    }
  }

  /** A visible topology whose network the body names (the reference's authorisation check). */
  private async visible(p: Principal, id: string, networkId?: string) {
    const row = await this.self.get(p, id);
    if (networkId !== undefined && row.network_id !== networkId) throw notFound('Topology');
    return row;
  }

  /**
   * The same check for the point updates, without reading the topology: a full read is its whole graph and snapshot,
   * megabytes for a large network, which would cost a drag more than its write.
   */
  private async visibleOnNetwork(p: Principal, id: string, networkId: string) {
    const net = await this.topologies.networkOf(id);
    if (!net || !p.networkIds.includes(net) || net !== networkId) throw notFound('Topology');
  }

  /** The live inventory of one network, as wire rows (the snapshot arrays and the builder's input). */
  async loadInventory(networkId: string): Promise<Inventory & { bindings: Row[] }> {
    const scope: Scope = { networkIds: [networkId], organizationId: '', userId: null };
    const all = async (s: EntityService) =>
      (await s.repo.list(scope, { network_id: networkId, limit: 0 }, false)).data as Row[];
    const [hosts, interfaces, subnets, services, ports, bindings, groups] = await Promise.all([
      all(this.inventory.hosts),
      all(this.inventory.interfaces),
      all(this.inventory.subnets),
      all(this.inventory.services),
      all(this.inventory.ports),
      all(this.inventory.bindings),
      all(this.inventory.groups),
    ]);
    return { hosts, interfaces, subnets, services, ports, bindings, groups };
  }

  /** Builds (and lays out) the graph of a network without storing it: the v0.17 read path and the bench. */
  async compute(
    networkId: string,
    request: TopologyOptions['request'],
    view: TopologyView = 'L3Logical',
    overrides: Overrides = {},
  ): Promise<Built> {
    const inv = await this.loadInventory(networkId);
    const graph =
      view === 'L3Logical'
        ? buildGraph(inv, request)
        : buildView(
            view,
            { ...inv, applicationTags: await this.topologies.applicationTagsOfNetwork(networkId) },
            request,
          );
    const subnetType = new Map(inv.subnets.map((s) => [String(s.id), s.subnet_type]));
    await layoutGraph({
      graph,
      containerType: (id) => subnetType.get(id) ?? (view === 'L3Logical' ? 'DockerBridge' : 'None'),
    });
    applyOverrides(graph, overrides);
    const visibleHosts = inv.hosts.filter((h) => h.hidden !== true);
    const snapshot = {
      hosts: visibleHosts,
      interfaces: inv.interfaces,
      subnets: inv.subnets,
      services: inv.services,
      ports: inv.ports,
      bindings: inv.bindings,
      groups: inv.groups,
    };
    return { graph, snapshot };
  }

  /**
   * Rebuilds a stored topology: fresh graph from live entities, stored overrides applied (dropped when `reset`),
   * snapshot replaced, stale and removed lists cleared.
   */
  async rebuildStored(
    id: string,
    o: { options?: TopologyOptions; reset?: boolean; view?: TopologyView } = {},
  ) {
    const st = await this.topologies.buildState(id);
    if (!st) throw notFound('Topology');
    const options = (o.options ?? st.options) as Partial<TopologyOptions>;
    const request = { ...DEFAULT_REQUEST_OPTIONS, ...(options.request ?? {}) };
    const view = (o.view ?? st.view) as TopologyView;
    const viewChanged = o.view !== undefined && o.view !== st.view;
    // A reset forgets what the user placed; so does another view (its elements are other nodes).
    const dropPlacements = o.reset === true || viewChanged;
    const overrides = dropPlacements ? {} : st.overrides;
    const built = await this.compute(st.network_id, request, view, overrides);
    await this.topologies.saveBuild(this.topologies.db, id, {
      nodes: built.graph.nodes,
      edges: built.graph.edges,
      snapshot: built.snapshot,
      options: o.options,
      dropPlacements,
      view,
      clearStale: true,
    });
  }

  async rebuild(p: Principal, id: string, b: TopologyRebuildRequest) {
    const row = await this.visible(p, id, b.network_id);
    if (row.is_locked) throw new AppError('topology_locked');
    const reset =
      Array.isArray(b.nodes) && b.nodes.length === 0 && Array.isArray(b.edges) && b.edges.length === 0;
    await this.rebuildStored(id, { options: b.options, reset, view: b.view });
    return this.self.get(p, id);
  }

  /** §3.1 refresh: new options and entity snapshot; nodes, edges and staleness stay as they are. */
  async refresh(p: Principal, id: string, b: TopologyRebuildRequest) {
    const row = await this.visible(p, id, b.network_id);
    if (row.is_locked) throw new AppError('topology_locked');
    const inv = await this.loadInventory(row.network_id as string);
    await this.topologies.saveBuild(this.topologies.db, id, {
      snapshot: { ...inv, hosts: inv.hosts.filter((h) => h.hidden !== true) },
      options: b.options,
      clearStale: false,
    });
    return this.self.get(p, id);
  }

  async lock(p: Principal, id: string) {
    await this.visible(p, id);
    await this.topologies.setLock(id, p.kind === 'daemon' ? null : p.userId, true);
    return this.self.get(p, id);
  }

  async unlock(p: Principal, id: string) {
    await this.visible(p, id);
    await this.topologies.setLock(id, null, false);
    return this.self.get(p, id);
  }

  async update(p: Principal, id: string, b: TopologyInput & { nodes?: unknown[]; edges?: unknown[] }) {
    await this.visible(p, id, b.network_id);
    if (b.parent_id) await this.self.reference(p, b.parent_id, b.network_id, 'Topology');
    if (b.tags) await this.checkTags(p, b.tags);
    // A full save (what the reference UI sent before #451): positions and sizes of known nodes become placements.
    const patches: Record<string, Record<string, unknown>> = {};
    for (const n of (b.nodes ?? []) as Row[]) {
      const fields: Record<string, unknown> = {};
      if (isXy(n.position)) fields.position = n.position;
      if (isXy(n.size)) fields.size = n.size;
      if (typeof n.id === 'string' && Object.keys(fields).length) patches[n.id] = fields;
    }
    // Placements first: the row's update below is what open editors hear about (as `saved`), and they read back.
    await this.topologies.patchNodes(id, patches);
    await this.topologies.setMetadata(
      id,
      {
        name: b.name,
        parent_id: b.parent_id,
        tags: b.tags ? [...new Set(b.tags)] : undefined,
        options: b.options,
      },
      'saved',
    );
    return this.self.get(p, id);
  }

  async metadata(p: Principal, id: string, b: TopologyMetadataUpdate) {
    await this.visibleOnNetwork(p, id, b.network_id);
    if (b.parent_id) await this.self.reference(p, b.parent_id, b.network_id, 'Topology');
    await this.topologies.setMetadata(id, { name: b.name, parent_id: b.parent_id });
  }

  async nodePosition(p: Principal, id: string, b: TopologyNodePositionUpdate) {
    await this.visibleOnNetwork(p, id, b.network_id);
    await this.patch(id, 'nodes', b.node_id, { position: b.position });
  }

  async nodeResize(p: Principal, id: string, b: TopologyNodeResizeUpdate) {
    await this.visibleOnNetwork(p, id, b.network_id);
    await this.patch(id, 'nodes', b.node_id, { position: b.position, size: b.size });
  }

  async edgeHandles(p: Principal, id: string, b: TopologyEdgeHandleUpdate) {
    await this.visibleOnNetwork(p, id, b.network_id);
    await this.patch(id, 'edges', b.edge_id, {
      source_handle: b.source_handle,
      target_handle: b.target_handle,
    });
  }

  private async patch(
    id: string,
    kind: 'nodes' | 'edges',
    elementId: string,
    fields: Record<string, unknown>,
  ) {
    if (!(await this.topologies.patchElement(id, kind, elementId, fields))) {
      throw new AppError('topology_node_not_found', {
        kind: kind === 'nodes' ? 'node' : 'edge',
        id: elementId,
      });
    }
  }
}

function isXy(v: unknown): v is { x: number; y: number } {
  return (
    typeof v === 'object' &&
    v !== null &&
    Number.isInteger((v as { x: unknown }).x) &&
    Number.isInteger((v as { y: unknown }).y)
  );
}
