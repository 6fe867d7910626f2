import type { TopologyRequestOptions, TopologyView } from '@scanopy/contracts';
import {
  categoryOf,
  CARD_WIDTH,
  stableId,
  type Graph,
  type GraphEdge,
  type GraphNode,
  type Inventory,
  type Row,
} from './topology.builder.ts';

/**
 * The Workloads and Applications views (§1.6), in the same node vocabulary as L3: a container is a SubnetNode whose
 * id is the box's (a host id, a tag id, or a fixed "Ungrouped" id) and an element is an InterfaceNode whose
 * `subnet_id` names its box. L2 Physical is not built: it needs LLDP/CDP neighbour data discovery does not collect.
 */
export function buildView(
  view: Exclude<TopologyView, 'L3Logical'>,
  inv: Inventory & { applicationTags?: Map<string, string> },
  opts: TopologyRequestOptions,
): Graph {
  return view === 'Workloads' ? workloads(inv, opts) : applications(inv, opts);
}

const byId = (a: Row, b: Row) => String(a.id).localeCompare(String(b.id));
const details = (v: unknown) => (v as { details?: { service_id?: string } } | null)?.details?.service_id;
const box = (id: string, header: string | null): GraphNode => ({
  id,
  node_type: 'SubnetNode',
  position: { x: 0, y: 0 },
  size: { x: 0, y: 0 },
  header,
  infra_width: 0,
});
const element = (
  id: string,
  boxId: string,
  hostId: string,
  header: string | null,
  rows: number,
): GraphNode => ({
  id,
  node_type: 'InterfaceNode',
  position: { x: 0, y: 0 },
  size: { x: CARD_WIDTH, y: 25 + (header ? 25 : 0) + 50 * Math.max(1, rows) },
  header,
  subnet_id: boxId,
  host_id: hostId,
  interface_id: null,
  is_infra: false,
});

function visibleServices(inv: Inventory, opts: TopologyRequestOptions) {
  const hidden = new Set(inv.hosts.filter((h) => h.hidden === true).map((h) => String(h.id)));
  const hiddenCats = new Set<string>([...opts.hide_service_categories, 'OpenPorts']);
  return [...inv.services]
    .sort(byId)
    .filter((s) => !hidden.has(String(s.host_id)) && !hiddenCats.has(categoryOf(s)));
}

/** Group edges between the element nodes that carry the groups' bindings. */
function groupEdges(inv: Inventory, nodeOfBinding: Map<string, string>): GraphEdge[] {
  const edges: GraphEdge[] = [];
  for (const g of [...inv.groups].sort(byId)) {
    const ids = ((g.binding_ids as string[] | undefined) ?? []).filter((b) => nodeOfBinding.has(b));
    const hub = g.group_type === 'HubAndSpoke';
    const pairs: [string, string][] = hub
      ? ids.slice(1).map((b) => [ids[0]!, b])
      : ids.slice(1).map((b, k) => [ids[k]!, b]);
    for (const [a, b] of pairs) {
      const s = nodeOfBinding.get(a)!;
      const t = nodeOfBinding.get(b)!;
      if (s === t) continue;
      edges.push({
        id: stableId(`grp:${String(g.id)}:${a}:${b}`),
        edge_type: hub ? 'HubAndSpoke' : 'RequestPath',
        source: s,
        target: t,
        label: typeof g.name === 'string' ? g.name : null,
        source_handle: 'Bottom',
        target_handle: 'Top',
        is_multi_hop: false,
        group_id: String(g.id),
        source_binding_id: a,
        target_binding_id: b,
      });
    }
  }
  return edges;
}

/** Bare-metal host boxes holding their services, their VMs (as one element each) and their containers. */
function workloads(inv: Inventory, opts: TopologyRequestOptions): Graph {
  const hosts = new Map(inv.hosts.filter((h) => h.hidden !== true).map((h) => [String(h.id), h]));
  const services = visibleServices(inv, opts);
  const serviceById = new Map(inv.services.map((s) => [String(s.id), s]));
  const hypervisorHost = (hostId: string): string | undefined => {
    const sid = details(hosts.get(hostId)?.virtualization);
    return sid ? String(serviceById.get(sid)?.host_id ?? '') || undefined : undefined;
  };
  /** The bare-metal box a host's workloads land in (a VM's hypervisor, followed to the top). */
  const boxOf = (hostId: string): string => {
    let cur = hostId;
    for (let k = 0; k < 8; k++) {
      const up = hypervisorHost(cur);
      if (!up || !hosts.has(up)) return cur;
      cur = up;
    }
    return cur;
  };
  const nodes: GraphNode[] = [];
  const boxes = new Set<string>();
  const nodeOfBinding = new Map<string, string>();
  const vmServices = new Map<string, number>();
  for (const s of services) {
    const hostId = String(s.host_id);
    if (!hosts.has(hostId)) continue;
    const runtime = details(s.virtualization);
    const runtimeHost = runtime ? String(serviceById.get(runtime)?.host_id ?? hostId) : hostId;
    const b = boxOf(runtimeHost);
    // Services of a VM are inlined into the VM's element; others are elements of their own.
    const vm = !runtime && hypervisorHost(hostId) && hosts.has(hypervisorHost(hostId)!) ? hostId : null;
    const id = vm ?? String(s.id);
    if (vm) vmServices.set(vm, (vmServices.get(vm) ?? 0) + 1);
    else nodes.push(element(id, b, hostId, runtime ? 'Container' : null, 1));
    boxes.add(b);
    for (const bd of (s.bindings as Row[] | undefined) ?? []) nodeOfBinding.set(String(bd.id), id);
  }
  for (const [vm, n] of [...vmServices].sort(([a], [b]) => a.localeCompare(b))) {
    const h = hosts.get(vm)!;
    nodes.push(element(vm, boxOf(vm), vm, `VM: ${String(h.name)}`, n));
  }
  const out = [...boxes].sort().map((b) => box(b, String(hosts.get(b)?.name ?? '')));
  return { nodes: [...out, ...nodes], edges: groupEdges(inv, nodeOfBinding) };
}

export const UNGROUPED_ID = stableId('applications:ungrouped');

/**
 * Services grouped by application tag (a tag flagged `is_application`): a service's own first application tag (by
 * tag name), else its host's, else the "Ungrouped" box. Other tags do not make boxes. Only services with bindings.
 */
function applications(
  inv: Inventory & { applicationTags?: Map<string, string> },
  opts: TopologyRequestOptions,
): Graph {
  const hosts = new Map(inv.hosts.filter((h) => h.hidden !== true).map((h) => [String(h.id), h]));
  const names = inv.applicationTags ?? new Map<string, string>();
  const firstTag = (tags: unknown) =>
    [...((tags as string[] | undefined) ?? [])]
      .filter((t) => names.has(t))
      .sort((a, b) => names.get(a)!.localeCompare(names.get(b)!) || a.localeCompare(b))[0];
  const nodes: GraphNode[] = [];
  const boxes = new Set<string>();
  const nodeOfBinding = new Map<string, string>();
  for (const s of visibleServices(inv, opts)) {
    const bindings = (s.bindings as Row[] | undefined) ?? [];
    if (bindings.length === 0 || !hosts.has(String(s.host_id))) continue;
    const b = firstTag(s.tags) ?? firstTag(hosts.get(String(s.host_id))?.tags) ?? UNGROUPED_ID;
    boxes.add(b);
    nodes.push(element(String(s.id), b, String(s.host_id), String(s.name), 1));
    for (const bd of bindings) nodeOfBinding.set(String(bd.id), String(s.id));
  }
  const out = [...boxes]
    .sort(
      (a, b) =>
        Number(a === UNGROUPED_ID) - Number(b === UNGROUPED_ID) ||
        (names.get(a) ?? a).localeCompare(names.get(b) ?? b),
    )
    .map((b) => box(b, b === UNGROUPED_ID ? 'Ungrouped' : (names.get(b) ?? null)));
  return { nodes: [...out, ...nodes], edges: groupEdges(inv, nodeOfBinding) };
}
