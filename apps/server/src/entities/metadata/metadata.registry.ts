import { catalog, categories } from '@scanopy/detection';
import type {
  Color,
  EntityMetadata,
  MetadataRegistry,
  PermissionLevel,
  SubnetType,
  TypeMetadata,
} from '@scanopy/contracts';
import { wellKnownPorts } from '../hosts/port-types.ts';

/**
 * The static registries behind GET /api/metadata: names, descriptions, colours and lucide icons of the types the UI
 * shows. Service definitions and their categories come from the detection catalog; the rest is listed here.
 */

const entry = (
  id: string,
  name: string,
  description: string | null,
  color: Color,
  icon: string | null,
  metadata: Record<string, unknown> = {},
  category: string | null = null,
): TypeMetadata => ({ id, name, description, category, icon, color, metadata });

/**
 * Name, description, colour, icon, and the vertical layer and left-to-right order of each subnet type in the topology
 * (topology-ui.md §2.2). Keyed by the type ids the daemon assigns (daemon.md §5), so none can be missing.
 */
const subnetTypes: Record<SubnetType, [string, string, Color, string, number, number]> = {
  Internet: ['Internet', 'The public internet', 'Blue', 'Globe', 0, 0],
  Remote: ['Remote', 'Networks reached from outside, such as other sites or clouds', 'Purple', 'Cloud', 0, 1],
  Gateway: ['Gateway', 'The network between your routers and the outside', 'Orange', 'Router', 1, 0],
  Dmz: ['DMZ', 'A perimeter network for services exposed to the outside', 'Red', 'ShieldAlert', 1, 1],
  VpnTunnel: [
    'VPN Tunnel',
    'Addresses of a VPN interface (tun, wg, tap, ppp)',
    'Emerald',
    'VenetianMask',
    1,
    2,
  ],
  Lan: ['LAN', 'A wired local network (eth, en*, br)', 'Green', 'Network', 2, 0],
  WiFi: ['Wi-Fi', 'A wireless network (wlan, wifi, wl)', 'Cyan', 'Wifi', 2, 1],
  IoT: ['IoT', 'A network for smart-home and other IoT devices', 'Yellow', 'Cpu', 2, 2],
  Guest: ['Guest', 'A network for guests, kept apart from the others', 'Teal', 'Users', 2, 3],
  Storage: ['Storage', 'A storage network (iSCSI, SAN)', 'Indigo', 'HardDrive', 3, 0],
  Management: ['Management', 'Out-of-band management (IPMI, BMC, mgmt)', 'Pink', 'Settings', 3, 1],
  DockerBridge: ['Docker Bridge', 'A Docker bridge network on a host', 'Blue', 'Container', 3, 2],
  MacVlan: [
    'MACVLAN',
    'A macvlan network: containers with their own MAC on the LAN',
    'Indigo',
    'Cable',
    3,
    3,
  ],
  IpVlan: ['IPVLAN', 'An ipvlan network: containers sharing the host MAC', 'Purple', 'Cable', 3, 4],
  Unknown: [
    'Unknown',
    'A network whose kind the interface name does not tell',
    'Gray',
    'CircleQuestionMark',
    999,
    0,
  ],
  None: ['None', 'No particular kind', 'Gray', 'CircleDashed', 999, 1],
};

/** Edge types of the topology and how they are drawn (topology-ui.md §1.3). */
const edgeTypes: TypeMetadata[] = [
  edge('Interface', 'Host Interface', 'Links the interfaces of one host across subnets', 'Blue', 'Link', {
    is_dashed: true,
    edge_style: 'SmoothStep',
    is_host_edge: true,
  }),
  edge(
    'HostVirtualization',
    'Virtualized Host',
    'From a hypervisor to a virtual machine it runs',
    'Indigo',
    'Server',
    {
      is_dashed: true,
      edge_style: 'Straight',
      is_host_edge: true,
      hidden_by_default: true,
    },
  ),
  edge(
    'ServiceVirtualization',
    'Virtualized Service',
    'From a container runtime to the containers it runs',
    'Cyan',
    'Boxes',
    { is_dashed: true, edge_style: 'SmoothStep', is_host_edge: true },
  ),
  edge('RequestPath', 'Request Path', 'A request passing from one service to the next', 'Purple', 'Route', {
    has_end_marker: true,
    edge_style: 'SmoothStep',
    is_group_edge: true,
  }),
  edge('HubAndSpoke', 'Hub and Spoke', 'From a hub service to each of its spokes', 'Purple', 'Share2', {
    has_end_marker: true,
    edge_style: 'SmoothStep',
    is_group_edge: true,
  }),
  edge('PhysicalLink', 'Physical Link', 'A cable between two ports, seen by LLDP or CDP', 'Gray', 'Cable', {
    edge_style: 'Straight',
    is_physical_edge: true,
  }),
];

function edge(
  id: string,
  name: string,
  description: string,
  color: Color,
  icon: string,
  style: Record<string, unknown>,
): TypeMetadata {
  return entry(id, name, description, color, icon, {
    is_dashed: false,
    has_start_marker: false,
    has_end_marker: false,
    is_host_edge: false,
    is_group_edge: false,
    is_physical_edge: false,
    hidden_by_default: false,
    ...style,
  });
}

const groupTypes: TypeMetadata[] = [
  entry(
    'RequestPath',
    'Request Path',
    'An ordered chain of service bindings a request passes through',
    'Purple',
    'Route',
  ),
  entry(
    'HubAndSpoke',
    'Hub and Spoke',
    'One hub binding connected to each of the other bindings',
    'Purple',
    'Share2',
  ),
];

/** One colour and icon per entity kind (the reference's EntityDiscriminants). */
const entities: EntityMetadata[] = (
  [
    ['Organization', 'Blue', 'Building2'],
    ['Invite', 'Green', 'UserPlus'],
    ['Share', 'Teal', 'Share2'],
    ['Network', 'Gray', 'Globe'],
    ['DaemonApiKey', 'Yellow', 'KeyRound'],
    ['UserApiKey', 'Yellow', 'Key'],
    ['User', 'Blue', 'User'],
    ['Tag', 'Yellow', 'Tag'],
    ['Discovery', 'Green', 'Radar'],
    ['Daemon', 'Green', 'SatelliteDish'],
    ['Host', 'Blue', 'Server'],
    ['Service', 'Purple', 'Layers'],
    ['Port', 'Cyan', 'EthernetPort'],
    ['Binding', 'Indigo', 'Link'],
    ['Interface', 'Cyan', 'Cable'],
    ['IfEntry', 'Teal', 'TableProperties'],
    ['SnmpCredential', 'Pink', 'LockKeyhole'],
    ['Subnet', 'Orange', 'Network'],
    ['Group', 'Rose', 'Group'],
    ['Topology', 'Indigo', 'Waypoints'],
    ['Unknown', 'Gray', 'CircleQuestionMark'],
  ] as const
).map(([id, color, icon]) => ({ id, color, icon }));

/** Display names of the well-known port types; the number and protocol go in the description. */
const portNames: Record<string, string> = {
  Ssh: 'SSH',
  DnsUdp: 'DNS',
  DnsTcp: 'DNS',
  Samba: 'SMB',
  Nfs: 'NFS',
  Ftp: 'FTP',
  Ipp: 'IPP',
  LdpTcp: 'LDP',
  LdpUdp: 'LDP',
  Ldap: 'LDAP',
  Ldaps: 'LDAPS',
  Snmp: 'SNMP',
  Rdp: 'RDP',
  Ntp: 'NTP',
  Sip: 'SIP',
  SipTls: 'SIP over TLS',
  Rtsp: 'RTSP',
  Dhcp: 'DHCP',
  MySql: 'MySQL',
  MsSql: 'SQL Server',
  DockerTls: 'Docker (TLS)',
  Kubernetes: 'Kubernetes API',
  RabbitMqMgmt: 'RabbitMQ Management',
  InfluxDb: 'InfluxDB',
  CouchDb: 'CouchDB',
  Mqtt: 'MQTT',
  MqttTls: 'MQTT over TLS',
  AMQPTls: 'AMQP over TLS',
  Wireguard: 'WireGuard',
};

function portName(id: string): string {
  if (portNames[id]) return portNames[id];
  if (/^Https\d*$/.test(id)) return 'HTTPS';
  if (/^Http\d*$/.test(id)) return 'HTTP';
  return id;
}

const ports: TypeMetadata[] = [
  ...wellKnownPorts().map((p) =>
    entry(p.id, portName(p.id), `Port ${p.number}/${p.protocol.toLowerCase()}`, 'Cyan', 'EthernetPort', {
      number: p.number,
      protocol: p.protocol,
    }),
  ),
  entry('Custom', 'Custom', 'Any other port', 'Gray', 'EthernetPort', { number: null, protocol: null }),
];

const discoveryTypes: TypeMetadata[] = [
  entry(
    'SelfReport',
    'Self Report',
    "The daemon reports its own host: interfaces, the subnets they are in, and the host's services",
    'Green',
    'Radar',
  ),
  entry(
    'Network',
    'Network Scan',
    'Scans the subnets the daemon can reach for hosts, open ports and services',
    'Blue',
    'ScanSearch',
  ),
  entry(
    'Docker',
    'Docker',
    "Lists the containers of the daemon's Docker host and their services",
    'Cyan',
    'Container',
  ),
];

/** Roles, highest first (api-model.md §2); `grantable` is what a user with the role may hand out. */
const permissions: TypeMetadata[] = (
  [
    [
      'Owner',
      'Everything an Admin can, plus renaming or resetting the organization; may grant any role',
      'Purple',
      'Crown',
      4,
    ],
    [
      'Admin',
      'Everything a Member can, plus networks, tag creation, users and invites',
      'Red',
      'ShieldCheck',
      3,
    ],
    [
      'Member',
      'Reads and edits hosts, services, subnets, groups, discovery and daemons of granted networks',
      'Blue',
      'UserPen',
      2,
    ],
    ['Viewer', 'Reads the entities of granted networks and exports them', 'Gray', 'Eye', 1],
  ] as const
).map(([id, description, color, icon, rank]) =>
  entry(id, id, description, color, icon, {
    rank,
    grantable: grantableBy(id),
  }),
);

function grantableBy(role: PermissionLevel): PermissionLevel[] {
  switch (role) {
    case 'Owner':
      return ['Owner', 'Admin', 'Member', 'Viewer'];
    case 'Admin':
      return ['Member', 'Viewer'];
    case 'Member':
    case 'Viewer':
      return [];
  }
}

const categoryById = new Map(categories.map((c) => [c.id, c]));

/** Service categories with their colour and icon; not a reference registry, added so the UI needs no copy. */
const serviceCategories: TypeMetadata[] = categories.map((c) =>
  entry(c.id, c.name, null, c.color, c.icon, { can_be_manually_added: c.can_be_manually_added }),
);

const serviceDefinitions: TypeMetadata[] = catalog.map((d) => {
  const cat = categoryById.get(d.category);
  return entry(
    d.name,
    d.name,
    null,
    cat?.color ?? 'Gray',
    cat?.icon ?? 'CircleQuestionMark',
    {
      is_generic: d.generic,
      logo_url: d.logo_url || null,
      logo_needs_white_background: d.logo_needs_white_background,
      can_be_manually_added: cat?.can_be_manually_added ?? true,
    },
    d.category,
  );
});

export type MetadataResponse = MetadataRegistry & { service_categories: TypeMetadata[] };

export const metadataRegistry: MetadataResponse = {
  service_definitions: serviceDefinitions,
  subnet_types: Object.entries(subnetTypes).map(([id, [name, description, color, icon, layer, order]]) =>
    entry(id, name, description, color, icon, { layer, order }),
  ),
  edge_types: edgeTypes,
  group_types: groupTypes,
  entities,
  ports,
  discovery_types: discoveryTypes,
  // Billing is not part of a self-hosted server.
  billing_plans: [],
  features: [],
  permissions,
  concepts: [],
  service_categories: serviceCategories,
};
