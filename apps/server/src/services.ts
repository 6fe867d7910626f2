import type { FastifyBaseLogger } from 'fastify';
import type { ServerConfig } from './config.ts';
import type { Db } from './db/client.ts';
import { EventBus } from './events/bus.ts';
import { EventsRepository } from './events/events.repository.ts';
import { SystemRepository } from './entities/system/system.repository.ts';
import { SystemService } from './entities/system/system.service.ts';
import { DashboardRepository } from './entities/dashboard/dashboard.repository.ts';
import { DashboardService } from './entities/dashboard/dashboard.service.ts';
import { AccountService } from './auth/account.service.ts';
import { AuthRepository } from './auth/auth.repository.ts';
import { AuthService } from './auth/auth.service.ts';
import { EmailService } from './auth/email.service.ts';
import { OidcIdentitiesRepository } from './auth/oidc-identities.repository.ts';
import { OidcService } from './auth/oidc.service.ts';
import { oidcProviders } from './auth/oidc.settings.ts';
import { BrowserSessionsRepository } from './auth/sessions.repository.ts';
import { SessionStore } from './auth/sessions.ts';
import { UserTokensRepository } from './auth/user-tokens.repository.ts';
import { UsersRepository } from './entities/users/users.repository.ts';
import { UsersService } from './entities/users/users.service.ts';
import { OrganizationsRepository } from './entities/organizations/organizations.repository.ts';
import { OrganizationsService } from './entities/organizations/organizations.service.ts';
import { InvitesRepository } from './entities/invites/invites.repository.ts';
import { InvitesService } from './entities/invites/invites.service.ts';
import { SchedulesRepository } from './discovery/schedules.repository.ts';
import { SchedulesService } from './discovery/schedules.service.ts';
import { SessionsRepository } from './discovery/sessions.repository.ts';
import { SessionsService } from './discovery/sessions.service.ts';
import { discoverySpec, JobsRepository } from './discovery/jobs.repository.ts';
import { JobsService } from './discovery/jobs.service.ts';
import { EstimateRepository } from './discovery/estimate.repository.ts';
import { EstimateService } from './discovery/estimate.service.ts';
import { DiscoveryLoopRepository } from './discovery/discovery-loop.repository.ts';
import { daemonSpec, DaemonsRepository } from './daemons/daemons.repository.ts';
import { DaemonsService } from './daemons/daemons.service.ts';
import { daemonApiKeySpec, DaemonApiKeysRepository } from './daemons/daemon-api-keys.repository.ts';
import { DaemonApiKeysService } from './daemons/daemon-api-keys.service.ts';
import { IntegratedDaemon } from './daemons/integrated-daemon.ts';
import { SERVER_POLL_DEFAULTS, ServerPoller, type ServerPollOptions } from './daemons/server-poll.service.ts';
import { userApiKeySpec, UserApiKeysRepository } from './entities/api-keys/user-api-keys.repository.ts';
import { UserApiKeysService } from './entities/api-keys/user-api-keys.service.ts';
import { EntityService } from './http/crud.ts';
import { networkSpec, NetworksRepository } from './entities/networks/networks.repository.ts';
import { NetworksService } from './entities/networks/networks.service.ts';
import { tagSpec, TagsRepository } from './entities/tags/tags.repository.ts';
import { TagsService } from './entities/tags/tags.service.ts';
import { EntityTagsService } from './entities/tags/entity-tags.service.ts';
import { subnetSpec, SubnetsRepository } from './entities/subnets/subnets.repository.ts';
import { SubnetsService } from './entities/subnets/subnets.service.ts';
import {
  bindingSpec,
  hostSpec,
  HostsRepository,
  interfaceSpec,
  portSpec,
  serviceSpec,
} from './entities/hosts/hosts.repository.ts';
import { HostWrites } from './entities/hosts/host-writes.ts';
import { HostsService } from './entities/hosts/hosts.service.ts';
import { HostChildrenService } from './entities/hosts/host-children.service.ts';
import { IngestionService } from './entities/hosts/ingestion.service.ts';
import { dependencySpec, groupSpec, GroupsRepository } from './entities/groups/groups.repository.ts';
import { GroupsService } from './entities/groups/groups.service.ts';
import { topologySpec, TopologiesRepository } from './entities/topology/topology.repository.ts';
import { TopologyService } from './entities/topology/topology.service.ts';
import { shareSpec, SharesRepository } from './entities/shares/shares.repository.ts';
import { SharesService } from './entities/shares/shares.service.ts';

export interface ServiceDeps {
  config: ServerConfig;
  db: Db;
  log: FastifyBaseLogger;
  /** Shared with main.ts so background jobs publish on the same bus; a fresh one otherwise. */
  bus?: EventBus;
  /** server_poll timing (tests shorten the retries for loopback); the reference's schedule otherwise. */
  serverPoll?: Partial<ServerPollOptions>;
}

/**
 * The composition root: every service of the server is built here, once, and handed to the route plugins
 * (routes.ts) and background jobs (main.ts) that use it. A service's constructor takes only what it uses.
 */
export function createServices(deps: ServiceDeps) {
  const { config, db, log } = deps;
  const k = db.kysely;
  const bus = deps.bus ?? new EventBus();
  const sessions = new SessionStore(new BrowserSessionsRepository(k), config.sessionTtlHours * 3600_000);
  const email = new EmailService(config, log);
  const discoverySessions = new SessionsService(new SessionsRepository(k));
  const entities = {
    networks: new EntityService(k, networkSpec, 'Network'),
    hosts: new EntityService(k, hostSpec, 'Host'),
    interfaces: new EntityService(k, interfaceSpec, 'Interface'),
    /** v0.17 names of interfaces and groups, over the same rows. */
    ipAddresses: new EntityService(k, interfaceSpec, 'IP address'),
    dependencies: new EntityService(k, dependencySpec, 'Dependency'),
    ports: new EntityService(k, portSpec, 'Port'),
    services: new EntityService(k, serviceSpec, 'Service'),
    bindings: new EntityService(k, bindingSpec, 'Binding'),
    subnets: new EntityService(k, subnetSpec, 'Subnet'),
    tags: new EntityService(k, tagSpec, 'Tag'),
    daemons: new EntityService(k, daemonSpec, 'Daemon'),
    daemonApiKeys: new EntityService(k, daemonApiKeySpec, 'Daemon API Key'),
    userApiKeys: new EntityService(k, userApiKeySpec, 'User API Key'),
    groups: new EntityService(k, groupSpec, 'Group'),
    discovery: new EntityService(k, discoverySpec, 'Discovery'),
    topologies: new EntityService(k, topologySpec, 'Topology'),
    shares: new EntityService(k, shareSpec, 'Share'),
  };
  const tagsRepository = new TagsRepository(k);
  const entityTags = new EntityTagsService(tagsRepository);
  const jobs = new JobsService(new JobsRepository(k), entities, entityTags, discoverySessions);
  const daemonsRepository = new DaemonsRepository(k);
  const daemonApiKeys = new DaemonApiKeysService(
    new DaemonApiKeysRepository(k),
    entities.daemonApiKeys,
    entityTags,
  );
  /** Runs beside the server (main.ts starts it); registering the first account provisions it. */
  const integratedDaemon = config.integratedDaemon
    ? new IntegratedDaemon(config, daemonsRepository, daemonApiKeys, log)
    : undefined;
  const hostsRepository = new HostsRepository(k);
  const hostWrites = new HostWrites(hostsRepository, entities, entityTags);
  const usersRepository = new UsersRepository(k);
  const organizationsRepository = new OrganizationsRepository(k);
  const invitesRepository = new InvitesRepository(k);
  const networksRepository = new NetworksRepository(k);
  const oidcIdentities = new OidcIdentitiesRepository(k);
  const accounts = new AccountService(
    usersRepository,
    new UserTokensRepository(k),
    organizationsRepository,
    networksRepository,
    invitesRepository,
    oidcIdentities,
    sessions,
    email,
    { disableRegistration: config.disableRegistration, integratedDaemon },
  );
  const services = {
    config,
    db,
    bus,
    log,
    sessions,
    /** What event delivery reads back (events/events.plugin.ts). */
    eventLookups: new EventsRepository(k),
    auth: new AuthService(new AuthRepository(k), sessions),
    email,
    accounts,
    oidc: new OidcService(
      oidcIdentities,
      usersRepository,
      accounts,
      sessions,
      oidcProviders(config),
      config.publicUrl,
    ),
    users: new UsersService(usersRepository),
    organizations: new OrganizationsService(organizationsRepository, networksRepository),
    invites: new InvitesService(
      invitesRepository,
      usersRepository,
      organizationsRepository,
      sessions,
      email,
      config.publicUrl,
    ),
    discoverySessions,
    schedules: new SchedulesService(new SchedulesRepository(k), discoverySessions, log),
    jobs,
    estimates: new EstimateService(new EstimateRepository(k)),
    discoveryLoopState: new DiscoveryLoopRepository(k),
    daemons: new DaemonsService(daemonsRepository, entities.daemons, jobs, discoverySessions, daemonApiKeys),
    daemonApiKeys,
    userApiKeys: new UserApiKeysService(new UserApiKeysRepository(k), entities.userApiKeys, entityTags),
    integratedDaemon,
    hosts: new HostsService(hostWrites, entities.hosts),
    hostChildren: new HostChildrenService(hostWrites, entities),
    ingestion: new IngestionService(hostsRepository, entities.hosts),
    /** List, read, delete and export of every entity with generic routes. */
    entities,
    networks: new NetworksService(new NetworksRepository(k), entities.networks, entityTags),
    subnets: new SubnetsService(new SubnetsRepository(k), entities.subnets, entityTags),
    topologies: new TopologyService(new TopologiesRepository(k), entities.topologies, tagsRepository, {
      hosts: entities.hosts,
      interfaces: entities.interfaces,
      subnets: entities.subnets,
      services: entities.services,
      ports: entities.ports,
      bindings: entities.bindings,
      groups: entities.groups,
    }),
    shares: new SharesService(new SharesRepository(k), entities.shares, entities.topologies),
    system: new SystemService(new SystemRepository(k)),
    dashboard: new DashboardService(new DashboardRepository(k), entities.daemons, entities.discovery),
    groups: new GroupsService(new GroupsRepository(k), entities.groups, entityTags, entities.dependencies),
    tags: new TagsService(tagsRepository, entityTags, entities.tags, {
      Host: entities.hosts,
      Service: entities.services,
      Subnet: entities.subnets,
      Group: entities.groups,
      Network: entities.networks,
      Daemon: entities.daemons,
      DaemonApiKey: entities.daemonApiKeys,
      UserApiKey: entities.userApiKeys,
      Discovery: entities.discovery,
    }),
  };
  return {
    ...services,
    /** server_poll daemons: the discovery loop polls them; what they report goes to the services above. */
    serverPoll: new ServerPoller({
      daemons: daemonsRepository,
      auth: services.auth,
      sessions: discoverySessions,
      jobs,
      ingestion: services.ingestion,
      subnets: services.subnets,
      log,
      bodyLimitBytes: config.bodyLimitBytes,
      options: {
        ...SERVER_POLL_DEFAULTS,
        holdSeconds: config.schedulerIntervalSeconds / 2,
        ...deps.serverPoll,
      },
    }),
  };
}

export type Services = ReturnType<typeof createServices>;
