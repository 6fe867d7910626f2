import type { FastifyInstance } from 'fastify';
import type { ServerConfig } from '../config.ts';
import type { Db } from '../db/client.ts';
import { EntityService, registerCrud, type EntityDef } from '../http/crud.ts';
import { daemonApiKeyDef, daemonDef, networkDef, subnetDef, tagDef, userApiKeyDef } from './defs.ts';
import { bindingDef, hostDef, interfaceDef, portDef, serviceDef } from './hosts/hosts.defs.ts';
import { networkRoutes } from './networks/networks.routes.ts';
import { subnetRoutes } from './subnets/subnets.routes.ts';
import { apiKeyRoutes } from './api-keys/api-keys.routes.ts';
import { entityWriteRoutes } from './entity-writes.routes.ts';
import { hostRoutes } from './hosts/hosts.routes.ts';
import { hostChildRoutes } from './hosts/host-children.routes.ts';
import { discoveryRoutes } from '../discovery/discovery.routes.ts';
import { estimateRoutes } from '../discovery/estimate.routes.ts';
import { daemonProvisionRoutes } from '../discovery/daemon-provision.routes.ts';
import { accountRoutes } from './users/accounts.routes.ts';
import { groupDef } from './groups/groups.defs.ts';
import { groupRoutes } from './groups/groups.routes.ts';
import { discoveryDef } from './discovery/discovery-config.defs.ts';
import { discoveryConfigRoutes } from './discovery/discovery-config.routes.ts';
import { hostConsolidateRoutes } from './hosts/hosts-consolidate.routes.ts';
import { dashboardRoutes } from './dashboard/dashboard.routes.ts';
import { topologyDef } from './topology/topology.defs.ts';
import { topologyRoutes } from './topology/topology.routes.ts';
import { shareDef } from './shares/shares.defs.ts';
import { shareRoutes } from './shares/shares.routes.ts';

interface Opts {
  db: Db;
  config: ServerConfig;
}

export const allEntityDefs: EntityDef[] = [
  networkDef,
  hostDef,
  interfaceDef,
  portDef,
  serviceDef,
  bindingDef,
  subnetDef,
  tagDef,
  daemonDef,
  daemonApiKeyDef,
  userApiKeyDef,
  groupDef,
  discoveryDef,
  topologyDef,
  shareDef,
];

/** Every /api/v1 entity route. Specific routes (e.g. /hosts/discovery) register before the generic /:id ones. */
export async function inventoryRoutes(app: FastifyInstance, opts: Opts) {
  const { db } = opts;
  await app.register(discoveryRoutes, { db });
  await app.register(estimateRoutes, { db });
  await app.register(daemonProvisionRoutes, { db });
  await app.register(networkRoutes, { db });
  await app.register(subnetRoutes, { db });
  await app.register(apiKeyRoutes, { db });
  await app.register(entityWriteRoutes, { db });
  await app.register(accountRoutes, { db, config: opts.config });
  await app.register(groupRoutes, { db });
  await app.register(discoveryConfigRoutes, { db });
  await app.register(hostConsolidateRoutes, { db });
  await app.register(dashboardRoutes, { db });
  await app.register(topologyRoutes, { db });
  await app.register(shareRoutes, { db });
  for (const def of allEntityDefs) registerCrud(app, new EntityService(db.kysely, def));
}

/** The reference's unversioned aliases for older daemons and scripts: /api/hosts, /api/subnets, /api/services,
 * /api/groups, /api/discovery. */
export async function legacyAliasRoutes(app: FastifyInstance, opts: Opts) {
  const { db } = opts;
  await app.register(async (scoped) => {
    // Aliases are the same handlers; the OpenAPI document lists only the /api/v1 paths.
    scoped.addHook('onRoute', (route) => {
      route.schema = { ...route.schema, hide: true };
    });
    await scoped.register(discoveryRoutes, { db });
    await scoped.register(subnetRoutes, { db });
    await scoped.register(hostRoutes, { db });
    await scoped.register(hostChildRoutes, { db });
    await scoped.register(hostConsolidateRoutes, { db });
    await scoped.register(groupRoutes, { db });
    await scoped.register(discoveryConfigRoutes, { db });
    for (const def of [hostDef, subnetDef, serviceDef, groupDef, discoveryDef] as EntityDef[])
      registerCrud(scoped, new EntityService(db.kysely, def));
  });
}
