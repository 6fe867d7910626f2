import type {
  Color,
  EdgeStyle,
  EdgeType,
  Group,
  Host,
  Interface,
  Port,
  Service,
  Subnet,
  Topology as WireTopology,
} from '@scanopy/contracts';

export type { Color, EdgeStyle, EdgeType, Group, Host, Interface, Port, Service, Subnet };

/** The sides of a card an edge may leave or enter from (the reference's EdgeHandle). */
export type EdgeHandle = 'Top' | 'Bottom' | 'Left' | 'Right';
export const EDGE_HANDLES: readonly EdgeHandle[] = ['Top', 'Right', 'Bottom', 'Left'];

export interface Ixy {
  x: number;
  y: number;
}

/*
 * The stored graph of a v1 topology (reference schemas Node and Edge). @scanopy/contracts types `nodes` and `edges`
 * as unknown[] until the topology builder publishes their schemas; these are the reference shapes, narrowed once when
 * a topology is read (see `asGraph`).
 */
interface NodeBase {
  id: string;
  position: Ixy;
  size: Ixy;
  header?: string | null;
}
export interface SubnetNodeWire extends NodeBase {
  node_type: 'SubnetNode';
  infra_width: number;
}
export interface InterfaceNodeWire extends NodeBase {
  node_type: 'InterfaceNode';
  subnet_id: string;
  host_id: string;
  interface_id?: string | null;
  is_infra: boolean;
}
export type TopologyNode = SubnetNodeWire | InterfaceNodeWire;

export interface TopologyEdge {
  id: string;
  source: string;
  target: string;
  edge_type: EdgeType;
  label: string | null;
  source_handle: EdgeHandle;
  target_handle: EdgeHandle;
  is_multi_hop: boolean;
  host_id?: string;
  group_id?: string;
  vm_service_id?: string;
  containerizing_service_id?: string;
  source_binding_id?: string;
  target_binding_id?: string;
}

/** A topology with its graph and snapshot arrays typed. */
export type Topology = Omit<
  WireTopology,
  'nodes' | 'edges' | 'hosts' | 'interfaces' | 'services' | 'subnets' | 'ports' | 'groups'
> & {
  nodes: TopologyNode[];
  edges: TopologyEdge[];
  hosts: Host[];
  interfaces: Interface[];
  services: Service[];
  subnets: Subnet[];
  ports: Port[];
  groups: Group[];
};

/** Narrows a wire topology: the server builds the graph, so the cast only names what it sends. */
export function asTopology(t: WireTopology): Topology {
  return t as unknown as Topology;
}
