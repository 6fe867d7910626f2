import { existsSync } from 'node:fs';
import type { TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { describe, expect, it } from 'vitest';
import * as c from './index.ts';
import * as f from './test-fixtures.ts';

const meta = { api_version: 1, server_version: '0.1.0' };

function expectBoth(ours: TSchema, referenceName: string, value: unknown) {
  expect(Value.Errors(ours, value), 'our schema').toEqual([]);
  expect(f.checkReference(referenceName, value), `reference schema ${referenceName}`).toBe(true);
}

describe('wire shapes match the reference OpenAPI document', () => {
  it('finds the reference document next to the checkout', () => {
    expect(existsSync(f.referencePath), `missing ${f.referencePath}`).toBe(true);
  });

  it('the reference check tells bad values apart (guards against a permissive validator)', () => {
    expect(f.checkReference('Port', { ...f.port(), protocol: 'Sctp' })).toBe(false);
    expect(f.checkReference('Network', { ...f.network(), id: undefined })).toBe(false);
  });

  const entities: [string, TSchema, string, () => unknown][] = [
    ['Organization without a plan', c.Organization, 'Organization', f.organization],
    [
      'Organization on the Community plan',
      c.Organization,
      'Organization',
      () => ({
        ...f.organization(),
        plan: { type: 'Community', base_cents: 0, rate: 'Month', trial_days: 0, included_seats: 1 },
        plan_status: 'active',
      }),
    ],
    ['User', c.User, 'User', f.user],
    ['Network', c.Network, 'Network', f.network],
    ['Host', c.Host, 'Host', f.host],
    ['HostResponse', c.HostResponse, 'HostResponse', f.hostResponse],
    ['Interface', c.Interface, 'Interface', f.iface],
    ['Port', c.Port, 'Port', f.port],
    ['Service', c.Service, 'Service', f.service],
    ['Interface binding', c.Binding, 'Binding', f.interfaceBinding],
    ['all-interfaces Port binding', c.Binding, 'Binding', f.portBinding],
    ['Subnet', c.Subnet, 'Subnet', f.subnet],
    ['Tag', c.Tag, 'Tag', f.tag],
    ['Daemon', c.Daemon, 'Daemon', f.daemon],
    ['DaemonResponse', c.DaemonResponse, 'DaemonResponse', f.daemonResponse],
    ['DaemonApiKey', c.DaemonApiKey, 'DaemonApiKey', f.daemonApiKey],
    ['UserApiKey', c.UserApiKey, 'UserApiKey', f.userApiKey],
    [
      'DaemonApiKeyResponse',
      c.DaemonApiKeyResponse,
      'DaemonApiKeyResponse',
      () => ({ api_key: f.daemonApiKey(), key: 'scp_d_0123456789abcdefABCDEF0123456789' }),
    ],
    [
      'UserApiKeyResponse',
      c.UserApiKeyResponse,
      'UserApiKeyResponse',
      () => ({ api_key: f.userApiKey(), key: 'scp_u_0123456789abcdefABCDEF0123456789' }),
    ],
    [
      'PublicConfigResponse',
      c.PublicConfigResponse,
      'PublicConfigResponse',
      () => ({
        server_port: 60072,
        disable_registration: false,
        oidc_providers: [],
        billing_enabled: false,
        has_integrated_daemon: true,
        has_email_service: false,
        has_email_opt_in: false,
        public_url: 'http://localhost:60072',
        needs_cookie_consent: false,
        deployment_type: 'community',
        needs_setup: true,
      }),
    ],
    ['SetupResponse', c.SetupResponse, 'SetupResponse', () => ({ network_id: f.ids.network })],
    ['VersionInfo', c.VersionInfo, 'VersionInfo', () => ({ api_version: 1, server_version: '0.1.0' })],
    [
      'ServerCapabilities',
      c.ServerCapabilities,
      'ServerCapabilities',
      () => ({ server_version: '0.1.0', minimum_daemon_version: '0.12.0', deprecation_warnings: [] }),
    ],
    [
      'DaemonRegistrationResponse',
      c.DaemonRegistrationResponse,
      'DaemonRegistrationResponse',
      () => ({
        daemon: f.daemon(),
        host_id: f.ids.host,
        server_capabilities: {
          server_version: '0.1.0',
          minimum_daemon_version: '0.12.0',
          deprecation_warnings: [],
        },
      }),
    ],
    [
      'BulkDeleteResponse',
      c.BulkDeleteResponse,
      'BulkDeleteResponse',
      () => ({ deleted_count: 1, requested_count: 2 }),
    ],
    ['AdHoc Discovery', c.Discovery, 'Discovery', () => f.discovery()],
    ['Scheduled Discovery', c.Discovery, 'Discovery', () => f.discovery(f.scheduledRun())],
    [
      'Historical Discovery',
      c.Discovery,
      'Discovery',
      () => f.discovery({ type: 'Historical', results: f.session() }),
    ],
    ['Group', c.Group, 'Group', f.group],
    ['Topology', c.Topology, 'Topology', f.topology],
    ['Share', c.Share, 'Share', f.share],
    [
      'PublicShareMetadata',
      c.PublicShareMetadata,
      'PublicShareMetadata',
      () => ({ id: f.ids.share, name: 'Wiki embed', options: f.share().options, requires_password: true }),
    ],
    ['Invite', c.Invite, 'Invite', f.invite],
    [
      'DashboardSummary',
      c.DashboardSummary,
      'DashboardSummary',
      () => ({
        networks: [
          {
            id: f.ids.network,
            name: 'Home',
            host_count: 12,
            service_count: 30,
            subnet_count: 2,
            daemon_count: 1,
          },
        ],
        daemons: [f.daemonResponse()],
        recent_discoveries: [f.discovery({ type: 'Historical', results: f.session() })],
        plan_usage: {
          host_count: 12,
          network_count: 1,
          seat_count: 3,
          host_limit: null,
          network_limit: null,
          seat_limit: null,
        },
      }),
    ],
    [
      'ProvisionDaemonResponse',
      c.ProvisionDaemonResponse,
      'ProvisionDaemonResponse',
      () => ({ daemon: { ...f.daemonResponse(), mode: 'server_poll' }, daemon_api_key: 'scp_d_0123456789' }),
    ],
    [
      'RegisterDaemonResponse',
      c.RegisterDaemonResponse,
      'DaemonRegistrationResponse',
      () => ({
        daemon: f.daemon(),
        host_id: f.ids.host,
        server_capabilities: { server_version: '0.1.0', minimum_daemon_version: '0.12.0' },
      }),
    ],
    [
      'VersionResponse',
      c.VersionResponse,
      'VersionInfo',
      () => ({ api_version: 1, server_version: '0.1.0' }),
    ],
    [
      'PublicConfig',
      c.PublicConfig,
      'PublicConfigResponse',
      () => ({
        server_port: 60072,
        disable_registration: false,
        oidc_providers: [{ name: 'Authentik', slug: 'authentik' }],
        billing_enabled: false,
        has_integrated_daemon: true,
        has_email_service: true,
        has_email_opt_in: false,
        public_url: 'https://scanopy.example.com',
        needs_cookie_consent: false,
        deployment_type: 'community',
        needs_setup: false,
      }),
    ],
    ['BulkTagResponse', c.BulkTagResponse, 'BulkTagResponse', () => ({ affected_count: 3 })],
    [
      'MetadataResponse',
      c.MetadataResponse,
      'MetadataRegistry',
      () => ({
        service_definitions: [],
        subnet_types: [
          {
            id: 'Lan',
            name: 'LAN',
            description: null,
            category: null,
            icon: 'network',
            color: 'Blue',
            metadata: {},
          },
        ],
        edge_types: [],
        group_types: [],
        entities: [{ id: 'Host', color: 'Blue', icon: 'server' }],
        ports: [],
        discovery_types: [],
        billing_plans: [],
        features: [],
        permissions: [],
        concepts: [],
        service_categories: [],
      }),
    ],
  ];

  it.each(entities)('%s', (_label, ours, referenceName, build) => {
    expectBoth(ours, referenceName, build());
  });

  const discoveryTypes: [string, c.DiscoveryType][] = [
    ['SelfReport', { type: 'SelfReport', host_id: f.ids.host }],
    ['Docker', { type: 'Docker', host_id: f.ids.host, host_naming_fallback: 'BestService' }],
    [
      'Network',
      {
        type: 'Network',
        subnet_ids: null,
        host_naming_fallback: 'Ip',
        snmp_credentials: { default_credential: null, ip_overrides: [] },
        probe_raw_socket_ports: false,
      },
    ],
  ];

  it.each(discoveryTypes)('DiscoveryUpdatePayload for a %s session', (_label, discoveryType) => {
    expectBoth(c.DiscoveryUpdatePayload, 'DiscoveryUpdatePayload', {
      session_id: f.ids.session,
      daemon_id: f.ids.daemon,
      network_id: f.ids.network,
      phase: 'Scanning',
      discovery_type: discoveryType,
      progress: 40,
      error: null,
      started_at: '2026-01-02T03:04:05Z',
      finished_at: null,
    });
  });

  it('EntitySource in every variant', () => {
    const sources: c.EntitySource[] = [
      { type: 'Manual' },
      { type: 'System' },
      { type: 'Unknown' },
      {
        type: 'Discovery',
        metadata: [
          f.discoveryMetadata(),
          {
            type: 'Docker',
            host_id: f.ids.host,
            host_naming_fallback: 'Ip',
            daemon_id: f.ids.daemon,
            date: '2026-01-02T03:04:05Z',
          },
        ],
      },
      {
        type: 'DiscoveryWithMatch',
        metadata: [],
        details: { confidence: 'NotApplicable', reason: { type: 'container', data: ['Nginx', []] } },
      },
    ];
    for (const source of sources) expectBoth(c.EntitySource, 'EntitySource', source);
  });

  it('request bodies sent by clients of the reference', () => {
    expectBoth(c.RegisterRequest, 'RegisterRequest', {
      email: 'owner@example.com',
      password: 'Secretpass1',
      terms_accepted: true,
    });
    expectBoth(c.LoginRequest, 'LoginRequest', { email: 'owner@example.com', password: 'Secretpass1' });
    expectBoth(c.SetupRequest, 'SetupRequest', {
      organization_name: 'Acme',
      network: { name: 'Office', snmp_enabled: false },
    });
    expectBoth(c.DaemonRegistrationRequest, 'DaemonRegistrationRequest', {
      daemon_id: f.ids.daemon,
      network_id: f.ids.network,
      name: 'scanner',
      mode: 'daemon_poll',
      capabilities: { has_docker_socket: true, interfaced_subnet_ids: [] },
      user_id: f.ids.user,
      version: '0.14.13',
      url: 'http://10.0.0.2:60073',
    });
    expectBoth(c.DaemonStartupRequest, 'DaemonStartupRequest', { daemon_version: '0.14.13' });
    expectBoth(c.DaemonStatusPayload, 'DaemonStatusPayload', {
      name: 'scanner',
      mode: 'daemon_poll',
      version: '0.14.13',
      url: null,
    });
    expectBoth(c.DaemonCapabilities, 'DaemonCapabilities', {
      has_docker_socket: false,
      interfaced_subnet_ids: [f.ids.subnet],
    });
    expectBoth(c.DiscoveryHostRequest, 'DiscoveryHostRequest', {
      host: { ...f.host(), source: { type: 'Discovery', metadata: [f.discoveryMetadata()] } },
      interfaces: [{ ...f.iface(), host_id: '00000000-0000-0000-0000-000000000000' }],
      ports: [f.port()],
      services: [f.service()],
    });
    expectBoth(c.CreateHostRequest, 'CreateHostRequest', {
      name: 'nas',
      network_id: f.ids.network,
      hostname: null,
      tags: [],
      interfaces: [{ id: f.ids.iface, subnet_id: f.ids.subnet, ip_address: '192.168.1.20' }],
      ports: [{ id: f.ids.port, number: 445, protocol: 'Tcp' }],
      services: [
        {
          id: f.ids.service,
          name: 'Samba',
          service_definition: 'Samba',
          bindings: [{ id: f.ids.binding, type: 'Port', port_id: f.ids.port, interface_id: f.ids.iface }],
        },
      ],
    });
    expectBoth(c.UpdateHostRequest, 'UpdateHostRequest', {
      id: f.ids.host,
      name: 'nas',
      hidden: false,
      tags: [],
      expected_updated_at: '2026-01-02T03:04:05.678Z',
      interfaces: null,
    });
    expectBoth(c.CreateServiceRequest, 'CreateServiceRequest', {
      host_id: f.ids.host,
      network_id: f.ids.network,
      name: 'SSH',
      service_definition: 'Ssh',
      tags: [],
      bindings: [{ type: 'Interface', interface_id: f.ids.iface }],
    });
  });

  it('request bodies of the auth, invite, tag, provisioning and share routes', () => {
    for (const schema of [c.CheckEmailRequest, c.ForgotPasswordRequest, c.ResendVerificationRequest]) {
      expect(schema).toBe(c.CheckEmailRequest);
    }
    expectBoth(c.CheckEmailRequest, 'CheckEmailRequest', { email: 'owner@example.com' });
    expectBoth(c.ForgotPasswordRequest, 'ForgotPasswordRequest', { email: 'owner@example.com' });
    expectBoth(c.ResendVerificationRequest, 'ResendVerificationRequest', { email: 'owner@example.com' });
    expectBoth(c.VerifyEmailRequest, 'VerifyEmailRequest', { token: 'abc' });
    expectBoth(c.ResetPasswordRequest, 'ResetPasswordRequest', { token: 'abc', password: 'Secretpass12' });
    expectBoth(c.UpdatePasswordRequest, 'UpdatePasswordRequest', {
      current_password: null,
      new_password: 'Secretpass12',
    });
    expectBoth(c.RequestEmailChangeRequest, 'RequestEmailChangeRequest', {
      current_password: 'Secretpass1',
      new_email: 'new@example.com',
    });
    expectBoth(c.CreateInviteRequest, 'CreateInviteRequest', {
      permissions: 'Viewer',
      network_ids: [f.ids.network],
      send_to: null,
      expiration_hours: 24,
    });
    expectBoth(c.SetTagsRequest, 'SetTagsRequest', {
      entity_id: f.ids.host,
      entity_type: 'Host',
      tag_ids: [f.ids.tag],
    });
    expectBoth(c.BulkTagRequest, 'BulkTagRequest', {
      entity_ids: [f.ids.host],
      entity_type: 'Host',
      tag_id: f.ids.tag,
    });
    expectBoth(c.ProvisionDaemonRequest, 'ProvisionDaemonRequest', {
      name: 'remote scanner',
      network_id: f.ids.network,
      url: 'http://10.0.0.5:60073',
    });
    expectBoth(c.CreateUpdateShareRequest, 'CreateUpdateShareRequest', { share: f.share(), password: null });
  });

  const echoedMovedEntities: [string, TSchema, string, () => unknown][] = [
    ['Discovery', c.DiscoveryRequest, 'Discovery', () => f.discovery(f.scheduledRun())],
    ['Group', c.GroupRequest, 'Group', f.group],
    ['Topology', c.TopologyRequest, 'Topology', f.topology],
    ['User', c.UpdateUserRequest, 'User', f.user],
  ];

  it.each(echoedMovedEntities)(
    'a whole %s is accepted by its route body',
    (_label, ours, referenceName, build) => {
      expectBoth(ours, referenceName, build());
    },
  );

  it.each([
    [
      'RunType',
      c.RunType,
      'RunType',
      [f.scheduledRun(), { type: 'AdHoc' }, { type: 'Historical', results: f.session() }],
    ],
  ] as const)('%s in every variant', (_label, ours, referenceName, values) => {
    for (const value of values) expectBoth(ours, referenceName, value);
  });

  const enums: [string, { enum: readonly unknown[] }, string][] = [
    ['GroupType', c.GroupType, 'GroupType'],
    ['EdgeStyle', c.EdgeStyle, 'EdgeStyle'],
    ['EdgeType', c.EdgeType, 'EdgeTypeDiscriminants'],
    ['ServiceCategory', c.ServiceCategory, 'ServiceCategory'],
  ];

  it.each(enums)('%s has the reference values in the reference order', (_label, ours, referenceName) => {
    expect(ours.enum).toEqual(f.referenceEnum(referenceName));
  });

  it('TaggableEntityType is a subset of the reference entity types', () => {
    const reference = f.referenceEnum('EntityDiscriminants');
    for (const type of c.TAGGABLE_ENTITY_TYPES) expect(reference).toContain(type);
  });

  // The reference's create/update bodies are whole entities; reference clients echo read-only fields.
  const echoedEntities: [string, TSchema, string, () => unknown][] = [
    ['Network', c.CreateNetworkRequest, 'Network', f.network],
    ['Subnet', c.CreateSubnetRequest, 'Subnet', f.subnet],
    ['Tag', c.CreateTagRequest, 'Tag', f.tag],
    ['Interface', c.CreateInterfaceRequest, 'Interface', f.iface],
    ['Port', c.CreatePortRequest, 'Port', f.port],
    ['Binding', c.CreateBindingRequest, 'Binding', f.portBinding],
    ['Service', c.UpdateServiceRequest, 'Service', f.service],
    ['DaemonApiKey', c.CreateDaemonApiKeyRequest, 'DaemonApiKey', f.daemonApiKey],
    ['UserApiKey', c.CreateUserApiKeyRequest, 'UserApiKey', f.userApiKey],
  ];

  it.each(echoedEntities)(
    'a whole %s is accepted as a create/update body',
    (_label, ours, referenceName, build) => {
      expectBoth(ours, referenceName, build());
    },
  );

  it('envelopes', () => {
    expectBoth(c.ApiResponse(c.Network), 'ApiResponse_Network', { success: true, data: f.network(), meta });
    expectBoth(c.PaginatedResponse(c.HostResponse), 'PaginatedApiResponse_HostResponse', {
      success: true,
      data: [f.hostResponse()],
      meta: { ...meta, pagination: { total_count: 1, limit: 50, offset: 0, has_more: false } },
    });
    expectBoth(c.NullResponse, 'ApiResponse', { success: true, data: null, meta });
    expectBoth(c.ApiErrorResponse, 'ApiErrorResponse', {
      success: false,
      error: 'Host not found',
      code: 'entity_not_found',
      params: { entity: 'Host' },
      meta,
    });
  });
});
