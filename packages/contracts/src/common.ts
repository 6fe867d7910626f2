import { Type, type Static, type TSchema } from 'typebox';

export const Uuid = Type.String({ format: 'uuid' });
export type Uuid = Static<typeof Uuid>;

/** Ids in a request body or query string, capped so one request cannot carry an unbounded list. */
export const UuidArray = Type.Array(Uuid, { maxItems: 1000 });
export type UuidArray = Static<typeof UuidArray>;

export const DateTime = Type.String({ format: 'date-time' });
export type DateTime = Static<typeof DateTime>;

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const TagIds = Type.Array(Uuid);

/** Fields every stored entity carries at top level. */
export const entityMeta = { id: Uuid, created_at: DateTime, updated_at: DateTime };

/**
 * The reference API takes whole entities as create/update bodies (the UI sends the nil UUID and epoch
 * timestamps); bodies list these read-only fields as optional and the server ignores them.
 */
export const echoedMeta = {
  id: Type.Optional(Uuid),
  created_at: Type.Optional(DateTime),
  updated_at: Type.Optional(DateTime),
};

export const Name = Type.String({ minLength: 1, maxLength: 100 });
export const Description = Type.String({ maxLength: 500 });

export const Color = Type.Enum([
  'Pink',
  'Rose',
  'Red',
  'Orange',
  'Green',
  'Emerald',
  'Teal',
  'Cyan',
  'Blue',
  'Indigo',
  'Purple',
  'Gray',
  'Yellow',
]);
export type Color = Static<typeof Color>;

export const PermissionLevel = Type.Enum(['Owner', 'Admin', 'Member', 'Viewer']);
export type PermissionLevel = Static<typeof PermissionLevel>;

/** The same levels weakest first: the order is their rank when permissions are compared. */
export const PERMISSION_LEVELS_BY_RANK = ['Viewer', 'Member', 'Admin', 'Owner'] as const;

export const SubnetType = Type.Enum([
  'Internet',
  'Remote',
  'Gateway',
  'VpnTunnel',
  'Dmz',
  'Lan',
  'WiFi',
  'IoT',
  'Guest',
  'DockerBridge',
  'MacVlan',
  'IpVlan',
  'Management',
  'Storage',
  'Unknown',
  'None',
]);
export type SubnetType = Static<typeof SubnetType>;

export const TransportProtocol = Type.Enum(['Tcp', 'Udp']);
export type TransportProtocol = Static<typeof TransportProtocol>;

export const PortType = Type.Enum([
  'Ssh',
  'Telnet',
  'DnsUdp',
  'DnsTcp',
  'Samba',
  'Nfs',
  'Ftp',
  'Ipp',
  'LdpTcp',
  'LdpUdp',
  'Ldap',
  'Ldaps',
  'Kerberos',
  'Snmp',
  'Rdp',
  'Ntp',
  'Sip',
  'SipTls',
  'Rtsp',
  'Dhcp',
  'Http',
  'MySql',
  'PostgreSQL',
  'MongoDB',
  'Redis',
  'MsSql',
  'Docker',
  'DockerTls',
  'Kubernetes',
  'RabbitMqMgmt',
  'Cassandra',
  'Elasticsearch',
  'InfluxDb',
  'CouchDb',
  'Kafka',
  'Http3000',
  'Http5000',
  'Http8080',
  'Http8081',
  'Http8082',
  'Http8888',
  'Http9000',
  'Https',
  'Https8443',
  'Https9443',
  'Https10443',
  'Mqtt',
  'MqttTls',
  'AMQP',
  'AMQPTls',
  'Wireguard',
  'OpenVPN',
  'BACnet',
  'JetDirect',
  'Custom',
]);
export type PortType = Static<typeof PortType>;

export const DaemonMode = Type.Enum(['daemon_poll', 'server_poll']);
export type DaemonMode = Static<typeof DaemonMode>;

export const DiscoveryPhase = Type.Enum([
  'Pending',
  'Starting',
  'Started',
  'Scanning',
  'Complete',
  'Failed',
  'Cancelled',
]);
export type DiscoveryPhase = Static<typeof DiscoveryPhase>;

export const HostNamingFallback = Type.Enum(['Ip', 'BestService']);
export type HostNamingFallback = Static<typeof HostNamingFallback>;

export const MatchConfidence = Type.Enum(['NotApplicable', 'Low', 'Medium', 'High', 'Certain']);
export type MatchConfidence = Static<typeof MatchConfidence>;

/** Pacing of a Network discovery (docs/scanning.md); normal when absent. */
export const ScanPreset = Type.Enum(['polite', 'normal', 'fast']);
export type ScanPreset = Static<typeof ScanPreset>;

export const SnmpVersion = Type.Enum(['V2c', 'V3']);
export type SnmpVersion = Static<typeof SnmpVersion>;

export const SnmpQueryCredential = Type.Object({
  version: Type.Optional(SnmpVersion),
  community: Type.String(),
});
export type SnmpQueryCredential = Static<typeof SnmpQueryCredential>;

export const SnmpCredentialMapping = Type.Object({
  default_credential: Type.Optional(Nullable(SnmpQueryCredential)),
  ip_overrides: Type.Optional(
    Type.Array(Type.Object({ ip: Type.String(), credential: SnmpQueryCredential })),
  ),
});
export type SnmpCredentialMapping = Static<typeof SnmpCredentialMapping>;

// Property records are shared so DiscoveryMetadata can flatten them next to daemon_id/date.
const selfReportFields = { type: Type.Literal('SelfReport'), host_id: Uuid };
const networkDiscoveryFields = {
  type: Type.Literal('Network'),
  subnet_ids: Nullable(Type.Array(Uuid)),
  host_naming_fallback: HostNamingFallback,
  snmp_credentials: Type.Optional(SnmpCredentialMapping),
  probe_raw_socket_ports: Type.Optional(Type.Boolean()),
  // Extensions of this implementation (absent = the reference's behaviour). See docs/scanning.md.
  /** Pacing preset: polite, normal (default) or fast. */
  scan_preset: Type.Optional(Nullable(ScanPreset)),
  /** "all" (default: the catalog's ports first, then 1–65535), "catalog", or ranges such as "1-1024,8080". */
  ports: Type.Optional(Nullable(Type.String({ maxLength: 500, pattern: '^(all|catalog|[0-9, -]+)$' }))),
  /** Addresses or CIDRs never probed. */
  exclusions: Type.Optional(Nullable(Type.Array(Type.String({ maxLength: 43 }), { maxItems: 1000 }))),
};
const dockerDiscoveryFields = {
  type: Type.Literal('Docker'),
  host_id: Uuid,
  host_naming_fallback: HostNamingFallback,
};

export const DiscoveryType = Type.Union([
  Type.Object(selfReportFields),
  Type.Object(networkDiscoveryFields),
  Type.Object(dockerDiscoveryFields),
]);
export type DiscoveryType = Static<typeof DiscoveryType>;

const metadataFields = { daemon_id: Uuid, date: DateTime };
export const DiscoveryMetadata = Type.Union([
  Type.Object({ ...selfReportFields, ...metadataFields }),
  Type.Object({ ...networkDiscoveryFields, ...metadataFields }),
  Type.Object({ ...dockerDiscoveryFields, ...metadataFields }),
]);
export type DiscoveryMetadata = Static<typeof DiscoveryMetadata>;

export const MatchReason = Type.Union([
  Type.Object({ type: Type.Literal('reason'), data: Type.String() }),
  // data is the tuple [name, reason[]] — recursive, so left untyped like the reference does.
  Type.Object({ type: Type.Literal('container'), data: Type.Array(Type.Unknown()) }),
]);
export type MatchReason = Static<typeof MatchReason>;

export const MatchDetails = Type.Object({ confidence: MatchConfidence, reason: MatchReason });
export type MatchDetails = Static<typeof MatchDetails>;

export const EntitySource = Type.Union([
  Type.Object({ type: Type.Literal('Manual') }),
  Type.Object({ type: Type.Literal('System') }),
  Type.Object({ type: Type.Literal('Discovery'), metadata: Type.Array(DiscoveryMetadata) }),
  Type.Object({
    type: Type.Literal('DiscoveryWithMatch'),
    metadata: Type.Array(DiscoveryMetadata),
    details: MatchDetails,
  }),
  Type.Object({ type: Type.Literal('Unknown') }),
]);
export type EntitySource = Static<typeof EntitySource>;

export const HostVirtualization = Type.Object({
  type: Type.Literal('Proxmox'),
  details: Type.Object({
    service_id: Uuid,
    vm_id: Type.Optional(Nullable(Type.String())),
    vm_name: Type.Optional(Nullable(Type.String())),
  }),
});
export type HostVirtualization = Static<typeof HostVirtualization>;

export const ServiceVirtualization = Type.Object({
  type: Type.Literal('Docker'),
  details: Type.Object({
    service_id: Uuid,
    container_id: Type.Optional(Nullable(Type.String())),
    container_name: Type.Optional(Nullable(Type.String())),
  }),
});
export type ServiceVirtualization = Static<typeof ServiceVirtualization>;

export const IdParams = Type.Object({ id: Uuid });
export type IdParams = Static<typeof IdParams>;

/**
 * Options of every request-body object. Like the reference (serde), the server accepts fields it does not know and
 * drops them before a handler sees the body (TypeBox `Value.Clean` in the server's body validator), so a client can
 * send back a whole entity it read (`id`, `created_at`, `organization_id`, ...). The fields a schema names are still
 * validated strictly. Response objects list exactly the fields the server sends.
 */
export const bodyObject = {} as const;
