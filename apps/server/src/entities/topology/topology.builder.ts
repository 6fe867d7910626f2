import { createHash } from 'node:crypto';
import { definitionByName } from '@scanopy/detection';
import type { TopologyRequestOptions } from '@scanopy/contracts';

/** Wire-shaped rows of one network, as the entity lists return them. */
export type Row = Record<string, unknown>;
export interface Inventory {
  hosts: Row[];
  interfaces: Row[];
  subnets: Row[];
  services: Row[];
  ports: Row[];
  groups: Row[];
}

export type Handle = 'Top' | 'Bottom' | 'Left' | 'Right';
export interface GraphNode {
  id: string;
  node_type: 'SubnetNode' | 'InterfaceNode';
  position: { x: number; y: number };
  size: { x: number; y: number };
  header: string | null;
  infra_width?: number;
  subnet_id?: string;
  host_id?: string;
  interface_id?: string | null;
  is_infra?: boolean;
}
export interface GraphEdge {
  id: string;
  edge_type: string;
  source: string;
  target: string;
  label: string | null;
  source_handle: Handle;
  target_handle: Handle;
  is_multi_hop: boolean;
  [k: string]: unknown;
}
export interface Graph {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

/** §2.2: vertical layer and horizontal order of each subnet type. */
const LAYERS: Record<string, [number, number]> = {
  Internet: [0, 0],
  Remote: [0, 1],
  Gateway: [1, 0],
  Dmz: [1, 1],
  DMZ: [1, 1],
  VpnTunnel: [1, 2],
  Lan: [2, 0],
  LAN: [2, 0],
  WiFi: [2, 1],
  IoT: [2, 2],
  Guest: [2, 3],
  Storage: [3, 0],
  Management: [3, 1],
  DockerBridge: [3, 2],
  MacVlan: [3, 3],
  IpVlan: [3, 4],
};
export function subnetLayer(type: unknown): [number, number] {
  return LAYERS[String(type)] ?? [999, 0];
}

/** A stable UUID from a key, so the same inventory gives the same edge ids. */
export function stableId(key: string): string {
  const h = createHash('sha1').update(key).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export const CARD_WIDTH = 250;

export function categoryOf(service: Row): string {
  return definitionByName(String(service.service_definition))?.category ?? 'Unknown';
}
function isGatewayService(service: Row): boolean {
  return definitionByName(String(service.service_definition))?.is_gateway_service ?? false;
}

const str = (v: unknown) => (typeof v === 'string' ? v : null);
const byId = (a: Row, b: Row) => String(a.id).localeCompare(String(b.id));

/**
 * §1.2–1.4: the computed graph of one network (positions zero; the layout places it). Hidden hosts and services of
 * hidden categories are left out first; an interface gets a card when a service is bound to it (an interface-less
 * binding binds every interface of its host).
 */
export function buildGraph(inv: Inventory, opts: TopologyRequestOptions): Graph {
  const hidden = new Set(inv.hosts.filter((h) => h.hidden === true).map((h) => String(h.id)));
  const hosts = new Map(inv.hosts.filter((h) => !hidden.has(String(h.id))).map((h) => [String(h.id), h]));
  const subnets = new Map(inv.subnets.map((s) => [String(s.id), s]));
  const hiddenCats = new Set<string>(opts.hide_service_categories);
  const infraCats = new Set<string>(opts.left_zone_service_categories);
  const services = [...inv.services]
    .sort(byId)
    .filter((s) => hosts.has(String(s.host_id)) && !hiddenCats.has(categoryOf(s)));
  const ifaces = [...inv.interfaces]
    .filter((i) => hosts.has(String(i.host_id)) && subnets.has(String(i.subnet_id)))
    .sort((a, b) => Number(a.position ?? 0) - Number(b.position ?? 0) || byId(a, b));
  const ifaceById = new Map(ifaces.map((i) => [String(i.id), i]));
  const portById = new Map(inv.ports.map((p) => [String(p.id), p]));

  // Services per interface card.
  const servicesOf = new Map<string, Row[]>();
  const bindingIface = new Map<string, string[]>(); // binding id -> interface ids
  for (const s of services) {
    for (const b of (s.bindings as Row[] | undefined) ?? []) {
      const targets = b.interface_id
        ? [String(b.interface_id)].filter((id) => ifaceById.has(id))
        : ifaces.filter((i) => i.host_id === s.host_id).map((i) => String(i.id));
      bindingIface.set(String(b.id), targets);
      for (const t of targets) {
        const list = servicesOf.get(t) ?? [];
        if (!list.includes(s)) list.push(s);
        servicesOf.set(t, list);
      }
    }
  }
  const carded = ifaces.filter((i) => servicesOf.has(String(i.id)));
  const cardOf = new Set(carded.map((i) => String(i.id)));
  const isDockerSubnet = (id: string) => subnets.get(id)?.subnet_type === 'DockerBridge';

  // Docker bridge grouping: one merged container per host.
  const containerOf = (i: Row): string => {
    const sid = String(i.subnet_id);
    if (opts.group_docker_bridges_by_host && isDockerSubnet(sid))
      return stableId(`docker:${String(i.host_id)}`);
    return sid;
  };

  const nodes: GraphNode[] = [];
  const containers = new Map<string, { title: string | null; type: unknown; cidrs: string[] }>();
  for (const i of carded) {
    const cid = containerOf(i);
    const s = subnets.get(String(i.subnet_id))!;
    const c = containers.get(cid) ?? { title: null, type: s.subnet_type, cidrs: [] };
    c.cidrs.push(String(s.cidr));
    containers.set(cid, c);
  }
  for (const [id, c] of containers) {
    const merged = !subnets.has(id);
    const s = subnets.get(id);
    nodes.push({
      id,
      node_type: 'SubnetNode',
      position: { x: 0, y: 0 },
      size: { x: 0, y: 0 },
      header: merged ? `Docker Bridge: (${[...new Set(c.cidrs)].sort().join(', ')})` : str(s?.name),
      infra_width: 0,
    });
  }
  const hostCards = new Map<string, number>();
  for (const i of carded) hostCards.set(String(i.host_id), (hostCards.get(String(i.host_id)) ?? 0) + 1);
  for (const i of carded) {
    const list = servicesOf.get(String(i.id))!;
    const host = hosts.get(String(i.host_id))!;
    const infra = list.some(
      (s) => infraCats.has(categoryOf(s)) || (opts.show_gateway_in_left_zone && isGatewayService(s)),
    );
    const name = str(host.name) ?? str(host.hostname);
    let header: string | null = null;
    const virt = host.virtualization as Row | null;
    if (virt && !(opts.hide_vm_title_on_docker_container && isDockerSubnet(String(i.subnet_id)))) {
      header = `VM: ${name ?? ''}`;
    } else if (
      name &&
      name !== str(list[0]?.name) &&
      name !== i.ip_address &&
      (hostCards.get(String(i.host_id)) ?? 0) < 2
    ) {
      header = name;
    }
    let height = 25 + (header ? 25 : 0);
    for (const s of list) {
      const hasPorts = ((s.bindings as Row[] | undefined) ?? []).some(
        (b) => b.port_id && portById.has(String(b.port_id)),
      );
      height += 50 + (opts.hide_ports && hasPorts ? 0 : 25);
    }
    nodes.push({
      id: String(i.id),
      node_type: 'InterfaceNode',
      position: { x: 0, y: 0 },
      size: { x: CARD_WIDTH, y: height },
      header,
      subnet_id: containerOf(i),
      host_id: String(i.host_id),
      interface_id: String(i.id),
      is_infra: infra,
    });
  }

  const layerOfNode = (id: string) => {
    const i = ifaceById.get(id);
    return i ? subnetLayer(subnets.get(String(i.subnet_id))?.subnet_type)[0] : 999;
  };
  const edges: GraphEdge[] = [];
  const edgeKeys = new Set<string>();
  const addEdge = (
    key: string,
    type: string,
    source: string,
    target: string,
    label: string | null,
    extra: Row,
  ) => {
    if (source === target || !cardOf.has(source) || (!cardOf.has(target) && !containers.has(target))) return;
    if (edgeKeys.has(key)) return;
    edgeKeys.add(key);
    const ls = layerOfNode(source);
    const lt = containers.has(target) && !cardOf.has(target) ? ls + 1 : layerOfNode(target);
    const multi = Math.abs(ls - lt) > 1 && ls !== 999 && lt !== 999;
    const [sh, th]: [Handle, Handle] = multi
      ? ['Left', 'Left']
      : lt > ls
        ? ['Bottom', 'Top']
        : lt < ls
          ? ['Top', 'Bottom']
          : ['Right', 'Left'];
    edges.push({
      id: stableId(key),
      edge_type: type,
      source,
      target,
      label,
      source_handle: sh,
      target_handle: th,
      is_multi_hop: multi,
      ...extra,
    });
  };

  // Interface edges: a host with 2+ carded interfaces, from its first non-docker one to each other one.
  const byHost = new Map<string, Row[]>();
  for (const i of carded) byHost.set(String(i.host_id), [...(byHost.get(String(i.host_id)) ?? []), i]);
  for (const [hostId, list] of byHost) {
    const real = list.filter((i) => !isDockerSubnet(String(i.subnet_id)));
    if (real.length < 2) continue;
    const [origin, ...rest] = real;
    for (const other of rest) {
      const same = origin!.subnet_id === other.subnet_id;
      addEdge(
        `if:${String(origin!.id)}:${String(other.id)}`,
        'Interface',
        String(origin!.id),
        String(other.id),
        same ? null : str(hosts.get(hostId)!.name),
        { host_id: hostId },
      );
    }
  }

  // Virtualization: VM hosts (host.virtualization.details.service_id) and Docker containers (service.virtualization).
  const serviceById = new Map(services.map((s) => [String(s.id), s]));
  const firstCard = (hostId: string, subnetId?: string) =>
    carded.find((i) => i.host_id === hostId && (subnetId === undefined || i.subnet_id === subnetId));
  for (const h of hosts.values()) {
    const v = h.virtualization as { details?: { service_id?: string } } | null;
    const hv = v?.details?.service_id ? serviceById.get(v.details.service_id) : undefined;
    if (!hv) continue;
    for (const vmIf of carded.filter((i) => i.host_id === h.id)) {
      const src = firstCard(String(hv.host_id), String(vmIf.subnet_id));
      if (src)
        addEdge(
          `vm:${String(hv.id)}:${String(vmIf.id)}`,
          'HostVirtualization',
          String(src.id),
          String(vmIf.id),
          null,
          { vm_service_id: String(hv.id) },
        );
    }
  }
  for (const s of services) {
    const v = s.virtualization as { details?: { service_id?: string } } | null;
    const runtime = v?.details?.service_id ? serviceById.get(v.details.service_id) : undefined;
    if (!runtime) continue;
    const origin = byHost.get(String(runtime.host_id))?.find((i) => !isDockerSubnet(String(i.subnet_id)));
    if (!origin) continue;
    const label = `${String(runtime.name)} @ ${String(hosts.get(String(runtime.host_id))?.name ?? '')}`;
    const extra = { host_id: String(runtime.host_id), containerizing_service_id: String(runtime.id) };
    for (const b of (s.bindings as Row[] | undefined) ?? []) {
      for (const t of bindingIface.get(String(b.id)) ?? []) {
        if (!isDockerSubnet(String(ifaceById.get(t)?.subnet_id))) continue;
        if (opts.group_docker_bridges_by_host) {
          const c = containerOf(ifaceById.get(t)!);
          addEdge(
            `ctr:${String(runtime.id)}:${c}`,
            'ServiceVirtualization',
            String(origin.id),
            c,
            label,
            extra,
          );
        } else {
          addEdge(
            `ctr:${String(runtime.id)}:${t}`,
            'ServiceVirtualization',
            String(origin.id),
            t,
            label,
            extra,
          );
        }
      }
    }
  }

  // Group request paths (chain) and hub-and-spoke (first to each other).
  for (const g of [...inv.groups].sort(byId)) {
    const ids = ((g.binding_ids as string[] | undefined) ?? []).filter(
      (b) => (bindingIface.get(b) ?? []).length > 0,
    );
    const pairs: [string, string][] =
      g.group_type === 'HubAndSpoke'
        ? ids.slice(1).map((b) => [ids[0]!, b])
        : ids.slice(1).map((b, k) => [ids[k]!, b]);
    for (const [a, b] of pairs) {
      const s = bindingIface.get(a)![0]!;
      const t = bindingIface.get(b)![0]!;
      const same = ifaceById.get(s)?.subnet_id === ifaceById.get(t)?.subnet_id;
      addEdge(
        `grp:${String(g.id)}:${a}:${b}`,
        g.group_type === 'HubAndSpoke' ? 'HubAndSpoke' : 'RequestPath',
        s,
        t,
        same ? null : str(g.name),
        {
          group_id: String(g.id),
          source_binding_id: a,
          target_binding_id: b,
        },
      );
    }
  }
  return { nodes, edges };
}
