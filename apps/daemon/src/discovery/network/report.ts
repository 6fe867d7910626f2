import { randomUUID } from 'node:crypto';
import type {
  Binding,
  DiscoveryHostRequest,
  DiscoveryMetadata,
  HostNamingFallback,
  Interface,
  Port,
  Service,
} from '@scanopy/contracts';
import {
  bestServiceName,
  matchServices,
  type HttpResponse,
  type PortRef,
  type ServiceMatch,
  type SubnetType,
} from '@scanopy/detection';
import { NIL_UUID } from '../entities.ts';

/** Everything the network scan learned about one live address. */
export interface ScannedHost {
  ip: string;
  subnetId: string;
  subnetType: SubnetType | null;
  mac: string | null;
  macVendor: string | null;
  hostname: string | null;
  isGateway: boolean;
  openTcp: number[];
  /** UDP ports whose protocol probe got an answer. */
  openUdp: number[];
  http: HttpResponse[];
  /** Per port that answered a path other than "/", the response to a random path (catch-all servers). */
  httpCatchAll?: HttpResponse[];
}

export interface ReportContext {
  networkId: string;
  metadata: DiscoveryMetadata;
  namingFallback: HostNamingFallback;
  now?: () => string;
}

/** Runs service matching and shapes one host the way POST /api/v1/hosts/discovery takes it (daemon.md §4.2, §4.8). */
export function buildHostReport(host: ScannedHost, ctx: ReportContext): DiscoveryHostRequest {
  const stamp = (ctx.now ?? (() => new Date().toISOString()))();
  const openPorts: PortRef[] = [
    ...host.openTcp.map((number) => ({ number, protocol: 'tcp' as const })),
    ...host.openUdp.map((number) => ({ number, protocol: 'udp' as const })),
  ];
  const result = matchServices({
    openPorts,
    httpResponses: host.http,
    httpCatchAll: host.httpCatchAll ?? [],
    macVendor: host.macVendor,
    isGateway: host.isGateway,
    subnetType: host.subnetType,
  });

  const iface: Interface = {
    id: randomUUID(),
    created_at: stamp,
    updated_at: stamp,
    host_id: NIL_UUID,
    network_id: ctx.networkId,
    subnet_id: host.subnetId,
    ip_address: host.ip,
    mac_address: host.mac,
    name: null,
    position: 0,
  };

  // Every open port is recorded on the host, claimed by a service or not (ports seen only over HTTP included).
  const ports = new Map<string, Port>();
  for (const p of result.openPorts) {
    const key = `${p.number}/${p.protocol}`;
    if (ports.has(key)) continue;
    ports.set(key, {
      id: randomUUID(),
      created_at: stamp,
      updated_at: stamp,
      host_id: NIL_UUID,
      network_id: ctx.networkId,
      number: p.number,
      protocol: p.protocol === 'tcp' ? 'Tcp' : 'Udp',
      // The server derives the well-known type from number and protocol.
      type: 'Custom',
    });
  }

  const services = result.services.map((m, position) => toService(m, position, iface, ports, ctx, stamp));
  const name =
    host.hostname || (ctx.namingFallback === 'BestService' && bestServiceName(result.services)) || host.ip;

  return {
    host: {
      id: randomUUID(),
      created_at: stamp,
      updated_at: stamp,
      name,
      hostname: host.hostname,
      description: null,
      network_id: ctx.networkId,
      source: { type: 'Discovery', metadata: [ctx.metadata] },
      virtualization: null,
      hidden: false,
      tags: [],
    },
    interfaces: [iface],
    ports: [...ports.values()],
    services,
  };
}

function toService(
  m: ServiceMatch,
  position: number,
  iface: Interface,
  ports: Map<string, Port>,
  ctx: ReportContext,
  stamp: string,
): Service {
  const id = randomUUID();
  const bindings: Binding[] = [];
  for (const b of m.bindings) {
    const base = {
      id: randomUUID(),
      created_at: stamp,
      updated_at: stamp,
      service_id: id,
      network_id: ctx.networkId,
    };
    if (b.type === 'Interface') {
      bindings.push({ ...base, type: 'Interface', interface_id: iface.id });
      continue;
    }
    const port = ports.get(`${b.port.number}/${b.port.protocol}`);
    // Scanned through this address, so the service is known to listen on this interface.
    if (port) bindings.push({ ...base, type: 'Port', port_id: port.id, interface_id: iface.id });
  }
  return {
    id,
    created_at: stamp,
    updated_at: stamp,
    host_id: NIL_UUID,
    network_id: ctx.networkId,
    name: m.name,
    service_definition: m.definition.name,
    bindings,
    position,
    source: {
      type: 'DiscoveryWithMatch',
      metadata: [ctx.metadata],
      details: { confidence: m.confidence, reason: m.reason },
    },
    virtualization: null,
    tags: [],
  };
}
