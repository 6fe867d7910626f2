import { Type, type Static } from 'typebox';
import { serviceCategoryIds } from '@scanopy/detection';
import { DateTime, Name, Nullable, entityMeta, echoedMeta, strict } from '@scanopy/contracts';
import { Uuid, UuidArray } from '../../http/schemas.ts';

export const EdgeType = Type.Enum([
  'Interface',
  'HostVirtualization',
  'ServiceVirtualization',
  'RequestPath',
  'HubAndSpoke',
  'PhysicalLink',
]);

export const ServiceCategory = Type.Enum([...serviceCategoryIds]);

const Categories = Type.Array(ServiceCategory, { maxItems: 100 });

export const TopologyTagFilter = Type.Object(
  {
    hidden_host_tag_ids: Type.Optional(UuidArray),
    hidden_service_tag_ids: Type.Optional(UuidArray),
    hidden_subnet_tag_ids: Type.Optional(UuidArray),
  },
  strict,
);

/** Applied by the viewer only. */
export const TopologyLocalOptions = Type.Object(
  {
    hide_edge_types: Type.Array(EdgeType, { maxItems: 20 }),
    hide_resize_handles: Type.Boolean(),
    left_zone_title: Type.String({ maxLength: 100 }),
    no_fade_edges: Type.Boolean(),
    tag_filter: Type.Optional(TopologyTagFilter),
  },
  strict,
);

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
  strict,
);

export const TopologyOptions = Type.Object(
  { local: TopologyLocalOptions, request: TopologyRequestOptions },
  strict,
);

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

export const Topology = Type.Object({
  ...entityMeta,
  network_id: Uuid,
  name: Type.String(),
  options: TopologyOptions,
  ...Object.fromEntries(snapshotNames.map((n) => [n, Snapshot])),
  ...Object.fromEntries(removedNames.map((n) => [n, Type.Array(Uuid)])),
  is_stale: Type.Boolean(),
  last_refreshed: DateTime,
  is_locked: Type.Boolean(),
  locked_at: Nullable(DateTime),
  locked_by: Nullable(Uuid),
  parent_id: Nullable(Uuid),
  tags: Type.Array(Uuid),
});

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
    ...Object.fromEntries(snapshotNames.map((n) => [n, Type.Optional(Snapshot)])),
    ...Object.fromEntries(removedNames.map((n) => [n, Type.Optional(Type.Array(Uuid))])),
    is_stale: Type.Optional(Type.Boolean()),
    last_refreshed: Type.Optional(DateTime),
    is_locked: Type.Optional(Type.Boolean()),
    locked_at: Type.Optional(Nullable(DateTime)),
    locked_by: Type.Optional(Nullable(Uuid)),
  },
  strict,
);
export type TopologyRequest = Static<typeof TopologyRequest>;
