import type { TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { serviceCategoryIds } from '@scanopy/detection';
import * as c from './index.ts';
import * as f from './test-fixtures.ts';

const validBodies: [string, TSchema, () => Record<string, unknown>][] = [
  ['CreateNetworkRequest', c.CreateNetworkRequest, () => ({ name: 'Lab' })],
  ['CreateHostRequest', c.CreateHostRequest, () => ({ name: 'nas', network_id: f.ids.network, tags: [] })],
  [
    'UpdateHostRequest',
    c.UpdateHostRequest,
    () => ({ id: f.ids.host, name: 'nas', hidden: false, tags: [] }),
  ],
  [
    'CreateInterfaceRequest',
    c.CreateInterfaceRequest,
    () => ({
      host_id: f.ids.host,
      subnet_id: f.ids.subnet,
      network_id: f.ids.network,
      ip_address: '10.0.0.1',
    }),
  ],
  [
    'CreatePortRequest',
    c.CreatePortRequest,
    () => ({ host_id: f.ids.host, network_id: f.ids.network, number: 80, protocol: 'Tcp' }),
  ],
  [
    'CreateServiceRequest',
    c.CreateServiceRequest,
    () => ({
      host_id: f.ids.host,
      network_id: f.ids.network,
      name: 'Web',
      service_definition: 'Nginx',
      tags: [],
    }),
  ],
  [
    'CreateSubnetRequest',
    c.CreateSubnetRequest,
    () => ({ network_id: f.ids.network, cidr: '10.0.0.0/24', name: 'LAN', subnet_type: 'Lan' }),
  ],
  ['CreateTagRequest', c.CreateTagRequest, () => ({ name: 'prod', color: 'Blue' })],
  [
    'CreateDaemonApiKeyRequest',
    c.CreateDaemonApiKeyRequest,
    () => ({ name: 'scanner', network_id: f.ids.network }),
  ],
  [
    'CreateUserApiKeyRequest',
    c.CreateUserApiKeyRequest,
    () => ({ name: 'ci', permissions: 'Member', network_ids: [f.ids.network] }),
  ],
  ['RegisterRequest', c.RegisterRequest, () => ({ email: 'a@example.com', password: 'Secretpass1' })],
  ['LoginRequest', c.LoginRequest, () => ({ email: 'a@example.com', password: 'x' })],
  ['SetupRequest', c.SetupRequest, () => ({ organization_name: 'Acme', network: { name: 'Office' } })],
  [
    'DaemonRegistrationRequest',
    c.DaemonRegistrationRequest,
    () => ({
      daemon_id: f.ids.daemon,
      network_id: f.ids.network,
      name: 'scanner',
      mode: 'daemon_poll',
      capabilities: { has_docker_socket: false, interfaced_subnet_ids: [] },
      user_id: null,
    }),
  ],
  ['DaemonStartupRequest', c.DaemonStartupRequest, () => ({ daemon_version: '0.1.0' })],
  ['DaemonStatusPayload', c.DaemonStatusPayload, () => ({ name: 'scanner', mode: 'daemon_poll' })],
  [
    'DiscoveryUpdatePayload',
    c.DiscoveryUpdatePayload,
    () => ({
      session_id: f.ids.session,
      daemon_id: f.ids.daemon,
      network_id: f.ids.network,
      phase: 'Started',
      discovery_type: { type: 'SelfReport', host_id: f.ids.host },
      progress: 0,
    }),
  ],
  [
    'DiscoveryHostRequest',
    c.DiscoveryHostRequest,
    () => ({ host: f.host(), interfaces: [], ports: [], services: [] }),
  ],
  // The bodies the server's routes validate.
  ['CreateNetworkBody', c.CreateNetworkBody, () => ({ name: 'Lab' })],
  [
    'CreateSubnetBody',
    c.CreateSubnetBody,
    () => ({ network_id: f.ids.network, cidr: '10.0.0.0/24', name: 'LAN', subnet_type: 'Lan' }),
  ],
  ['UpdateSubnetBody', c.UpdateSubnetBody, () => ({ cidr: '10.0.0.0/24', name: 'LAN', subnet_type: 'Lan' })],
  [
    'CreateDaemonApiKeyBody',
    c.CreateDaemonApiKeyBody,
    () => ({ name: 'scanner', network_id: f.ids.network }),
  ],
  ['UpdateDaemonApiKeyBody', c.UpdateDaemonApiKeyBody, () => ({ name: 'scanner', is_enabled: false })],
  ['CreateUserApiKeyBody', c.CreateUserApiKeyBody, () => ({ name: 'ci', permissions: 'Member' })],
  [
    'DiscoveryRequest',
    c.DiscoveryRequest,
    () => ({
      name: 'Self report',
      network_id: f.ids.network,
      daemon_id: f.ids.daemon,
      discovery_type: { type: 'SelfReport', host_id: f.ids.host },
      run_type: { type: 'AdHoc' },
    }),
  ],
  [
    'GroupRequest',
    c.GroupRequest,
    () => ({ network_id: f.ids.network, name: 'Web', group_type: 'RequestPath', color: 'Blue' }),
  ],
  ['TopologyRequest', c.TopologyRequest, () => ({ network_id: f.ids.network, name: 'Office' })],
  [
    'CreateUpdateShareRequest',
    c.CreateUpdateShareRequest,
    () => ({ share: { topology_id: f.ids.topology, network_id: f.ids.network, name: 'Embed' } }),
  ],
  ['ShareTopologyRequest', c.ShareTopologyRequest, () => ({ password: 'hunter2' })],
  [
    'CreateInviteRequest',
    c.CreateInviteRequest,
    () => ({ permissions: 'Viewer', network_ids: [f.ids.network] }),
  ],
  ['SetTagsRequest', c.SetTagsRequest, () => ({ entity_id: f.ids.host, entity_type: 'Host', tag_ids: [] })],
  [
    'BulkTagRequest',
    c.BulkTagRequest,
    () => ({ entity_ids: [f.ids.host], entity_type: 'Host', tag_id: f.ids.tag }),
  ],
  ['UpdateUserRequest', c.UpdateUserRequest, () => ({ id: f.ids.user, email: 'owner@example.com' })],
  [
    'AdminUpdateUserRequest',
    c.AdminUpdateUserRequest,
    () => ({ permissions: 'Member', network_ids: [f.ids.network] }),
  ],
  [
    'ProvisionDaemonRequest',
    c.ProvisionDaemonRequest,
    () => ({ name: 'remote', network_id: f.ids.network, url: 'http://10.0.0.5:60073' }),
  ],
  ['ScanEstimateRequest', c.ScanEstimateRequest, () => ({ network_id: f.ids.network, subnet_ids: null })],
  ['CheckEmailRequest', c.CheckEmailRequest, () => ({ email: 'a@example.com' })],
  ['VerifyEmailRequest', c.VerifyEmailRequest, () => ({ token: 'abc' })],
  ['ResetPasswordRequest', c.ResetPasswordRequest, () => ({ token: 'abc', password: 'Secretpass12' })],
  ['RequestEmailChangeRequest', c.RequestEmailChangeRequest, () => ({ new_email: 'b@example.com' })],
  ['UpdatePasswordRequest', c.UpdatePasswordRequest, () => ({ new_password: 'Secretpass12' })],
];

describe('request bodies', () => {
  it.each(validBodies)('%s accepts a minimal body', (_name, schema, build) => {
    expect(Value.Errors(schema, build())).toEqual([]);
  });

  // The reference (serde) ignores fields it does not know, and clients send read-only fields back (GET → PUT).
  it.each(validBodies)('%s accepts an unknown property, which Value.Clean drops', (_name, schema, build) => {
    const body = { ...build(), surprise: true };
    expect(Value.Check(schema, body)).toBe(true);
    expect(Value.Clean(schema, structuredClone(body))).toEqual(build());
  });

  const badEnums: [string, TSchema, () => Record<string, unknown>][] = [
    [
      'subnet_type',
      c.CreateSubnetRequest,
      () => ({ ...validBody('CreateSubnetRequest'), subnet_type: 'Bogus' }),
    ],
    ['protocol', c.CreatePortRequest, () => ({ ...validBody('CreatePortRequest'), protocol: 'Sctp' })],
    ['port type', c.CreatePortRequest, () => ({ ...validBody('CreatePortRequest'), type: 'Gopher' })],
    ['color', c.CreateTagRequest, () => ({ ...validBody('CreateTagRequest'), color: 'Magenta' })],
    [
      'permissions',
      c.CreateUserApiKeyRequest,
      () => ({ ...validBody('CreateUserApiKeyRequest'), permissions: 'God' }),
    ],
    ['mode alias', c.DaemonStatusPayload, () => ({ ...validBody('DaemonStatusPayload'), mode: 'Push' })],
    ['phase', c.DiscoveryUpdatePayload, () => ({ ...validBody('DiscoveryUpdatePayload'), phase: 'Done' })],
    [
      'binding type',
      c.CreateServiceRequest,
      () => ({
        ...validBody('CreateServiceRequest'),
        bindings: [{ type: 'Socket', interface_id: f.ids.iface }],
      }),
    ],
  ];

  it.each(badEnums)('rejects an unknown %s', (_label, schema, build) => {
    expect(Value.Check(schema, build())).toBe(false);
  });

  it('accepts unknown properties in nested host children and drops them on Clean', () => {
    const child = { id: f.ids.iface, subnet_id: f.ids.subnet, ip_address: '10.0.0.2' };
    const body = { ...validBody('CreateHostRequest'), interfaces: [{ ...child, host_id: f.ids.host }] };
    expect(Value.Check(c.CreateHostRequest, body)).toBe(true);
    const cleaned = Value.Clean(c.CreateHostRequest, structuredClone(body)) as { interfaces: unknown[] };
    expect(cleaned.interfaces[0]).toEqual(child);
    // A field we read is still checked strictly inside a child.
    const bad = { ...validBody('CreateHostRequest'), interfaces: [{ ...child, subnet_id: 42 }] };
    expect(Value.Check(c.CreateHostRequest, bad)).toBe(false);
  });

  it('enforces the reference length limits', () => {
    const long = (n: number) => 'x'.repeat(n);
    expect(Value.Check(c.CreateNetworkRequest, { name: long(100) })).toBe(true);
    expect(Value.Check(c.CreateNetworkRequest, { name: long(101) })).toBe(false);
    expect(Value.Check(c.CreateTagRequest, { name: '', color: 'Blue' })).toBe(false);
    const host = validBody('CreateHostRequest');
    expect(Value.Check(c.CreateHostRequest, { ...host, hostname: long(101) })).toBe(false);
    expect(Value.Check(c.CreateHostRequest, { ...host, description: long(500) })).toBe(true);
    expect(Value.Check(c.CreateHostRequest, { ...host, description: long(501) })).toBe(false);
    expect(Value.Check(c.SetupRequest, { organization_name: long(101), network: { name: 'a' } })).toBe(false);
  });

  it('rejects out-of-range ports and progress', () => {
    expect(Value.Check(c.CreatePortRequest, { ...validBody('CreatePortRequest'), number: 65536 })).toBe(
      false,
    );
    expect(
      Value.Check(c.DiscoveryUpdatePayload, { ...validBody('DiscoveryUpdatePayload'), progress: 101 }),
    ).toBe(false);
  });

  it('takes a subnet CIDR only with its prefix length', () => {
    const body = validBody('CreateSubnetBody');
    expect(Value.Check(c.CreateSubnetBody, { ...body, cidr: 'fd00::/64' })).toBe(true);
    expect(Value.Check(c.CreateSubnetBody, { ...body, cidr: '10.0.0.0' })).toBe(false);
    expect(Value.Check(c.CreateSubnetBody, { ...body, cidr: 'lan/24' })).toBe(false);
  });

  it('takes only host names (with an optional port or leading wildcard) in a share allow-list', () => {
    for (const ok of ['example.com', '*.example.com', 'wiki.example.org:8443']) {
      expect(Value.Check(c.AllowedDomain, ok), ok).toBe(true);
    }
    for (const bad of ['', 'example.com; script-src *', 'https://example.com', 'a.*.example.com']) {
      expect(Value.Check(c.AllowedDomain, bad), bad).toBe(false);
    }
  });

  it('refuses unknown permissions, taggable types and run types in the route bodies', () => {
    expect(Value.Check(c.CreateUserApiKeyBody, { name: 'ci', permissions: 'God' })).toBe(false);
    expect(
      Value.Check(c.SetTagsRequest, { ...validBody('SetTagsRequest'), entity_type: 'Organization' }),
    ).toBe(false);
    expect(
      Value.Check(c.DiscoveryRequest, { ...validBody('DiscoveryRequest'), run_type: { type: 'Hourly' } }),
    ).toBe(false);
  });

  it('reads every valid host report as the ingestion sees it', () => {
    const request: c.DiscoveryHostRequest = {
      host: { ...f.host(), source: { type: 'Discovery', metadata: [f.discoveryMetadata()] } },
      interfaces: [{ ...f.iface(), host_id: '00000000-0000-0000-0000-000000000000' }],
      ports: [f.port()],
      services: [f.service()],
    };
    expect(Value.Errors(c.DiscoveryHostRequest, request)).toEqual([]);
    // The ingestion's type accepts the request's as is; the check below holds at run time too.
    const body: c.DiscoveryHostBody = request;
    expect(Value.Errors(c.DiscoveryHostBody, body)).toEqual([]);
  });

  it('requires an email address for login and registration', () => {
    expect(Value.Check(c.LoginRequest, { email: 'not-an-email', password: 'x' })).toBe(false);
  });
});

describe('list query', () => {
  it('tolerates unknown parameters like the reference does', () => {
    expect(Value.Check(c.ListQuery, { limit: 0, offset: 10, group_by: 'network_id' })).toBe(true);
  });

  it('rejects negative paging and unknown directions', () => {
    expect(Value.Check(c.ListQuery, { limit: -1 })).toBe(false);
    expect(Value.Check(c.ListQuery, { offset: -1 })).toBe(false);
    expect(Value.Check(c.ListQuery, { order_direction: 'up' })).toBe(false);
    expect(Value.Check(c.ListQuery, { ids: ['nope'] })).toBe(false);
  });

  it('defaults to 50 items from offset 0', () => {
    expect(Value.Default(c.ListQuery, {})).toEqual({ limit: 50, offset: 0 });
  });
});

describe('package surface', () => {
  it('lists named component schemas without $id so they can be nested freely', () => {
    for (const name of ['Host', 'HostResponse', 'ApiErrorResponse', 'DiscoveryUpdatePayload', 'ErrorCode']) {
      expect(c.componentSchemas[name], name).toBeDefined();
    }
    for (const schema of Object.values(c.componentSchemas)) expect(schema).not.toHaveProperty('$id');
  });

  it('lists the service categories @scanopy/detection checks its catalog against', () => {
    expect(c.SERVICE_CATEGORIES).toEqual(serviceCategoryIds);
  });

  it('knows our own error codes besides the reference ones', () => {
    for (const code of ['validation_failed', 'payload_too_large', 'route_not_found', 'internal_error']) {
      expect(Value.Check(c.ErrorCode, code)).toBe(true);
    }
    expect(Value.Check(c.ErrorCode, 'auth_daemon_key_not_created')).toBe(true);
  });
});

function validBody(name: string): Record<string, unknown> {
  const entry = validBodies.find(([n]) => n === name);
  if (!entry) throw new Error(`no valid body named ${name}`);
  return entry[2]();
}
