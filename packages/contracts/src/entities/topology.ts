import { Type, type Static } from 'typebox';
import { DateTime, echoedMeta, entityMeta, Name, Nullable, bodyObject, Uuid, UuidArray } from '../common.ts';

/** The kinds of topology edge (the reference calls this enum EdgeTypeDiscriminants). */
export const EdgeType = Type.Enum([
  'Interface',
  'HostVirtualization',
  'ServiceVirtualization',
  'RequestPath',
  'HubAndSpoke',
  'PhysicalLink',
]);
export type EdgeType = Static<typeof EdgeType>;

/**
 * Categories of the service catalog, in the reference's order. @scanopy/detection keeps the same list to check its
 * catalog (a test holds the two together); it is repeated here so the contracts do not load the catalog.
 */
export const SERVICE_CATEGORIES = [
  'NetworkCore',
  'NetworkAccess',
  'NetworkSecurity',
  'Storage',
  'Backup',
  'Media',
  'HomeAutomation',
  'Virtualization',
  'DNS',
  'VPN',
  'SNMP',
  'Monitoring',
  'AdBlock',
  'ReverseProxy',
  'Workstation',
  'Mobile',
  'IoT',
  'Printer',
  'Database',
  'Development',
  'Dashboard',
  'MessageQueue',
  'IdentityAndAccess',
  'Office',
  'ProjectManagement',
  'Messaging',
  'Conferencing',
  'Telephony',
  'Email',
  'Publishing',
  'Unknown',
  'Custom',
  'Scanopy',
  'OpenPorts',
] as const;

export const ServiceCategory = Type.Enum([...SERVICE_CATEGORIES]);
export type ServiceCategory = Static<typeof ServiceCategory>;

const Categories = Type.Array(ServiceCategory, { maxItems: 100 });

export const TopologyTagFilter = Type.Object(
  {
    hidden_host_tag_ids: Type.Optional(UuidArray),
    hidden_service_tag_ids: Type.Optional(UuidArray),
    hidden_subnet_tag_ids: Type.Optional(UuidArray),
  },
  bodyObject,
);
export type TopologyTagFilter = Static<typeof TopologyTagFilter>;

/** Applied by the viewer only. */
export const TopologyLocalOptions = Type.Object(
  {
    hide_edge_types: Type.Array(EdgeType, { maxItems: 20 }),
    hide_resize_handles: Type.Boolean(),
    left_zone_title: Type.String({ maxLength: 100 }),
    no_fade_edges: Type.Boolean(),
    tag_filter: Type.Optional(TopologyTagFilter),
  },
  bodyObject,
);
export type TopologyLocalOptions = Static<typeof TopologyLocalOptions>;

/** Change the graph the server builds. */
export const TopologyRequestOptions = Type.Object(
  {
    group_docker_bridges_by_host: Type.Boolean(),
    hide_ports: Type.Boolean(),
    hide_service_categories: Categories,
    hide_vm_title_on_docker_container: Type.Boolean(),
    left_zone_service_categories: Categories,
    show_gateway_in_left_zone: Type.Boolean(),
  },
  bodyObject,
);
export type TopologyRequestOptions = Static<typeof TopologyRequestOptions>;

export const TopologyOptions = Type.Object(
  { local: TopologyLocalOptions, request: TopologyRequestOptions },
  bodyObject,
);
export type TopologyOptions = Static<typeof TopologyOptions>;

/** Snapshot arrays hold whole entities as they were when the graph was built. */
const Snapshot = Type.Array(Type.Unknown());
export const snapshotNames = [
  'nodes',
  'edges',
  'hosts',
  'interfaces',
  'ports',
  'bindings',
  'subnets',
  'services',
  'groups',
  'if_entries',
  'entity_tags',
] as const;
export const removedNames = [
  'removed_hosts',
  'removed_interfaces',
  'removed_subnets',
  'removed_services',
  'removed_groups',
  'removed_ports',
  'removed_bindings',
  'removed_if_entries',
] as const;

/** One property per name; typed, unlike a bare Object.fromEntries, so the static types list every array. */
const fields = <K extends string, S>(names: readonly K[], schema: () => S) =>
  Object.fromEntries(names.map((n) => [n, schema()])) as Record<K, S>;

/** The graphs a topology can draw (§1.6); L2 Physical needs LLDP/CDP neighbour data that discovery does not collect. */
export const TopologyView = Type.Enum(['L3Logical', 'Workloads', 'Applications']);
export type TopologyView = Static<typeof TopologyView>;

export const EdgeHandle = Type.Enum(['Top', 'Bottom', 'Left', 'Right']);
export type EdgeHandle = Static<typeof EdgeHandle>;
const Ixy = Type.Object({
  x: Type.Integer({ minimum: -10_000_000, maximum: 10_000_000 }),
  y: Type.Integer({ minimum: -10_000_000, maximum: 10_000_000 }),
});
const Uxy = Type.Object({
  x: Type.Integer({ minimum: 0, maximum: 10_000_000 }),
  y: Type.Integer({ minimum: 0, maximum: 10_000_000 }),
});

/** Point updates (reference issue #451): only what changed, about 200 bytes. */
export const TopologyNodePositionUpdate = Type.Object(
  { network_id: Uuid, node_id: Uuid, position: Ixy, view: Type.Optional(TopologyView) },
  bodyObject,
);
export type TopologyNodePositionUpdate = Static<typeof TopologyNodePositionUpdate>;
export const TopologyNodeResizeUpdate = Type.Object(
  { network_id: Uuid, node_id: Uuid, size: Uxy, position: Ixy, view: Type.Optional(TopologyView) },
  bodyObject,
);
export type TopologyNodeResizeUpdate = Static<typeof TopologyNodeResizeUpdate>;
export const TopologyEdgeHandleUpdate = Type.Object(
  {
    network_id: Uuid,
    edge_id: Uuid,
    source_handle: EdgeHandle,
    target_handle: EdgeHandle,
    view: Type.Optional(TopologyView),
  },
  bodyObject,
);
export type TopologyEdgeHandleUpdate = Static<typeof TopologyEdgeHandleUpdate>;
export const TopologyMetadataUpdate = Type.Object(
  { network_id: Uuid, name: Name, parent_id: Type.Optional(Nullable(Uuid)) },
  bodyObject,
);
export type TopologyMetadataUpdate = Static<typeof TopologyMetadataUpdate>;

/**
 * Rebuild and refresh. nodes/edges are the client's current graph (the reference keeps handles from them); the server
 * keeps its own overrides, and reads these only to see a reset: empty lists drop the user's placements.
 */
export const TopologyRebuildRequest = Type.Object(
  {
    network_id: Uuid,
    options: TopologyOptions,
    nodes: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 100_000 })),
    edges: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 200_000 })),
    view: Type.Optional(TopologyView),
  },
  bodyObject,
);
export type TopologyRebuildRequest = Static<typeof TopologyRebuildRequest>;

export const Topology = Type.Object({
  ...entityMeta,
  network_id: Uuid,
  name: Type.String(),
  options: TopologyOptions,
  ...fields(snapshotNames, () => Snapshot),
  ...fields(removedNames, () => Type.Array(Uuid)),
  is_stale: Type.Boolean(),
  last_refreshed: DateTime,
  is_locked: Type.Boolean(),
  locked_at: Nullable(DateTime),
  locked_by: Nullable(Uuid),
  parent_id: Nullable(Uuid),
  tags: Type.Array(Uuid),
  /** Which graph nodes and edges hold (§1.6); not in the reference schema. */
  view: Type.Optional(TopologyView),
});
export type Topology = Static<typeof Topology>;

/**
 * The reference UI posts a whole Topology; the server takes name, network, options, parent and tags from it and keeps
 * its own graph, snapshots and state (built later by the server, never by the client).
 */
export const TopologyRequest = Type.Object(
  {
    ...echoedMeta,
    network_id: Uuid,
    name: Name,
    options: Type.Optional(TopologyOptions),
    parent_id: Type.Optional(Nullable(Uuid)),
    tags: Type.Optional(UuidArray),
    ...fields(snapshotNames, () => Type.Optional(Snapshot)),
    ...fields(removedNames, () => Type.Optional(Type.Array(Uuid))),
    is_stale: Type.Optional(Type.Boolean()),
    last_refreshed: Type.Optional(DateTime),
    is_locked: Type.Optional(Type.Boolean()),
    locked_at: Type.Optional(Nullable(DateTime)),
    locked_by: Type.Optional(Nullable(Uuid)),
    view: Type.Optional(TopologyView),
  },
  bodyObject,
);
export type TopologyRequest = Static<typeof TopologyRequest>;

/**
 * GET /api/v1/topology/stream: what happened to a topology. `created`, `deleted`, `rebuilt`, `refreshed`, `locked`,
 * `unlocked`, `stale` (the inventory under it changed), `updated` (name or options), `saved` (a full PUT) or
 * `arranged` (a point update: a drag, resize, reconnected edge or rename).
 */
export type TopologyAction =
  | 'created'
  | 'deleted'
  | 'rebuilt'
  | 'refreshed'
  | 'locked'
  | 'unlocked'
  | 'stale'
  | 'updated'
  | 'saved'
  | 'arranged';

/** The fields of a topology a stream message carries (everything but graph, snapshot, options and tags). */
export const TOPOLOGY_SUMMARY_FIELDS = [
  'name',
  'view',
  'is_stale',
  'is_locked',
  'locked_at',
  'locked_by',
  'last_refreshed',
  'updated_at',
  ...removedNames,
] as const;
export type TopologySummary = Pick<Topology, 'id' | 'network_id'> &
  Partial<Pick<Topology, (typeof TOPOLOGY_SUMMARY_FIELDS)[number]>>;

/** One `topology` message of the topology stream, per changed topology on the caller's networks. */
export interface TopologyMessage {
  type: 'topology';
  network_id: string;
  id: string;
  operation: 'created' | 'updated' | 'deleted';
  action: TopologyAction;
  changed_fields: string[];
  /** The topology's state after the change; absent when it was deleted. */
  topology?: TopologySummary;
}
