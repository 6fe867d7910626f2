// Generated from the migrated schema by `npm run db-types -w apps/server`; do not edit by hand.
import type { ColumnType } from 'kysely';

export type Generated<T> =
  T extends ColumnType<infer S, infer I, infer U>
    ? ColumnType<S, I | undefined, U>
    : ColumnType<T, T | undefined, T>;

export type Json = JsonValue;

export type JsonArray = JsonValue[];

export type JsonObject = {
  [x: string]: JsonValue | undefined;
};

export type JsonPrimitive = boolean | number | string | null;

export type JsonValue = JsonArray | JsonObject | JsonPrimitive;

export type Timestamp = ColumnType<Date, Date | string, Date | string>;

export interface ApiKeys {
  created_at: Generated<Timestamp>;
  expires_at: Timestamp | null;
  id: string;
  is_enabled: Generated<boolean>;
  key_hash: string;
  last_used: Timestamp | null;
  name: string;
  network_id: string;
  plaintext_key: string | null;
  updated_at: Generated<Timestamp>;
}

export interface Bindings {
  binding_type: string;
  created_at: Generated<Timestamp>;
  id: string;
  interface_id: string | null;
  network_id: string;
  port_id: string | null;
  service_id: string;
  updated_at: Generated<Timestamp>;
}

export interface Daemons {
  api_key_id: string | null;
  capabilities: Generated<Json>;
  created_at: Generated<Timestamp>;
  host_id: string;
  id: string;
  is_unreachable: Generated<boolean>;
  last_seen: Timestamp | null;
  mode: Generated<string>;
  name: string | null;
  network_id: string;
  standby: Generated<boolean>;
  updated_at: Generated<Timestamp>;
  url: Generated<string>;
  user_id: string;
  version: string | null;
}

export interface Discovery {
  created_at: Generated<Timestamp>;
  daemon_id: string;
  discovery_type: Json;
  id: string;
  name: string;
  network_id: string;
  next_run_at: Timestamp | null;
  run_type: Json;
  updated_at: Generated<Timestamp>;
}

export interface DiscoverySessions {
  cancel_requested: Generated<boolean>;
  created_at: Generated<Timestamp>;
  daemon_id: string;
  discovery_id: string | null;
  discovery_type: Json;
  error: string | null;
  finished_at: Timestamp | null;
  id: string;
  last_activity_at: Generated<Timestamp>;
  network_id: string;
  phase: Generated<string>;
  progress: Generated<number>;
  started_at: Timestamp | null;
  updated_at: Generated<Timestamp>;
}

export interface EntityTags {
  entity_id: string;
  entity_type: string;
  tag_id: string;
}

export interface EventOutbox {
  changed_fields: string[];
  entity: string;
  flush: boolean;
  id: string;
  network_id: string | null;
  operation: string;
  organization_id: string | null;
  seq: Generated<number>;
  session: Json | null;
  suppress: boolean;
  tx: Generated<string>;
}

export interface GroupBindings {
  binding_id: string;
  group_id: string;
  position: number;
}

export interface Groups {
  color: string;
  created_at: Generated<Timestamp>;
  description: string | null;
  edge_style: Generated<string>;
  group_type: string;
  id: string;
  member_type: Generated<string>;
  name: string;
  network_id: string;
  source: Generated<Json>;
  updated_at: Generated<Timestamp>;
}

export interface GroupServices {
  group_id: string;
  position: number;
  service_id: string;
}

export interface Hosts {
  created_at: Generated<Timestamp>;
  description: string | null;
  edited_fields: Generated<string[]>;
  hidden: Generated<boolean>;
  hostname: string | null;
  id: string;
  name: string;
  network_id: string;
  source: Json;
  updated_at: Generated<Timestamp>;
  virtualization: Json | null;
}

export interface Interfaces {
  created_at: Generated<Timestamp>;
  host_id: string;
  id: string;
  ip_address: string;
  mac_address: string | null;
  name: string | null;
  network_id: string;
  position: Generated<number>;
  subnet_id: string;
  updated_at: Generated<Timestamp>;
}

export interface Invites {
  created_at: Generated<Timestamp>;
  created_by: string;
  expires_at: Generated<Timestamp>;
  id: string;
  network_ids: Generated<string[]>;
  organization_id: string;
  permissions: string;
  send_to: string | null;
  updated_at: Generated<Timestamp>;
  url: string;
}

export interface Networks {
  created_at: Generated<Timestamp>;
  id: string;
  name: string;
  organization_id: string;
  updated_at: Generated<Timestamp>;
}

export interface Organizations {
  created_at: Generated<Timestamp>;
  id: string;
  name: string;
  onboarding: Generated<Json>;
  plan: Json | null;
  plan_status: string | null;
  updated_at: Generated<Timestamp>;
}

export interface Ports {
  created_at: Generated<Timestamp>;
  host_id: string;
  id: string;
  network_id: string;
  port_number: number;
  port_type: Generated<string>;
  protocol: string;
  updated_at: Generated<Timestamp>;
}

export interface ServerPollClaims {
  claimed_until: Timestamp;
  daemon_id: string;
}

export interface ServerState {
  key: string;
  updated_at: Generated<Timestamp>;
  value: Json;
}

export interface Services {
  created_at: Generated<Timestamp>;
  host_id: string;
  id: string;
  name: string;
  network_id: string;
  position: Generated<number>;
  service_definition: string;
  source: Json;
  updated_at: Generated<Timestamp>;
  virtualization: Json | null;
}

export interface Sessions {
  created_at: Generated<Timestamp>;
  data: Generated<Json>;
  expires_at: Timestamp;
  id: string;
  user_id: string | null;
}

export interface Shares {
  allowed_domains: string[] | null;
  created_at: Generated<Timestamp>;
  created_by: string;
  expires_at: Timestamp | null;
  id: string;
  is_enabled: Generated<boolean>;
  name: string;
  network_id: string;
  options: Generated<Json>;
  password_hash: string | null;
  topology_id: string;
  updated_at: Generated<Timestamp>;
}

export interface Subnets {
  cidr: string;
  created_at: Generated<Timestamp>;
  description: string | null;
  id: string;
  name: string;
  network_id: string;
  source: Json;
  subnet_type: string;
  updated_at: Generated<Timestamp>;
}

export interface Tags {
  color: string;
  created_at: Generated<Timestamp>;
  description: string | null;
  id: string;
  is_application: Generated<boolean>;
  name: string;
  organization_id: string;
  updated_at: Generated<Timestamp>;
}

export interface Topologies {
  bindings: Generated<Json>;
  created_at: Generated<Timestamp>;
  edge_ids: Generated<string[]>;
  edges: Generated<Json>;
  entity_tags: Generated<Json>;
  groups: Generated<Json>;
  hosts: Generated<Json>;
  id: string;
  if_entries: Generated<Json>;
  interfaces: Generated<Json>;
  is_locked: Generated<boolean>;
  is_stale: Generated<boolean>;
  last_action: string | null;
  last_refreshed: Generated<Timestamp>;
  locked_at: Timestamp | null;
  locked_by: string | null;
  name: string;
  network_id: string;
  node_ids: Generated<string[]>;
  nodes: Generated<Json>;
  options: Generated<Json>;
  parent_id: string | null;
  ports: Generated<Json>;
  removed_bindings: Generated<string[]>;
  removed_groups: Generated<string[]>;
  removed_hosts: Generated<string[]>;
  removed_if_entries: Generated<string[]>;
  removed_interfaces: Generated<string[]>;
  removed_ports: Generated<string[]>;
  removed_services: Generated<string[]>;
  removed_subnets: Generated<string[]>;
  services: Generated<Json>;
  subnets: Generated<Json>;
  tags: Generated<string[]>;
  updated_at: Generated<Timestamp>;
  view: Generated<string>;
}

export interface TopologyPlacements {
  element_id: string;
  kind: string;
  placement: Json;
  topology_id: string;
  updated_at: Generated<Timestamp>;
}

export interface UserApiKeyNetworkAccess {
  api_key_id: string;
  network_id: string;
}

export interface UserApiKeys {
  created_at: Generated<Timestamp>;
  expires_at: Timestamp | null;
  id: string;
  is_enabled: Generated<boolean>;
  key_hash: string;
  last_used: Timestamp | null;
  name: string;
  organization_id: string;
  permissions: Generated<string>;
  updated_at: Generated<Timestamp>;
  user_id: string;
}

export interface UserNetworkAccess {
  network_id: string;
  user_id: string;
}

export interface Users {
  created_at: Generated<Timestamp>;
  email: string;
  email_verified: Generated<boolean>;
  id: string;
  oidc_linked_at: Timestamp | null;
  oidc_provider: string | null;
  oidc_subject: string | null;
  organization_id: string;
  password_hash: string | null;
  pending_email: string | null;
  permissions: Generated<string>;
  terms_accepted_at: Timestamp | null;
  updated_at: Generated<Timestamp>;
}

export interface UserTokens {
  created_at: Generated<Timestamp>;
  expires_at: Timestamp;
  purpose: string;
  token_hash: string;
  user_id: string;
}

export interface DB {
  api_keys: ApiKeys;
  bindings: Bindings;
  daemons: Daemons;
  discovery: Discovery;
  discovery_sessions: DiscoverySessions;
  entity_tags: EntityTags;
  event_outbox: EventOutbox;
  group_bindings: GroupBindings;
  group_services: GroupServices;
  groups: Groups;
  hosts: Hosts;
  interfaces: Interfaces;
  invites: Invites;
  networks: Networks;
  organizations: Organizations;
  ports: Ports;
  server_poll_claims: ServerPollClaims;
  server_state: ServerState;
  services: Services;
  sessions: Sessions;
  shares: Shares;
  subnets: Subnets;
  tags: Tags;
  topologies: Topologies;
  topology_placements: TopologyPlacements;
  user_api_key_network_access: UserApiKeyNetworkAccess;
  user_api_keys: UserApiKeys;
  user_network_access: UserNetworkAccess;
  user_tokens: UserTokens;
  users: Users;
}
