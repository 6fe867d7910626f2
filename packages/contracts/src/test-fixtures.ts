import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Schema from 'typebox/schema';
import type { Binding } from './entities/binding.ts';
import type { Daemon, DaemonResponse } from './entities/daemon.ts';
import type { Host, HostResponse } from './entities/host.ts';
import type { Interface } from './entities/interface.ts';
import type { Network } from './entities/network.ts';
import type { Port } from './entities/port.ts';
import type { Service } from './entities/service.ts';
import type { Subnet } from './entities/subnet.ts';
import type { Tag } from './entities/tag.ts';
import type { DaemonApiKey, UserApiKey } from './entities/api-key.ts';
import type { User } from './entities/user.ts';
import type { Organization } from './entities/organization.ts';
import type { DiscoveryMetadata } from './common.ts';
import type { Discovery, RunType } from './entities/discovery.ts';
import type { Group } from './entities/group.ts';
import type { Invite } from './entities/invite.ts';
import type { Share } from './entities/share.ts';
import type { Topology } from './entities/topology.ts';
import type { DiscoveryUpdatePayload } from './daemon-protocol.ts';

// The spec lives next to the repository checkout (../shared/spec), as in CI.
export const referencePath = fileURLToPath(
  new URL('../../../../shared/spec/reference-openapi-v1.json', import.meta.url),
);

let components: Record<string, unknown> | undefined;

function loadComponents(): Record<string, unknown> {
  if (components) return components;
  let text: string;
  try {
    text = readFileSync(referencePath, 'utf8');
  } catch {
    throw new Error(
      `Reference OpenAPI document not found at ${referencePath}; it is needed to check wire shapes.`,
    );
  }
  // OpenAPI 3.1 schemas are JSON Schema 2020-12; point component refs at $defs so a plain validator follows them.
  const rewritten = text.replaceAll('#/components/schemas/', '#/$defs/');
  components = (JSON.parse(rewritten) as { components: { schemas: Record<string, unknown> } }).components
    .schemas;
  return components;
}

const validators = new Map<string, ReturnType<typeof Schema.Compile>>();

/** Validates a value against a named schema of the reference OpenAPI document. */
export function checkReference(name: string, value: unknown): boolean {
  const defs = loadComponents();
  if (!(name in defs)) throw new Error(`Reference schema ${name} does not exist`);
  let validator = validators.get(name);
  if (!validator) {
    validator = Schema.Compile({ $defs: defs, $ref: `#/$defs/${name}` } as never);
    validators.set(name, validator);
  }
  return validator.Check(value);
}

/** The values of a named enum of the reference OpenAPI document. */
export function referenceEnum(name: string): unknown[] {
  const schema = loadComponents()[name] as { enum?: unknown[] } | undefined;
  if (!schema?.enum) throw new Error(`Reference schema ${name} is not an enum`);
  return schema.enum;
}

export const ids = {
  org: '0b7c6f0e-8f8e-4d8a-9a53-3f8c2b1f0a01',
  user: '1b7c6f0e-8f8e-4d8a-9a53-3f8c2b1f0a02',
  network: '2b7c6f0e-8f8e-4d8a-9a53-3f8c2b1f0a03',
  host: '3b7c6f0e-8f8e-4d8a-9a53-3f8c2b1f0a04',
  subnet: '4b7c6f0e-8f8e-4d8a-9a53-3f8c2b1f0a05',
  iface: '5b7c6f0e-8f8e-4d8a-9a53-3f8c2b1f0a06',
  port: '6b7c6f0e-8f8e-4d8a-9a53-3f8c2b1f0a07',
  service: '7b7c6f0e-8f8e-4d8a-9a53-3f8c2b1f0a08',
  binding: '8b7c6f0e-8f8e-4d8a-9a53-3f8c2b1f0a09',
  binding2: '8b7c6f0e-8f8e-4d8a-9a53-3f8c2b1f0a10',
  tag: '9b7c6f0e-8f8e-4d8a-9a53-3f8c2b1f0a11',
  daemon: 'ab7c6f0e-8f8e-4d8a-9a53-3f8c2b1f0a12',
  apiKey: 'bb7c6f0e-8f8e-4d8a-9a53-3f8c2b1f0a13',
  session: 'cb7c6f0e-8f8e-4d8a-9a53-3f8c2b1f0a14',
  discovery: 'db7c6f0e-8f8e-4d8a-9a53-3f8c2b1f0a15',
  group: 'eb7c6f0e-8f8e-4d8a-9a53-3f8c2b1f0a16',
  topology: 'fb7c6f0e-8f8e-4d8a-9a53-3f8c2b1f0a17',
  share: '0c7c6f0e-8f8e-4d8a-9a53-3f8c2b1f0a18',
  invite: '1c7c6f0e-8f8e-4d8a-9a53-3f8c2b1f0a19',
};

const stamps = { created_at: '2026-01-02T03:04:05.678Z', updated_at: '2026-01-02T03:04:05.678Z' };

export const discoveryMetadata = (): DiscoveryMetadata => ({
  type: 'SelfReport',
  host_id: ids.host,
  daemon_id: ids.daemon,
  date: '2026-01-02T03:04:05Z',
});

export const network = (): Network => ({
  id: ids.network,
  name: 'Home',
  organization_id: ids.org,
  tags: [],
  ...stamps,
});

export const subnet = (): Subnet => ({
  id: ids.subnet,
  network_id: ids.network,
  cidr: '192.168.1.0/24',
  name: '192.168.1.0/24',
  description: null,
  subnet_type: 'Lan',
  source: { type: 'Discovery', metadata: [discoveryMetadata()] },
  tags: [ids.tag],
  ...stamps,
});

export const tag = (): Tag => ({
  id: ids.tag,
  name: 'critical',
  description: null,
  is_application: false,
  color: 'Red',
  organization_id: ids.org,
  ...stamps,
});

export const iface = (): Interface => ({
  id: ids.iface,
  host_id: ids.host,
  subnet_id: ids.subnet,
  network_id: ids.network,
  ip_address: '192.168.1.10',
  mac_address: 'aa:bb:cc:dd:ee:ff',
  name: 'eth0',
  position: 0,
  ...stamps,
});

export const port = (): Port => ({
  id: ids.port,
  host_id: ids.host,
  network_id: ids.network,
  number: 22,
  protocol: 'Tcp',
  type: 'Ssh',
  ...stamps,
});

export const interfaceBinding = (): Binding => ({
  id: ids.binding,
  service_id: ids.service,
  network_id: ids.network,
  type: 'Interface',
  interface_id: ids.iface,
  ...stamps,
});

export const portBinding = (): Binding => ({
  id: ids.binding2,
  service_id: ids.service,
  network_id: ids.network,
  type: 'Port',
  port_id: ids.port,
  interface_id: null,
  ...stamps,
});

export const service = (): Service => ({
  id: ids.service,
  host_id: ids.host,
  network_id: ids.network,
  name: 'SSH',
  service_definition: 'Ssh',
  bindings: [interfaceBinding(), portBinding()],
  position: 0,
  source: {
    type: 'DiscoveryWithMatch',
    metadata: [discoveryMetadata()],
    details: { confidence: 'High', reason: { type: 'reason', data: 'Port 22/tcp is open' } },
  },
  virtualization: null,
  tags: [],
  ...stamps,
});

export const host = (): Host => ({
  id: ids.host,
  name: 'router',
  hostname: 'router.lan',
  description: null,
  network_id: ids.network,
  source: { type: 'Manual' },
  virtualization: null,
  hidden: false,
  tags: [],
  ...stamps,
});

export const hostResponse = (): HostResponse => ({
  ...host(),
  interfaces: [iface()],
  ip_addresses: [iface()],
  ports: [port()],
  services: [service()],
  if_entries: [],
});

export const daemon = (): Daemon => ({
  id: ids.daemon,
  network_id: ids.network,
  host_id: ids.host,
  user_id: ids.user,
  name: 'scanner',
  url: '',
  mode: 'daemon_poll',
  capabilities: { has_docker_socket: false, interfaced_subnet_ids: [ids.subnet] },
  last_seen: '2026-01-02T03:04:05Z',
  version: '0.14.13',
  api_key_id: ids.apiKey,
  is_unreachable: false,
  standby: false,
  tags: [],
  ...stamps,
});

export const daemonResponse = (): DaemonResponse => ({
  ...daemon(),
  version_status: {
    status: 'Outdated',
    version: '0.14.13',
    warnings: [{ message: 'Please upgrade', severity: 'Warning', sunset_date: null }],
  },
});

export const daemonApiKey = (): DaemonApiKey => ({
  id: ids.apiKey,
  key: '**********',
  name: 'scanner key',
  network_id: ids.network,
  last_used: null,
  expires_at: null,
  is_enabled: true,
  tags: [],
  ...stamps,
});

export const userApiKey = (): UserApiKey => ({
  id: ids.apiKey,
  key: '**********',
  name: 'automation',
  user_id: ids.user,
  organization_id: ids.org,
  permissions: 'Viewer',
  network_ids: [ids.network],
  last_used: '2026-01-02T03:04:05Z',
  expires_at: null,
  is_enabled: true,
  tags: [],
  ...stamps,
});

export const user = (): User => ({
  id: ids.user,
  email: 'owner@example.com',
  organization_id: ids.org,
  permissions: 'Owner',
  network_ids: [],
  email_verified: true,
  has_password: true,
  ...stamps,
});

export const organization = (): Organization => ({
  id: ids.org,
  name: 'My Organization',
  plan: null,
  plan_status: null,
  onboarding: ['OrgCreated'],
  has_payment_method: false,
  trial_end_date: null,
  ...stamps,
});

export const session = (): DiscoveryUpdatePayload => ({
  session_id: ids.session,
  daemon_id: ids.daemon,
  network_id: ids.network,
  phase: 'Complete',
  discovery_type: { type: 'SelfReport', host_id: ids.host },
  progress: 100,
  error: null,
  started_at: '2026-01-02T03:04:05Z',
  finished_at: '2026-01-02T03:05:05Z',
});

export const scheduledRun = (): RunType => ({
  type: 'Scheduled',
  cron_schedule: '0 3 * * *',
  enabled: true,
  last_run: null,
  timezone: 'Europe/Paris',
});

export const discovery = (runType: RunType = { type: 'AdHoc', last_run: null }): Discovery => ({
  id: ids.discovery,
  name: 'Network scan',
  network_id: ids.network,
  daemon_id: ids.daemon,
  discovery_type: {
    type: 'Network',
    subnet_ids: null,
    host_naming_fallback: 'BestService',
    scan_preset: 'polite',
  },
  run_type: runType,
  tags: [],
  ...stamps,
});

export const group = (): Group => ({
  id: ids.group,
  network_id: ids.network,
  name: 'Web path',
  description: null,
  group_type: 'RequestPath',
  color: 'Blue',
  edge_style: 'SmoothStep',
  source: { type: 'Manual' },
  binding_ids: [ids.binding, ids.binding2],
  tags: [],
  ...stamps,
});

export const topology = (): Topology => ({
  id: ids.topology,
  network_id: ids.network,
  name: 'Office',
  options: {
    local: {
      hide_edge_types: ['HostVirtualization'],
      hide_resize_handles: false,
      left_zone_title: 'Infrastructure',
      no_fade_edges: false,
      tag_filter: { hidden_host_tag_ids: [ids.tag] },
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
  nodes: [],
  edges: [],
  hosts: [host()],
  interfaces: [iface()],
  ports: [port()],
  bindings: [interfaceBinding()],
  subnets: [subnet()],
  services: [service()],
  groups: [group()],
  if_entries: [],
  entity_tags: [tag()],
  removed_hosts: [],
  removed_interfaces: [],
  removed_subnets: [],
  removed_services: [],
  removed_groups: [],
  removed_ports: [],
  removed_bindings: [],
  removed_if_entries: [],
  is_stale: false,
  last_refreshed: '2026-01-02T03:04:05Z',
  is_locked: false,
  locked_at: null,
  locked_by: null,
  parent_id: null,
  tags: [],
  ...stamps,
});

export const share = (): Share => ({
  id: ids.share,
  topology_id: ids.topology,
  network_id: ids.network,
  created_by: ids.user,
  name: 'Wiki embed',
  is_enabled: true,
  expires_at: null,
  allowed_domains: ['*.example.com', 'wiki.example.org:8443'],
  options: { show_inspect_panel: true, show_zoom_controls: true, show_export_button: false },
  ...stamps,
});

export const invite = (): Invite => ({
  id: ids.invite,
  organization_id: ids.org,
  permissions: 'Member',
  network_ids: [ids.network],
  url: 'https://scanopy.example.com',
  created_by: ids.user,
  expires_at: '2026-01-09T03:04:05Z',
  send_to: 'new@example.com',
  ...stamps,
});
