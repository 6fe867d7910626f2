import { randomUUID } from 'node:crypto';
import type {
  Binding,
  DiscoveryHostRequest,
  DiscoveryMetadata,
  Interface,
  Port,
  Service,
  Subnet,
} from '@scanopy/contracts';
import type { Capabilities } from '../../config/index.ts';
import type { DiscoverySink } from '../../link/server-api.ts';
import type { BackoffPolicy } from '../../link/retry.ts';
import type { DockerProbe } from '../../platform/docker.ts';
import type { OwnAddress } from '../../platform/interfaces.ts';
import { cidrContains, parseCidr } from '../../platform/ipv4.ts';
import { NIL_UUID, newSubnet } from '../entities.ts';
import { ReliableSink } from '../reliable-sink.ts';
import type { DiscoveryRunner, SessionContext } from '../session-manager.ts';
import { deriveSubnets, withoutDockerSubnets, type SubnetCandidate } from '../subnets.ts';
import type { OwnServices } from './own-services.ts';

export const DAEMON_SERVICE = 'Scanopy Daemon';

export interface SelfReportDeps {
  sink: DiscoverySink;
  /** This machine's IPv4 addresses, already narrowed by the `interfaces` setting. */
  listAddresses: () => OwnAddress[];
  probeDocker: () => Promise<DockerProbe>;
  /** The port the daemon HTTP server actually listens on (differs from the setting when it is 0). */
  daemonPort: () => number;
  bindAddress: () => string;
  hostname: () => string;
  /** Saves the capabilities locally (persisted config) before they are sent. */
  saveCapabilities: (capabilities: Capabilities) => Promise<void>;
  /** The machine's other listening services (own-services.ts); absent = only the daemon's own port. */
  ownServices?: (
    interfaces: Interface[],
    metadata: DiscoveryMetadata[],
    networkId: string,
    signal: AbortSignal,
  ) => Promise<OwnServices>;
  entityPolicy?: BackoffPolicy;
}

/**
 * SelfReport (daemon.md §5): own subnets, then the daemon's own host with its interfaces, its
 * listening port and the "Scanopy Daemon" service.
 */
export class SelfReportRunner implements DiscoveryRunner {
  constructor(private readonly deps: SelfReportDeps) {}

  async run(ctx: SessionContext): Promise<void> {
    if (ctx.discoveryType.type !== 'SelfReport')
      throw new Error('SelfReportRunner got a non-SelfReport session');
    const hostId = ctx.discoveryType.host_id;
    const now = () => new Date().toISOString();
    const metadata = (): DiscoveryMetadata[] => [
      { type: 'SelfReport', host_id: hostId, daemon_id: ctx.daemonId, date: now() },
    ];
    const log = ctx.log;
    const sink = new ReliableSink(this.deps.sink, { policy: this.deps.entityPolicy, log });

    const addresses = this.deps.listAddresses();
    log.info(
      { addresses: addresses.map((a) => `${a.name} ${a.ip}/${a.prefix}`) },
      'enumerated own interfaces',
    );
    const docker = await this.deps.probeDocker();
    log.info({ has_docker_socket: docker.available, docker_cidrs: docker.networkCidrs }, 'docker check done');

    const { subnets: derived } = deriveSubnets(addresses);
    const { kept, dropped } = withoutDockerSubnets(derived, docker.networkCidrs);
    if (dropped.length)
      log.info({ cidrs: dropped.map((s) => s.cidr) }, 'left Docker subnets to Docker discovery');

    const created = await this.createSubnets(ctx, sink, kept, metadata);
    if (kept.length > 0 && created.size === 0) throw new Error('no subnet could be created on the server');

    await ctx.started();

    // Re-enumerate: addresses may have changed while subnets were created, and the server may have
    // answered with existing subnets whose ids differ from ours.
    const { assigned } = deriveSubnets(this.deps.listAddresses());
    const interfaces: Interface[] = [];
    for (const { address, cidr } of assigned) {
      const subnet = created.get(cidr);
      if (!subnet) {
        if (kept.some((k) => k.cidr === cidr)) {
          log.warn({ ip: address.ip, cidr }, 'dropping interface whose subnet was not created');
        }
        continue;
      }
      const stamp = now();
      interfaces.push({
        id: randomUUID(),
        created_at: stamp,
        updated_at: stamp,
        host_id: NIL_UUID,
        subnet_id: subnet.id,
        network_id: ctx.networkId,
        ip_address: address.ip,
        mac_address: address.mac,
        name: address.name,
        position: interfaces.length,
      });
    }

    const capabilities: Capabilities = {
      has_docker_socket: docker.available,
      interfaced_subnet_ids: [...new Set([...created.values()].map((s) => s.id))],
    };
    await this.deps.saveCapabilities(capabilities);
    await sink.updateCapabilities(capabilities, ctx.signal);
    log.info(capabilities, 'capabilities updated');

    const request = this.hostRequest(ctx, hostId, interfaces, [...created.values()], metadata, now);
    if (this.deps.ownServices) {
      // Best effort: the daemon's own report must not fail because a neighbour service misbehaves.
      const own = await this.deps
        .ownServices(interfaces, metadata(), ctx.networkId, ctx.signal)
        .catch((err: unknown) => {
          log.warn({ err: (err as Error).message }, "could not identify the machine's own services");
          return { ports: [], services: [] };
        });
      request.ports.push(...own.ports);
      request.services.push(...own.services);
      log.info({ ports: own.ports.length, services: own.services.map((x) => x.name) }, 'own services found');
    }
    const host = await sink.createHost(request, ctx.signal);
    log.info(
      {
        host_id: host.id,
        interfaces: host.interfaces.map((i) => i.ip_address),
        services: host.services.length,
      },
      'self-report host stored',
    );
  }

  /** Own subnets, each created on its own (see ReliableSink.createSubnets). Returns CIDR → subnet as stored by the server. */
  private async createSubnets(
    ctx: SessionContext,
    sink: ReliableSink,
    candidates: SubnetCandidate[],
    metadata: () => DiscoveryMetadata[],
  ): Promise<Map<string, Subnet>> {
    const results = await sink.createSubnets(
      candidates.map((c) =>
        newSubnet({
          networkId: ctx.networkId,
          cidr: c.cidr,
          subnet_type: c.subnet_type,
          metadata: metadata(),
        }),
      ),
      ctx.signal,
    );
    const created = new Map<string, Subnet>();
    results.forEach((result, i) => {
      if (result.status === 'fulfilled') created.set(candidates[i].cidr, result.value);
    });
    return created;
  }

  private hostRequest(
    ctx: SessionContext,
    hostId: string,
    interfaces: Interface[],
    subnets: Subnet[],
    metadata: () => DiscoveryMetadata[],
    now: () => string,
  ): DiscoveryHostRequest {
    const stamp = now();
    const hostname = this.deps.hostname();
    const port: Port = {
      id: randomUUID(),
      created_at: stamp,
      updated_at: stamp,
      host_id: NIL_UUID,
      network_id: ctx.networkId,
      number: this.deps.daemonPort(),
      protocol: 'Tcp',
      // The daemon's port is not a well-known one; the server derives the type from the number anyway.
      type: 'Custom',
    };
    const serviceId = randomUUID();
    const binding = (interfaceId: string | null): Binding => ({
      id: randomUUID(),
      created_at: stamp,
      updated_at: stamp,
      service_id: serviceId,
      network_id: ctx.networkId,
      type: 'Port',
      port_id: port.id,
      interface_id: interfaceId,
    });
    const bind = this.deps.bindAddress();
    // Bound to 0.0.0.0 the daemon answers on every interface: one all-interfaces binding says so.
    const bindings =
      bind === '0.0.0.0'
        ? [binding(null)]
        : interfaces
            .filter((i) => {
              const cidr = parseCidr(subnets.find((s) => s.id === i.subnet_id)?.cidr ?? '');
              return cidr !== null && cidrContains(cidr, bind);
            })
            .map((i) => binding(i.id));
    const service: Service = {
      id: serviceId,
      created_at: stamp,
      updated_at: stamp,
      host_id: NIL_UUID,
      network_id: ctx.networkId,
      name: DAEMON_SERVICE,
      service_definition: DAEMON_SERVICE,
      bindings,
      position: 0,
      source: {
        type: 'DiscoveryWithMatch',
        metadata: metadata(),
        details: { confidence: 'Certain', reason: { type: 'reason', data: 'Scanopy Daemon self-report' } },
      },
      virtualization: null,
      tags: [],
    };
    return {
      host: {
        id: hostId,
        created_at: stamp,
        updated_at: stamp,
        name: hostname || interfaces[0]?.ip_address || 'scanopy-daemon',
        hostname: hostname || null,
        description: 'Scanopy daemon',
        network_id: ctx.networkId,
        source: { type: 'Discovery', metadata: metadata() },
        virtualization: null,
        hidden: false,
        tags: [],
      },
      interfaces,
      ports: [port],
      services: [service],
    };
  }
}
