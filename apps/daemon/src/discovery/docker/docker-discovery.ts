import { randomUUID } from 'node:crypto';
import type {
  Binding,
  DiscoveryHostRequest,
  DiscoveryMetadata,
  Host,
  Interface,
  Port,
  Service,
  Subnet,
  SubnetType,
} from '@scanopy/contracts';
import { normalizeMac } from '@scanopy/contracts';
import {
  catalogHttpEndpoints,
  isRawSocketPort,
  matchDetails,
  matchServices,
  portKey,
  type DockerContext,
  type HttpEndpoint,
  type HttpResponse,
  type PortRef,
  type ServiceMatch,
} from '@scanopy/detection';
import type { DiscoverySink } from '../../link/server-api.ts';
import type { BackoffPolicy } from '../../link/retry.ts';
import type {
  DockerClient,
  DockerContainerDetails,
  DockerContainerSummary,
  DockerNetworkInfo,
} from '../../platform/docker.ts';
import type { OwnAddress } from '../../platform/interfaces.ts';
import { formatCidr, parseCidr } from '../../platform/ipv4.ts';
import { runPool } from '../../probes/exchange.ts';
import { scanHttpEndpoints } from '../../probes/http.ts';
import { probeInContainer } from './docker-probe.ts';
import { NIL_UUID, newSubnet } from '../entities.ts';
import { ReliableSink } from '../reliable-sink.ts';
import type { DiscoveryRunner, SessionContext } from '../session-manager.ts';
import { deriveSubnets, longestMatch, type SubnetCandidate } from '../subnets.ts';

/** The service Docker discovery puts on the daemon's host; containers link to it (daemon.md §6). */
export const DOCKER_SERVICE = 'Docker';
/** In-container probes of one container running at once. */
const EXEC_CONCURRENCY = 4;

export interface DockerDiscoveryDeps {
  sink: DiscoverySink;
  /** A client for the configured socket or proxy, made when a session starts. */
  docker: () => DockerClient;
  /** This machine's IPv4 addresses, already narrowed by the `interfaces` setting. */
  listAddresses: () => OwnAddress[];
  /** The daemon's own IP (default-route interface), probed for host-network containers. */
  localIp: (addresses: readonly OwnAddress[]) => Promise<string | null>;
  hostname: () => string;
  /** `concurrent_scans`: containers processed at once. */
  concurrency: () => number;
  /** `accept_invalid_scan_certs` and `port_scan_batch_size` for probes of host-network containers. */
  httpProbe: () => { acceptInvalidCerts: boolean; batchSize: number };
  entityPolicy?: BackoffPolicy;
}

/** A subnet Docker discovery creates, before the server has assigned it an id. */
export interface PlannedSubnet {
  cidr: string;
  subnet_type: SubnetType;
  name: string;
  description: string | null;
}

/** Docker network drivers that carry container subnets (daemon.md §6); host, none and others carry none. */
const DRIVER_SUBNET_TYPES: Readonly<Record<string, SubnetType>> = {
  bridge: 'DockerBridge',
  overlay: 'DockerBridge',
  macvlan: 'MacVlan',
  ipvlan: 'IpVlan',
};

export function dockerSubnetType(driver: string | undefined): SubnetType | null {
  if (driver === undefined || !Object.hasOwn(DRIVER_SUBNET_TYPES, driver)) return null;
  return DRIVER_SUBNET_TYPES[driver];
}

/**
 * The subnets of a Docker discovery: the host's own, then each IPv4 IPAM subnet of a bridge, overlay,
 * macvlan or ipvlan network. A Docker subnet whose CIDR is also a host subnet is dropped, so the
 * host's type wins (the reference's fix for `br0` on Unraid). Also returns the IPAM gateways, the
 * session's gateway list (daemon.md §3.2).
 */
export function planDockerSubnets(
  hostSubnets: readonly SubnetCandidate[],
  networks: readonly DockerNetworkInfo[],
): { subnets: PlannedSubnet[]; gateways: string[] } {
  const subnets: PlannedSubnet[] = hostSubnets.map((s) => ({
    cidr: s.cidr,
    subnet_type: s.subnet_type,
    name: s.cidr,
    description: null,
  }));
  const seen = new Set(subnets.map((s) => s.cidr));
  const gateways = new Set<string>();
  for (const network of networks) {
    const type = dockerSubnetType(network.Driver);
    if (!type) continue;
    for (const config of network.IPAM?.Config ?? []) {
      const parsed = config.Subnet ? parseCidr(config.Subnet) : null;
      if (!parsed) continue; // IPv6 or malformed: the daemon reports IPv4 only
      if (config.Gateway && /^\d{1,3}(\.\d{1,3}){3}$/.test(config.Gateway)) gateways.add(config.Gateway);
      const cidr = formatCidr(parsed);
      if (seen.has(cidr)) continue;
      seen.add(cidr);
      subnets.push({
        cidr,
        subnet_type: type,
        name: network.Name,
        description: `Docker ${network.Driver} network ${network.Name}`,
      });
    }
  }
  return { subnets, gateways: [...gateways] };
}

type Protocol = PortRef['protocol'];

function protocolOf(type: string | undefined): Protocol | null {
  const t = (type ?? 'tcp').toLowerCase();
  return t === 'tcp' || t === 'udp' ? t : null;
}

/** A port published on the host: `hostIp` is 0.0.0.0 or :: for every address. */
export interface PublishedPort {
  hostIp: string;
  publicPort: number;
  privatePort: number;
  protocol: Protocol;
}

/** Private ports (summary ports and exposed ports) and published ports of one container. */
export function containerPorts(
  summary: DockerContainerSummary,
  details: DockerContainerDetails | null,
): { privatePorts: PortRef[]; published: PublishedPort[] } {
  const privatePorts = new Map<string, PortRef>();
  const add = (number: number, protocol: Protocol | null) => {
    if (!protocol || !Number.isInteger(number) || number <= 0 || number > 65535) return;
    privatePorts.set(`${number}/${protocol}`, { number, protocol });
  };
  for (const p of summary.Ports ?? []) add(p.PrivatePort, protocolOf(p.Type));
  for (const key of Object.keys(details?.Config?.ExposedPorts ?? {})) {
    const [number, proto] = key.split('/');
    add(Number(number), protocolOf(proto));
  }
  const published = new Map<string, PublishedPort>();
  for (const p of summary.Ports ?? []) {
    const protocol = protocolOf(p.Type);
    if (!protocol || !p.PublicPort) continue;
    // Docker lists a 0.0.0.0 publication a second time for [::]; both mean "every address".
    const hostIp = !p.IP || p.IP === '::' ? '0.0.0.0' : p.IP;
    const entry = { hostIp, publicPort: p.PublicPort, privatePort: p.PrivatePort, protocol };
    published.set(`${hostIp} ${p.PublicPort}/${protocol}`, entry);
  }
  return { privatePorts: [...privatePorts.values()], published: [...published.values()] };
}

/** Exposed ports of a container (`config.exposed_ports`), the only ports of a host-network container. */
export function exposedPorts(details: DockerContainerDetails): PortRef[] {
  return containerPorts({ Id: details.Id, Ports: [] }, details).privatePorts;
}

/** One of the daemon host's own interfaces, with the type of its subnet. */
export interface HostInterface {
  iface: Interface;
  subnetType: SubnetType;
}

/** A binding before entity ids: a Port binding names its port by `portKey`, an Interface binding has none. */
export interface PlannedBinding {
  port: PortRef | null;
  interfaceId: string;
}

const bindingKey = (b: PlannedBinding) => `${b.port ? portKey(b.port) : 'iface'} ${b.interfaceId}`;

/** Drops duplicates and the bare interface bindings of interfaces a port binding already covers. */
export function tidyBindings(bindings: readonly PlannedBinding[]): PlannedBinding[] {
  const unique = new Map<string, PlannedBinding>();
  for (const b of bindings) if (!unique.has(bindingKey(b))) unique.set(bindingKey(b), b);
  const withPorts = new Set([...unique.values()].filter((b) => b.port).map((b) => b.interfaceId));
  return [...unique.values()].filter((b) => b.port !== null || !withPorts.has(b.interfaceId));
}

/**
 * Bindings of a bridge-mode container's service (daemon.md §6): the service's ports and every
 * other container port on each container interface (an interface binding where no port is known);
 * each published port on the host interface it was published on, or, published on every address,
 * on every host interface that is not a Docker bridge (replacing that port's other bindings there).
 */
export function bridgeBindings(
  match: Pick<ServiceMatch, 'bindings'>,
  openPorts: readonly PortRef[],
  containerInterfaceIds: readonly string[],
  hostInterfaces: readonly { id: string; ip: string; subnetType: SubnetType }[],
  published: readonly PublishedPort[],
): PlannedBinding[] {
  let out: PlannedBinding[] = [];
  for (const interfaceId of containerInterfaceIds) {
    for (const b of match.bindings) out.push({ port: b.type === 'Port' ? b.port : null, interfaceId });
    for (const port of openPorts) out.push({ port, interfaceId });
  }
  for (const p of published) {
    const port: PortRef = { number: p.publicPort, protocol: p.protocol };
    if (p.hostIp === '0.0.0.0') {
      const targets = hostInterfaces.filter((h) => h.subnetType !== 'DockerBridge');
      const replaced = new Set(targets.map((h) => h.id));
      out = out.filter((b) => !(b.port && portKey(b.port) === portKey(port) && replaced.has(b.interfaceId)));
      for (const h of targets) out.push({ port, interfaceId: h.id });
    } else {
      for (const h of hostInterfaces.filter((i) => i.ip === p.hostIp)) out.push({ port, interfaceId: h.id });
    }
  }
  return tidyBindings(out);
}

interface SessionWorld {
  ctx: SessionContext;
  docker: DockerClient;
  host: () => Host;
  metadata: () => DiscoveryMetadata[];
  subnets: Map<string, Subnet>;
  hostInterfaces: HostInterface[];
  gateways: string[];
  dockerServiceId: string;
  localIp: string | null;
}

/**
 * Docker discovery (daemon.md §6): Docker's networks become subnets, the daemon's host gets the
 * "Docker" service, and each running container becomes a service on the daemon's host (containers
 * are never hosts of their own) with a Docker virtualization link, identified through HTTP probes run
 * inside the container. Every Docker call is bounded by a deadline and the session's AbortSignal.
 */
export class DockerDiscoveryRunner implements DiscoveryRunner {
  constructor(private readonly deps: DockerDiscoveryDeps) {}

  async run(ctx: SessionContext): Promise<void> {
    const discoveryType = ctx.discoveryType;
    if (discoveryType.type !== 'Docker') throw new Error('DockerDiscoveryRunner got a non-Docker session');
    const { signal, log } = ctx;
    const sink = new ReliableSink(this.deps.sink, { policy: this.deps.entityPolicy, log });
    const hostId = discoveryType.host_id;
    const now = () => new Date().toISOString();
    const metadata = (): DiscoveryMetadata[] => [{ ...discoveryType, daemon_id: ctx.daemonId, date: now() }];

    // Pre-step, before Started (daemon.md §3.2): connect to Docker and list what it runs.
    const docker = this.deps.docker();
    try {
      await docker.ping(signal);
    } catch (err) {
      if (signal.aborted) throw err;
      throw new Error(`Docker is not reachable: ${(err as Error).message}`);
    }
    const networks = await docker.networks(signal);
    const containers = await docker.containers(signal);
    log.info(
      { containers: containers.length, networks: networks.map((n) => `${n.Name} (${n.Driver ?? '?'})`) },
      'docker listed',
    );
    await ctx.started();

    const addresses = this.deps.listAddresses();
    const { subnets: hostSubnets, assigned } = deriveSubnets(addresses);
    const plan = planDockerSubnets(hostSubnets, networks);
    const subnets = await this.createSubnets(ctx, sink, plan.subnets, metadata);

    const hostInterfaces: HostInterface[] = [];
    for (const { address, cidr } of assigned) {
      const subnet = subnets.get(cidr);
      if (!subnet) continue;
      hostInterfaces.push({
        iface: this.interface(ctx, subnet.id, address.ip, address.mac, address.name, hostInterfaces.length),
        subnetType: subnet.subnet_type,
      });
    }
    const localIp = await this.deps.localIp(addresses);
    const hostname = this.deps.hostname();
    const host = (): Host => {
      const stamp = now();
      return {
        id: hostId,
        created_at: stamp,
        updated_at: stamp,
        name: hostname || localIp || hostInterfaces[0]?.iface.ip_address || 'scanopy-daemon',
        hostname: hostname || null,
        description: 'Scanopy daemon',
        network_id: ctx.networkId,
        source: { type: 'Discovery', metadata: metadata() },
        virtualization: null,
        hidden: false,
        tags: [],
      };
    };

    const dockerService = this.dockerService(ctx, hostId);
    const daemonHost = await sink.createHost(
      {
        host: host(),
        interfaces: hostInterfaces.map((h) => h.iface),
        ports: [],
        services: [dockerService],
      },
      signal,
    );
    const dockerServiceId =
      daemonHost.services.find((s) => s.service_definition === DOCKER_SERVICE)?.id ?? dockerService.id;
    log.info({ host_id: daemonHost.id, docker_service_id: dockerServiceId }, 'docker daemon service stored');

    const world: SessionWorld = {
      ctx,
      docker,
      host,
      metadata,
      subnets,
      hostInterfaces,
      gateways: plan.gateways,
      dockerServiceId,
      localIp,
    };
    const total = containers.length;
    let done = 0;
    let stored = 0;
    let firstFailure: string | null = null;
    await runPool(
      containers,
      { concurrency: Math.max(1, this.deps.concurrency()), signal },
      async (summary) => {
        try {
          const request = await this.containerReport(world, summary);
          if (request) {
            const result = await sink.createHost(request, signal);
            stored++;
            log.info(
              {
                container: request.services[0]?.virtualization?.details.container_name,
                services: request.services.map((s) => s.service_definition),
                host_id: result.id,
              },
              'container stored',
            );
          }
        } catch (err) {
          if (signal.aborted) return;
          firstFailure ??= (err as Error).message;
          log.warn(
            { container_id: summary.Id, err: (err as Error).message },
            'container could not be reported',
          );
        } finally {
          done++;
          if (!signal.aborted) await ctx.progress((done * 100) / total);
        }
      },
    );
    if (signal.aborted) return;
    if (total > 0 && stored === 0 && firstFailure !== null) {
      throw new Error(`no container could be reported: ${firstFailure}`);
    }
    log.info({ containers: total, stored }, 'docker discovery done');
  }

  /**
   * Every subnet is created (the server may answer with an existing one), each on its own; the first
   * failure (in plan order) fails the session once all have settled.
   */
  private async createSubnets(
    ctx: SessionContext,
    sink: ReliableSink,
    planned: readonly PlannedSubnet[],
    metadata: () => DiscoveryMetadata[],
  ): Promise<Map<string, Subnet>> {
    const results = await sink.createSubnets(
      planned.map((p) =>
        newSubnet({
          networkId: ctx.networkId,
          cidr: p.cidr,
          subnet_type: p.subnet_type,
          name: p.name,
          description: p.description,
          metadata: metadata(),
        }),
      ),
      ctx.signal,
    );
    const byCidr = new Map<string, Subnet>();
    for (const [i, result] of results.entries()) {
      if (result.status === 'rejected') throw result.reason;
      byCidr.set(planned[i].cidr, result.value);
    }
    return byCidr;
  }

  private interface(
    ctx: SessionContext,
    subnetId: string,
    ip: string,
    mac: string | null,
    name: string,
    position: number,
  ): Interface {
    const stamp = new Date().toISOString();
    return {
      id: randomUUID(),
      created_at: stamp,
      updated_at: stamp,
      host_id: NIL_UUID,
      subnet_id: subnetId,
      network_id: ctx.networkId,
      ip_address: ip,
      mac_address: mac,
      name,
      position,
    };
  }

  /** The "Docker" service of the daemon host: Certain, tagged as a self-report as in the reference. */
  private dockerService(ctx: SessionContext, hostId: string): Service {
    const stamp = new Date().toISOString();
    return {
      id: randomUUID(),
      created_at: stamp,
      updated_at: stamp,
      host_id: NIL_UUID,
      network_id: ctx.networkId,
      name: DOCKER_SERVICE,
      service_definition: DOCKER_SERVICE,
      bindings: [],
      position: 0,
      source: {
        type: 'DiscoveryWithMatch',
        metadata: [{ type: 'SelfReport', host_id: hostId, daemon_id: ctx.daemonId, date: stamp }],
        details: { confidence: 'Certain', reason: { type: 'reason', data: 'Docker daemon self-report' } },
      },
      virtualization: null,
      tags: [],
    };
  }

  private async containerReport(
    world: SessionWorld,
    summary: DockerContainerSummary,
  ): Promise<DiscoveryHostRequest | null> {
    const { ctx, docker } = world;
    const details = await docker.inspect(summary.Id, ctx.signal);
    const containerId = details.Id || summary.Id;
    const containerName = (details.Name ?? summary.Names?.[0] ?? containerId.slice(0, 12)).replace(/^\//, '');
    const mode = details.HostConfig?.NetworkMode ?? summary.HostConfig?.NetworkMode ?? 'default';
    const container: DockerContext = { containerId, containerName };
    const log = ctx.log.child({ container: containerName });
    if (mode === 'host') return this.hostModeReport(world, details, container, log);
    return this.bridgeReport(world, summary, details, container, log);
  }

  private async bridgeReport(
    world: SessionWorld,
    summary: DockerContainerSummary,
    details: DockerContainerDetails,
    container: DockerContext,
    log: SessionContext['log'],
  ): Promise<DiscoveryHostRequest | null> {
    const { ctx } = world;
    const subnetList = [...world.subnets.values()];
    const containerInterfaces: Interface[] = [];
    let subnetType: SubnetType | null = null;
    const endpoints = details.NetworkSettings?.Networks ?? summary.NetworkSettings?.Networks ?? {};
    for (const [networkName, ep] of Object.entries(endpoints)) {
      if (!ep.IPAddress) continue;
      const cidr = longestMatch(subnetList, ep.IPAddress);
      const subnet = cidr ? world.subnets.get(cidr) : undefined;
      if (!subnet) {
        log.debug({ ip: ep.IPAddress, network: networkName }, 'container address outside every subnet');
        continue;
      }
      subnetType ??= subnet.subnet_type;
      containerInterfaces.push(
        this.interface(
          ctx,
          subnet.id,
          ep.IPAddress,
          normalizeMac(ep.MacAddress),
          networkName,
          world.hostInterfaces.length + containerInterfaces.length,
        ),
      );
    }
    const { privatePorts, published } = containerPorts(summary, details);
    const tcp = new Set(privatePorts.filter((p) => p.protocol === 'tcp').map((p) => p.number));
    const responses = await this.probeInside(world, container.containerId ?? '', endpointsFor(tcp), log);
    if (ctx.signal.aborted) throw ctx.signal.reason;
    const result = matchServices({
      openPorts: privatePorts,
      httpResponses: responses,
      subnetType,
      isGateway: containerInterfaces.some((i) => world.gateways.includes(i.ip_address)),
      docker: container,
    });
    const match = result.services[0];
    if (!match) return null;
    const bindings = bridgeBindings(
      match,
      result.openPorts,
      containerInterfaces.map((i) => i.id),
      world.hostInterfaces.map((h) => ({ id: h.iface.id, ip: h.iface.ip_address, subnetType: h.subnetType })),
      published,
    );
    log.debug({ service: match.definition.name, responses: responses.length }, 'container matched');
    return this.request(
      world,
      [...containerInterfaces, ...world.hostInterfaces.map((h) => h.iface)],
      [{ match, bindings }],
      container,
    );
  }

  /**
   * A host-network container shares the daemon's interfaces: its exposed ports are probed over HTTP
   * on the daemon's own IP and matching runs once per host interface.
   */
  private async hostModeReport(
    world: SessionWorld,
    details: DockerContainerDetails,
    container: DockerContext,
    log: SessionContext['log'],
  ): Promise<DiscoveryHostRequest | null> {
    const { ctx } = world;
    const ports = exposedPorts(details);
    const tcp = new Set(ports.filter((p) => p.protocol === 'tcp').map((p) => p.number));
    const endpoints = endpointsFor(tcp);
    let responses: HttpResponse[] = [];
    if (world.localIp && endpoints.length) {
      const probe = this.deps.httpProbe();
      const results = await scanHttpEndpoints(world.localIp, endpoints, {
        batchSize: probe.batchSize,
        acceptInvalidCerts: probe.acceptInvalidCerts,
        ports: tcp,
        probeRawSocketPorts: false,
        signal: ctx.signal,
      });
      if (ctx.signal.aborted) throw ctx.signal.reason;
      responses = results.map((r) => ({
        port: r.endpoint.port,
        path: r.endpoint.path,
        status: r.status,
        headers: r.headers,
        body: r.body,
      }));
    }
    const byDefinition = new Map<string, { match: ServiceMatch; bindings: PlannedBinding[] }>();
    for (const h of world.hostInterfaces) {
      const result = matchServices({
        openPorts: ports,
        httpResponses: responses,
        subnetType: h.subnetType,
        isGateway: false,
        docker: container,
      });
      const match = result.services[0];
      if (!match) continue;
      const entry = byDefinition.get(match.definition.name) ?? { match, bindings: [] };
      for (const b of match.bindings) {
        entry.bindings.push({ port: b.type === 'Port' ? b.port : null, interfaceId: h.iface.id });
      }
      for (const port of result.openPorts) entry.bindings.push({ port, interfaceId: h.iface.id });
      byDefinition.set(match.definition.name, entry);
    }
    const services = [...byDefinition.values()].map((e) => ({ ...e, bindings: tidyBindings(e.bindings) }));
    if (!services.length) return null;
    log.debug({ services: services.map((s) => s.match.definition.name) }, 'host-network container matched');
    return this.request(
      world,
      world.hostInterfaces.map((h) => h.iface),
      services,
      container,
    );
  }

  /** In-container probes, a few at a time; stops early when the image has no shell or no HTTP client. */
  private async probeInside(
    world: SessionWorld,
    containerId: string,
    endpoints: readonly HttpEndpoint[],
    log: SessionContext['log'],
  ): Promise<HttpResponse[]> {
    let unusable = false;
    const results = await runPool(
      endpoints,
      { concurrency: EXEC_CONCURRENCY, signal: world.ctx.signal },
      async (endpoint) => {
        if (unusable) return null;
        try {
          const probe = await probeInContainer(world.docker, containerId, endpoint, {
            signal: world.ctx.signal,
          });
          if (probe.unusable) {
            if (!unusable)
              log.debug({ output: probe.output.slice(0, 200) }, 'container cannot run HTTP probes');
            unusable = true;
          }
          return probe.response;
        } catch (err) {
          log.debug(
            { endpoint: `${endpoint.port}${endpoint.path}`, err: (err as Error).message },
            'probe failed',
          );
          return null;
        }
      },
    );
    return results.filter((r): r is HttpResponse => r !== null && r !== undefined);
  }

  /** The daemon's host with the container's interfaces, ports and services (host id forced to host_id). */
  private request(
    world: SessionWorld,
    interfaces: Interface[],
    services: ReadonlyArray<{ match: ServiceMatch; bindings: PlannedBinding[] }>,
    container: DockerContext,
  ): DiscoveryHostRequest {
    const { ctx } = world;
    const stamp = new Date().toISOString();
    const ports = new Map<string, Port>();
    const portOf = (ref: PortRef): Port => {
      const key = portKey(ref);
      let port = ports.get(key);
      if (!port) {
        port = {
          id: randomUUID(),
          created_at: stamp,
          updated_at: stamp,
          host_id: NIL_UUID,
          network_id: ctx.networkId,
          number: ref.number,
          protocol: ref.protocol === 'tcp' ? 'Tcp' : 'Udp',
          // The server derives the well-known type from number and protocol.
          type: 'Custom',
        };
        ports.set(key, port);
      }
      return port;
    };
    const entities: Service[] = services.map(({ match, bindings }, position) => {
      const serviceId = randomUUID();
      const owner = {
        created_at: stamp,
        updated_at: stamp,
        service_id: serviceId,
        network_id: ctx.networkId,
      };
      return {
        id: serviceId,
        created_at: stamp,
        updated_at: stamp,
        host_id: NIL_UUID,
        network_id: ctx.networkId,
        name: match.name,
        service_definition: match.definition.name,
        bindings: bindings.map((b): Binding =>
          b.port
            ? {
                id: randomUUID(),
                ...owner,
                type: 'Port',
                port_id: portOf(b.port).id,
                interface_id: b.interfaceId,
              }
            : { id: randomUUID(), ...owner, type: 'Interface', interface_id: b.interfaceId },
        ),
        position,
        source: { type: 'DiscoveryWithMatch', metadata: world.metadata(), details: matchDetails(match) },
        virtualization: {
          type: 'Docker',
          details: {
            service_id: world.dockerServiceId,
            container_id: container.containerId ?? null,
            container_name: container.containerName ?? null,
          },
        },
        tags: [],
      };
    });
    return { host: world.host(), interfaces, ports: [...ports.values()], services: entities };
  }
}

/**
 * Catalog endpoints on the given TCP ports. Raw printer ports (9100–9107) are never probed: an HTTP
 * request there can print a page. The reference probed them for host-network containers.
 */
export function endpointsFor(tcpPorts: ReadonlySet<number>): HttpEndpoint[] {
  return catalogHttpEndpoints.filter((e) => tcpPorts.has(e.port) && !isRawSocketPort(e.port));
}
