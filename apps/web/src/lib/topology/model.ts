import type {
  Color,
  EdgeHandle,
  EdgeStyle,
  EdgeType,
  Host,
  Interface,
  Port,
  Service,
  Subnet,
  Topology,
  TopologyEdge,
  TopologyNode,
} from './types.ts';

/** Tailwind's 500 shades: the reference's colour names as one CSS colour each (readable on light and dark). */
export const COLOR_HEX: Record<Color, string> = {
  Pink: '#ec4899',
  Rose: '#f43f5e',
  Red: '#ef4444',
  Orange: '#f97316',
  Green: '#22c55e',
  Emerald: '#10b981',
  Teal: '#14b8a6',
  Cyan: '#06b6d4',
  Blue: '#3b82f6',
  Indigo: '#6366f1',
  Purple: '#a855f7',
  Gray: '#6b7280',
  Yellow: '#eab308',
};

export interface EdgeLook {
  name: string;
  color: Color;
  dashed: boolean;
  style: EdgeStyle;
  arrow: boolean;
  hiddenByDefault: boolean;
}

/** How each edge type is drawn (topology-ui.md §1.3; the same values as the server's edge_types metadata). */
export const EDGE_LOOKS: Record<EdgeType, EdgeLook> = {
  Interface: {
    name: 'Host interface',
    color: 'Blue',
    dashed: true,
    style: 'SmoothStep',
    arrow: false,
    hiddenByDefault: false,
  },
  HostVirtualization: {
    name: 'Virtualized host',
    color: 'Indigo',
    dashed: true,
    style: 'Straight',
    arrow: false,
    hiddenByDefault: true,
  },
  ServiceVirtualization: {
    name: 'Virtualized service',
    color: 'Cyan',
    dashed: true,
    style: 'SmoothStep',
    arrow: false,
    hiddenByDefault: false,
  },
  RequestPath: {
    name: 'Request path',
    color: 'Purple',
    dashed: false,
    style: 'SmoothStep',
    arrow: true,
    hiddenByDefault: false,
  },
  HubAndSpoke: {
    name: 'Hub and spoke',
    color: 'Purple',
    dashed: false,
    style: 'SmoothStep',
    arrow: true,
    hiddenByDefault: false,
  },
  PhysicalLink: {
    name: 'Physical link',
    color: 'Gray',
    dashed: false,
    style: 'Straight',
    arrow: false,
    hiddenByDefault: false,
  },
};

/** What the UI knows about a service definition (from GET /api/metadata); unknown ones fall back to Unknown. */
export interface ServiceLook {
  category: string;
  color: Color;
}
export type ServiceCatalog = (definition: string) => ServiceLook;
export const UNKNOWN_SERVICE: ServiceLook = { category: 'Unknown', color: 'Gray' };

/** Lookups over one topology's snapshot, built once per topology (never per card). */
export interface TopologyIndex {
  hosts: Map<string, Host>;
  interfaces: Map<string, Interface>;
  subnets: Map<string, Subnet>;
  ports: Map<string, Port>;
  services: Map<string, Service>;
  /** Services bound to an interface, including a host's "all interfaces" port bindings. */
  servicesOn(hostId: string, interfaceId: string | null | undefined): Service[];
  /** Every service of a host (a VM's element in the Workloads view). */
  servicesOf(hostId: string): Service[];
}

export function indexTopology(t: Topology): TopologyIndex {
  const hosts = new Map(t.hosts.map((h) => [h.id, h]));
  const interfaces = new Map(t.interfaces.map((i) => [i.id, i]));
  const subnets = new Map(t.subnets.map((s) => [s.id, s]));
  const ports = new Map(t.ports.map((p) => [p.id, p]));
  const services = new Map(t.services.map((s) => [s.id, s]));
  const byInterface = new Map<string, Service[]>();
  const onAll = new Map<string, Service[]>();
  const push = (m: Map<string, Service[]>, k: string, s: Service) => {
    const list = m.get(k);
    if (!list) m.set(k, [s]);
    else if (!list.includes(s)) list.push(s);
  };
  for (const s of t.services) {
    for (const b of s.bindings) {
      if (b.interface_id) push(byInterface, b.interface_id, s);
      else push(onAll, s.host_id, s);
    }
  }
  return {
    hosts,
    interfaces,
    subnets,
    ports,
    services,
    servicesOf(hostId) {
      return t.services.filter((s) => s.host_id === hostId).sort((a, b) => a.position - b.position);
    },
    servicesOn(hostId, interfaceId) {
      const own = interfaceId ? (byInterface.get(interfaceId) ?? []) : [];
      const all = onAll.get(hostId) ?? [];
      return [...own, ...all.filter((s) => !own.includes(s))].sort((a, b) => a.position - b.position);
    },
  };
}

export function subnetTitle(s: Subnet | undefined, fallback: string): string {
  if (!s) return fallback;
  return s.name && s.name !== s.cidr ? `${s.name} (${s.cidr})` : s.cidr;
}

export interface ServiceRow {
  id: string;
  name: string;
  category: string;
  color: Color;
  ports: string[];
}

export interface SubnetData extends Record<string, unknown> {
  kind: 'subnet';
  title: string;
  subnetType: string;
  infraWidth: number;
  leftZoneTitle: string;
  faded: boolean;
  /** Faded by the tag filter: its edges fade too. */
  tagFaded: boolean;
  /** An edge ends here: only such nodes mount the handles edges attach to. */
  linked: boolean;
}

export interface InterfaceData extends Record<string, unknown> {
  kind: 'interface';
  hostId: string;
  hostName: string;
  header: string | null;
  footer: string;
  services: ServiceRow[];
  isInfra: boolean;
  highlighted: boolean;
  faded: boolean;
  /** Faded by the tag filter (not by a search): its edges fade too. */
  tagFaded: boolean;
  linked: boolean;
}

/** A node as Svelte Flow takes it (structurally @xyflow/svelte's Node, kept free of the library for tests). */
export interface FlowNode {
  id: string;
  type: 'subnet' | 'interface';
  position: Ixy;
  width: number;
  height: number;
  /**
   * The stored size, given as already measured: Svelte Flow treats unmeasured nodes as visible, so without it a large
   * diagram would mount every card once just to measure it.
   */
  measured: { width: number; height: number };
  /**
   * Where the node's side handles sit, known from its size. Svelte Flow renders every node whose handles it has not
   * measured, whatever the viewport: without these a large diagram would mount all its cards once to measure them.
   * Left out for a linked subnet, which can be resized (its handles move with it, so they are measured in the DOM).
   */
  handles?: FlowHandle[];
  parentId?: string;
  extent?: 'parent';
  data: SubnetData | InterfaceData;
  zIndex?: number;
  ariaLabel?: string;
}

interface Ixy {
  x: number;
  y: number;
}

/** A handle as Svelte Flow takes it from a node (its box relative to the node's top-left corner). */
export interface FlowHandle {
  id: EdgeHandle;
  type: 'source';
  position: 'top' | 'right' | 'bottom' | 'left';
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The side handles' size in px (the canvas's `.topology-handle` style). */
export const HANDLE_SIZE = 8;

/** SideHandles' four handles on a node of this size: each centred on its side, as the library's CSS places them. */
export function sideHandles(width: number, height: number): FlowHandle[] {
  const h = HANDLE_SIZE;
  const at = (id: EdgeHandle, position: FlowHandle['position'], cx: number, cy: number): FlowHandle => ({
    id,
    type: 'source',
    position,
    x: cx - h / 2,
    y: cy - h / 2,
    width: h,
    height: h,
  });
  return [
    at('Top', 'top', width / 2, 0),
    at('Right', 'right', width, height / 2),
    at('Bottom', 'bottom', width / 2, height),
    at('Left', 'left', 0, height / 2),
  ];
}

export interface FlowEdgeData extends Record<string, unknown> {
  edgeType: EdgeType;
  color: string;
  dashed: boolean;
  style: EdgeStyle;
  multiHop: boolean;
  /** An end is faded by the tag filter (§1.4): the edge fades too. */
  faded?: boolean;
}

export interface FlowEdge {
  id: string;
  source: string;
  target: string;
  sourceHandle: EdgeHandle;
  targetHandle: EdgeHandle;
  type: 'topology';
  label?: string;
  hidden: boolean;
  markerEnd?: { type: 'arrowclosed'; color: string };
  data: FlowEdgeData;
  ariaLabel?: string;
}

export interface ViewOptions {
  hiddenEdgeTypes: readonly EdgeType[];
  leftZoneTitle: string;
  hidePorts: boolean;
  /** Host ids matched by the search box: their cards are highlighted, the rest fade. */
  highlight: ReadonlySet<string> | null;
  /** §1.4's local tag filter: hosts and subnets with these tags fade, services with these tags leave their cards. */
  tagFilter?: TagFilter | null;
}

export interface TagFilter {
  hosts: ReadonlySet<string>;
  services: ReadonlySet<string>;
  subnets: ReadonlySet<string>;
}

/** The tag filter of a topology's local options (empty sets: nothing filtered). */
export function tagFilterOf(local: {
  tag_filter?: {
    hidden_host_tag_ids?: string[];
    hidden_service_tag_ids?: string[];
    hidden_subnet_tag_ids?: string[];
  };
}): TagFilter {
  const f = local.tag_filter ?? {};
  return {
    hosts: new Set(f.hidden_host_tag_ids ?? []),
    services: new Set(f.hidden_service_tag_ids ?? []),
    subnets: new Set(f.hidden_subnet_tag_ids ?? []),
  };
}

/** Whether an entity row carries one of the hidden tags. */
function tagged(row: unknown, hidden: ReadonlySet<string> | undefined): boolean {
  if (!hidden?.size) return false;
  const tags = (row as { tags?: unknown } | undefined)?.tags;
  return Array.isArray(tags) && tags.some((t) => hidden.has(t as string));
}

function portLabel(p: Port): string {
  return `${p.number}/${p.protocol.toLowerCase()}`;
}

function serviceRows(
  services: Service[],
  interfaceId: string | null | undefined,
  index: TopologyIndex,
  catalog: ServiceCatalog,
): ServiceRow[] {
  return services.map((s) => {
    const look = catalog(s.service_definition);
    const ports: string[] = [];
    for (const b of s.bindings) {
      if (b.type !== 'Port') continue;
      if (b.interface_id && interfaceId && b.interface_id !== interfaceId) continue;
      const p = index.ports.get(b.port_id);
      if (p) ports.push(portLabel(p));
    }
    return { id: s.id, name: s.name, category: look.category, color: look.color, ports: [...new Set(ports)] };
  });
}

/**
 * The Svelte Flow nodes and edges of a stored topology. Parents come before their children (Svelte Flow needs a
 * parent placed first); children are positioned relative to their subnet and cannot leave it.
 */
export function toFlow(
  t: Topology,
  index: TopologyIndex,
  catalog: ServiceCatalog,
  opts: ViewOptions,
): { nodes: FlowNode[]; edges: FlowEdge[] } {
  const subnets: FlowNode[] = [];
  const cards: FlowNode[] = [];
  const linked = new Set(t.edges.flatMap((e) => [e.source, e.target]));
  for (const n of t.nodes) {
    if (n.node_type === 'SubnetNode') subnets.push(subnetNode(n, index, opts, linked.has(n.id)));
    else cards.push(interfaceNode(n, index, catalog, opts, linked.has(n.id)));
  }
  const present = new Set([...subnets, ...cards].map((n) => n.id));
  const tagFaded = new Set(
    [...subnets, ...cards].filter((n) => (n.data as { tagFaded?: boolean }).tagFaded).map((n) => n.id),
  );
  const edges = t.edges
    .filter((e) => present.has(e.source) && present.has(e.target))
    .map((e) => flowEdge(e, opts, tagFaded.has(e.source) || tagFaded.has(e.target)));
  return { nodes: [...subnets, ...cards], edges };
}

function subnetNode(
  n: Extract<TopologyNode, { node_type: 'SubnetNode' }>,
  index: TopologyIndex,
  opts: ViewOptions,
  linked: boolean,
): FlowNode {
  const subnet = index.subnets.get(n.id);
  const title = n.header ?? subnetTitle(subnet, 'Subnet');
  const tagFaded = tagged(subnet, opts.tagFilter?.subnets);
  return {
    id: n.id,
    type: 'subnet',
    position: { x: n.position.x, y: n.position.y },
    width: n.size.x,
    height: n.size.y,
    measured: { width: n.size.x, height: n.size.y },
    ...(linked ? {} : { handles: [] }),
    zIndex: 0,
    ariaLabel: `Subnet ${title}`,
    data: {
      kind: 'subnet',
      title,
      subnetType: subnet?.subnet_type ?? 'Unknown',
      infraWidth: n.infra_width,
      leftZoneTitle: opts.leftZoneTitle,
      faded: tagFaded,
      tagFaded,
      linked,
    },
  };
}

function interfaceNode(
  n: Extract<TopologyNode, { node_type: 'InterfaceNode' }>,
  index: TopologyIndex,
  catalog: ServiceCatalog,
  opts: ViewOptions,
  linked: boolean,
): FlowNode {
  const host = index.hosts.get(n.host_id);
  const iface = n.interface_id ? index.interfaces.get(n.interface_id) : undefined;
  const hostName = host?.name ?? 'Unknown host';
  // L3 cards are interfaces; in the Workloads and Applications views an element is one service, or a VM (its id is
  // the VM host's) holding all of that host's services.
  const service = index.services.get(n.id);
  const own = service
    ? [service]
    : !n.interface_id && index.hosts.has(n.id)
      ? index.servicesOf(n.id)
      : index.servicesOn(n.host_id, n.interface_id);
  const shown = opts.tagFilter?.services.size ? own.filter((s) => !tagged(s, opts.tagFilter?.services)) : own;
  const services = serviceRows(shown, n.interface_id, index, catalog);
  const tagFaded = tagged(host, opts.tagFilter?.hosts);
  const footer = iface
    ? iface.name
      ? `${iface.name}: ${iface.ip_address}`
      : iface.ip_address
    : service
      ? hostName
      : '';
  const matched = opts.highlight?.has(n.host_id) ?? false;
  return {
    id: n.id,
    type: 'interface',
    position: { x: n.position.x, y: n.position.y },
    width: n.size.x,
    height: n.size.y,
    measured: { width: n.size.x, height: n.size.y },
    handles: linked ? sideHandles(n.size.x, n.size.y) : [],
    parentId: n.subnet_id,
    extent: 'parent',
    zIndex: 1,
    ariaLabel: `Host ${hostName}${iface ? ` at ${iface.ip_address}` : ''}`,
    data: {
      kind: 'interface',
      hostId: n.host_id,
      hostName,
      header: n.header ?? null,
      footer,
      services: opts.hidePorts ? services.map((s) => ({ ...s, ports: [] })) : services,
      isInfra: n.is_infra,
      highlighted: matched,
      faded: (opts.highlight !== null && !matched) || tagFaded,
      tagFaded,
      linked,
    },
  };
}

function flowEdge(e: TopologyEdge, opts: ViewOptions, faded = false): FlowEdge {
  const look = EDGE_LOOKS[e.edge_type] ?? EDGE_LOOKS.Interface;
  const color = COLOR_HEX[look.color];
  return {
    id: e.id,
    source: e.source,
    target: e.target,
    sourceHandle: e.source_handle,
    targetHandle: e.target_handle,
    type: 'topology',
    label: e.label ?? undefined,
    hidden: opts.hiddenEdgeTypes.includes(e.edge_type),
    ...(look.arrow ? { markerEnd: { type: 'arrowclosed' as const, color } } : {}),
    ariaLabel: `${look.name}${e.label ? ` ${e.label}` : ''}`,
    data: {
      edgeType: e.edge_type,
      color,
      dashed: look.dashed,
      style: look.style,
      multiHop: e.is_multi_hop,
      faded,
    },
  };
}

/** Host ids whose name, hostname, IP or service name contains the query (case-insensitive); null for no query. */
export function searchHosts(t: Topology, query: string): Set<string> | null {
  const q = query.trim().toLowerCase();
  if (!q) return null;
  const found = new Set<string>();
  for (const h of t.hosts) {
    if (h.name.toLowerCase().includes(q) || h.hostname?.toLowerCase().includes(q)) found.add(h.id);
  }
  for (const i of t.interfaces) if (i.ip_address.includes(q)) found.add(i.host_id);
  for (const s of t.services) if (s.name.toLowerCase().includes(q)) found.add(s.host_id);
  // Only hosts that are drawn count: a match without a card cannot be highlighted.
  const drawn = new Set<string>();
  for (const n of t.nodes) if (n.node_type === 'InterfaceNode' && found.has(n.host_id)) drawn.add(n.host_id);
  return drawn;
}

/** Ids of the drawn hosts (the cards' host ids), for "every host is rendered" checks and the legend. */
export function drawnHostIds(t: Topology): Set<string> {
  const ids = new Set<string>();
  for (const n of t.nodes) if (n.node_type === 'InterfaceNode') ids.add(n.host_id);
  return ids;
}

/** Absolute position of a node (children are stored relative to their subnet). */
export function absolutePosition(t: Topology, id: string): Ixy | undefined {
  const n = t.nodes.find((x) => x.id === id);
  if (!n) return undefined;
  if (n.node_type === 'SubnetNode') return { ...n.position };
  const parent = t.nodes.find((x) => x.id === n.subnet_id);
  return {
    x: n.position.x + (parent?.position.x ?? 0),
    y: n.position.y + (parent?.position.y ?? 0),
  };
}

/** Svelte Flow positions are floats; the API takes integers (snapped to the 25 px grid while dragging). */
export function toIxy(p: Ixy): Ixy {
  return { x: Math.round(p.x), y: Math.round(p.y) };
}
