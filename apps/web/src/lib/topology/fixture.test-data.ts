import type { Topology } from './types.ts';

/** A small reference-shaped topology: a LAN with a gateway and a NAS, a DMZ with a web server, one host in both. */
const NET = '00000000-0000-4000-8000-000000000001';
const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const T = '2026-12-01T10:00:00Z';
const meta = (n: number) => ({ id: id(n), created_at: T, updated_at: T });

export const LAN = id(10);
export const DMZ = id(11);
export const GW = id(20);
export const NAS = id(21);
export const WEB = id(22);
export const GW_LAN = id(30);
export const NAS_LAN = id(31);
export const WEB_DMZ = id(32);
export const GW_DMZ = id(33);

export function fixtureTopology(): Topology {
  const host = (n: number, name: string) => ({
    ...meta(n),
    name,
    hostname: `${name}.lan`,
    description: null,
    network_id: NET,
    source: { type: 'Manual' },
    virtualization: null,
    hidden: false,
    tags: [],
  });
  const iface = (n: number, hostN: number, subnet: string, ip: string) => ({
    ...meta(n),
    host_id: id(hostN),
    subnet_id: subnet,
    network_id: NET,
    ip_address: ip,
    mac_address: null,
    name: 'eth0',
    position: 0,
  });
  const service = (n: number, hostN: number, name: string, def: string, bindings: object[]) => ({
    ...meta(n),
    host_id: id(hostN),
    network_id: NET,
    name,
    service_definition: def,
    bindings: bindings.map((b, i) => ({ ...meta(n * 10 + i), service_id: id(n), network_id: NET, ...b })),
    position: 0,
    source: { type: 'Manual' },
    virtualization: null,
    tags: [],
  });
  const port = (n: number, hostN: number, number: number) => ({
    ...meta(n),
    host_id: id(hostN),
    network_id: NET,
    number,
    protocol: 'Tcp',
    type: 'Custom',
  });
  const subnetNode = (sid: string, x: number, y: number, w: number, h: number) => ({
    id: sid,
    node_type: 'SubnetNode' as const,
    position: { x, y },
    size: { x: w, y: h },
    header: null,
    infra_width: 0,
  });
  const card = (nid: string, subnet: string, hostN: number, x: number, y: number) => ({
    id: nid,
    node_type: 'InterfaceNode' as const,
    subnet_id: subnet,
    host_id: id(hostN),
    interface_id: nid,
    is_infra: false,
    position: { x, y },
    size: { x: 250, y: 100 },
    header: null,
  });
  const t = {
    ...meta(1),
    network_id: NET,
    name: 'Home "lab" <main>',
    options: {
      local: {
        hide_edge_types: ['HostVirtualization'],
        hide_resize_handles: false,
        left_zone_title: 'Infrastructure',
        no_fade_edges: false,
      },
      request: {
        group_docker_bridges_by_host: true,
        hide_ports: false,
        hide_service_categories: ['OpenPorts'],
        hide_vm_title_on_docker_container: false,
        left_zone_service_categories: ['DNS', 'ReverseProxy'],
        show_gateway_in_left_zone: true,
      },
    },
    nodes: [
      subnetNode(LAN, 0, 0, 650, 250),
      subnetNode(DMZ, 0, 400, 400, 250),
      card(GW_LAN, LAN, 20, 50, 50),
      card(NAS_LAN, LAN, 21, 350, 50),
      card(WEB_DMZ, DMZ, 22, 50, 50),
      card(GW_DMZ, DMZ, 20, 50, 150),
    ],
    edges: [
      {
        id: id(40),
        source: GW_LAN,
        target: GW_DMZ,
        edge_type: 'Interface',
        host_id: id(20),
        label: 'gateway',
        source_handle: 'Bottom',
        target_handle: 'Top',
        is_multi_hop: false,
      },
      {
        id: id(41),
        source: WEB_DMZ,
        target: NAS_LAN,
        edge_type: 'RequestPath',
        group_id: id(50),
        source_binding_id: id(2200),
        target_binding_id: id(2100),
        label: 'web | storage',
        source_handle: 'Top',
        target_handle: 'Bottom',
        is_multi_hop: false,
      },
      {
        id: id(42),
        source: GW_LAN,
        target: NAS_LAN,
        edge_type: 'HostVirtualization',
        vm_service_id: id(210),
        label: null,
        source_handle: 'Right',
        target_handle: 'Left',
        is_multi_hop: false,
      },
    ],
    hosts: [host(20, 'gateway'), host(21, 'nas'), host(22, 'web')],
    interfaces: [
      iface(30, 20, LAN, '10.0.0.1'),
      iface(31, 21, LAN, '10.0.0.20'),
      iface(32, 22, DMZ, '10.1.0.10'),
      iface(33, 20, DMZ, '10.1.0.1'),
    ],
    ports: [port(60, 21, 445), port(61, 22, 443)],
    bindings: [],
    subnets: [
      {
        ...meta(10),
        network_id: NET,
        cidr: '10.0.0.0/24',
        name: 'LAN',
        description: null,
        subnet_type: 'Lan',
        source: { type: 'Manual' },
        tags: [],
      },
      {
        ...meta(11),
        network_id: NET,
        cidr: '10.1.0.0/24',
        name: 'DMZ',
        description: null,
        subnet_type: 'Dmz',
        source: { type: 'Manual' },
        tags: [],
      },
    ],
    services: [
      service(200, 20, 'Gateway', 'Gateway', [{ type: 'Interface', interface_id: GW_LAN }]),
      service(201, 20, 'SSH', 'SSH', [{ type: 'Port', port_id: id(99), interface_id: null }]),
      service(210, 21, 'Samba', 'Samba', [{ type: 'Port', port_id: id(60), interface_id: NAS_LAN }]),
      service(220, 22, 'Nginx', 'Nginx', [{ type: 'Port', port_id: id(61), interface_id: WEB_DMZ }]),
    ],
    groups: [],
    if_entries: [],
    entity_tags: [],
    removed_hosts: [],
    removed_interfaces: [],
    removed_subnets: [],
    removed_services: [],
    removed_groups: [],
    removed_ports: [],
    removed_bindings: [],
    removed_if_entries: [],
    is_stale: false,
    last_refreshed: T,
    is_locked: false,
    locked_at: null,
    locked_by: null,
    parent_id: null,
    tags: [],
  };
  return t as unknown as Topology;
}
