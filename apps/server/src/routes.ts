import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Services } from './services.ts';
import type { RouteApp, RoutePlugin } from './http/route-app.ts';
import { registerCrud, type EntityResource, type OperationNames } from './http/crud.ts';
import { systemRoutes } from './entities/system/system.routes.ts';
import { metadataRoutes } from './entities/metadata/metadata.routes.ts';
import { authRoutes } from './auth/auth.routes.ts';
import { oidcRoutes } from './auth/oidc.routes.ts';
import {
  daemonProtocolRoutes,
  hostReportRoutes,
  sessionReportRoutes,
} from './daemons/daemon-protocol.routes.ts';
import { sessionRoutes } from './discovery/sessions.routes.ts';
import { estimateRoutes } from './discovery/estimate.routes.ts';
import { daemonProvisionRoutes, daemonResource } from './daemons/daemon-provision.routes.ts';
import { networkResource, networkRoutes } from './entities/networks/networks.routes.ts';
import { subnetResource, subnetRoutes } from './entities/subnets/subnets.routes.ts';
import {
  apiKeyRoutes,
  daemonApiKeyResource,
  userApiKeyResource,
} from './entities/api-keys/api-keys.routes.ts';
import { hostResource, hostRoutes } from './entities/hosts/hosts.routes.ts';
import {
  bindingResource,
  hostChildRoutes,
  interfaceResource,
  portResource,
  serviceResource,
} from './entities/hosts/host-children.routes.ts';
import { hostExportRoutes } from './entities/hosts/hosts-export.routes.ts';
import { ipAddressResource, ipAddressRoutes } from './entities/hosts/ip-addresses.routes.ts';
import { hostConsolidateRoutes } from './entities/hosts/hosts-consolidate.routes.ts';
import { tagResource, tagRoutes } from './entities/tags/tags.routes.ts';
import { organizationRoutes } from './entities/organizations/organizations.routes.ts';
import { userRoutes } from './entities/users/users.routes.ts';
import { inviteRoutes } from './entities/invites/invites.routes.ts';
import { groupResource, groupRoutes } from './entities/groups/groups.routes.ts';
import { dependencyResource, dependencyRoutes } from './entities/groups/dependencies.routes.ts';
import { discoveryResource, jobRoutes } from './discovery/jobs.routes.ts';
import { dashboardRoutes } from './entities/dashboard/dashboard.routes.ts';
import { topologyResource, topologyRoutes } from './entities/topology/topology.routes.ts';
import { shareResource, shareRoutes } from './entities/shares/shares.routes.ts';

export interface RouteEntry {
  /** Absent for an entry that only adds aliases. */
  prefix?: string;
  plugin: RoutePlugin;
  /** Also served under this prefix, hidden from the OpenAPI document (the reference's unversioned aliases). */
  alias?: string;
}

type EntityKey = keyof Services['entities'];

const resources: Record<EntityKey, EntityResource> = {
  networks: networkResource,
  hosts: hostResource,
  interfaces: interfaceResource,
  ipAddresses: ipAddressResource,
  ports: portResource,
  services: serviceResource,
  bindings: bindingResource,
  subnets: subnetResource,
  tags: tagResource,
  daemons: daemonResource,
  daemonApiKeys: daemonApiKeyResource,
  userApiKeys: userApiKeyResource,
  groups: groupResource,
  dependencies: dependencyResource,
  discovery: discoveryResource,
  topologies: topologyResource,
  shares: shareResource,
};

/** The reference's operation ids of each entity's generic routes (clients name generated tools after them). */
const operationNames: Record<EntityKey, OperationNames> = {
  networks: { one: 'network', many: 'networks', list: 'list_networks' },
  hosts: { one: 'host', many: 'hosts', list: 'get_all_hosts' },
  interfaces: { one: 'interface', many: 'interfaces', list: 'list_interfaces' },
  // v0.17 operation ids (reference-0.17-operations.tsv).
  ipAddresses: { one: 'ip_address', many: 'ip_addresses', list: 'list_ip_addresses' },
  ports: { one: 'port', many: 'ports', list: 'list_ports' },
  services: { one: 'service', many: 'services', list: 'get_all_services' },
  bindings: { one: 'binding', many: 'bindings', list: 'list_bindings' },
  subnets: { one: 'subnet', many: 'subnets', list: 'list_subnets' },
  tags: { one: 'tag', many: 'tags', list: 'get_all_tags' },
  daemons: { one: 'daemon', many: 'daemons', list: 'get_daemons' },
  daemonApiKeys: { one: 'daemon_api_key', many: 'daemon_api_keys', list: 'list_daemon_api_keys' },
  userApiKeys: { one: 'user_api_key', many: 'user_api_keys', list: 'get_all_user_api_keys' },
  groups: { one: 'group', many: 'groups', list: 'get_all_groups' },
  dependencies: { one: 'dependency', many: 'dependencies', list: 'get_all_dependencies' },
  discovery: { one: 'discovery', many: 'discoveries', list: 'list_discoveries' },
  topologies: { one: 'topology', many: 'topologies', list: 'get_all_topologies' },
  shares: { one: 'share', many: 'shares', list: 'list_shares' },
};

/** List, get, delete, bulk-delete and CSV export of the given entities (entity-specific routes come first). */
function crudRoutes(keys: EntityKey[]) {
  return async (app: RouteApp, services: Services) => {
    for (const k of keys) registerCrud(app, resources[k], services.entities[k], operationNames[k]);
  };
}

/** Every route of the server, with its prefix, in registration order. */
export const routes: RouteEntry[] = [
  { prefix: '', plugin: systemRoutes },
  { prefix: '', plugin: metadataRoutes },
  { prefix: '/api/auth', plugin: authRoutes },
  { prefix: '/api/auth', plugin: oidcRoutes },
  // The daemon's two reports sit where the reference lists them, around the session routes.
  { prefix: '/api/v1', plugin: hostReportRoutes, alias: '/api' },
  { prefix: '/api/v1', plugin: sessionRoutes, alias: '/api' },
  { prefix: '/api/v1', plugin: sessionReportRoutes, alias: '/api' },
  { prefix: '/api/v1', plugin: estimateRoutes },
  { prefix: '/api/v1', plugin: daemonProvisionRoutes },
  { prefix: '/api/v1', plugin: networkRoutes },
  { prefix: '/api/v1', plugin: subnetRoutes, alias: '/api' },
  { prefix: '/api/v1', plugin: apiKeyRoutes },
  { prefix: '/api/v1', plugin: hostRoutes, alias: '/api' },
  { prefix: '/api/v1', plugin: hostChildRoutes, alias: '/api' },
  { prefix: '/api/v1', plugin: ipAddressRoutes },
  { prefix: '/api/v1', plugin: hostExportRoutes },
  { prefix: '/api/v1', plugin: tagRoutes },
  { prefix: '/api/v1', plugin: organizationRoutes },
  { prefix: '/api/v1', plugin: userRoutes },
  { prefix: '/api/v1', plugin: inviteRoutes },
  { prefix: '/api/v1', plugin: groupRoutes, alias: '/api' },
  { prefix: '/api/v1', plugin: dependencyRoutes },
  { prefix: '/api/v1', plugin: jobRoutes, alias: '/api' },
  { prefix: '/api/v1', plugin: hostConsolidateRoutes, alias: '/api' },
  { prefix: '/api/v1', plugin: dashboardRoutes },
  { prefix: '/api/v1', plugin: topologyRoutes },
  { prefix: '/api/v1', plugin: shareRoutes },
  { prefix: '/api/v1', plugin: crudRoutes(Object.keys(resources) as EntityKey[]) },
  { plugin: crudRoutes(['hosts', 'subnets', 'services', 'groups', 'discovery']), alias: '/api' },
  { prefix: '/api/daemons', plugin: daemonProtocolRoutes },
];

/** Registers every route: the /api/v1 ones first, then the hidden aliases. */
export async function registerRoutes(root: FastifyInstance, services: Services): Promise<void> {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  for (const r of routes) {
    if (r.prefix !== undefined) await app.register(r.plugin, { prefix: r.prefix, ...services });
  }
  await app.register(async (scoped) => {
    scoped.addHook('onRoute', (route) => {
      route.schema = { ...route.schema, hide: true };
    });
    for (const r of routes) {
      if (r.alias !== undefined) await scoped.register(r.plugin, { prefix: r.alias, ...services });
    }
  });
}
