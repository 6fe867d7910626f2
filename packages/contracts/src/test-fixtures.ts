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
