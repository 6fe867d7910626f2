import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import type { Binding, DiscoveryMetadata, Interface, Port, Service } from '@scanopy/contracts';
import {
  catalogHttpEndpoints,
  catalogUdpPorts,
  matchServices,
  type HttpResponse,
  type PortRef,
} from '@scanopy/detection';
import { scanHttpEndpoints } from '../../probes/index.ts';
import { NIL_UUID } from '../entities.ts';

/**
 * The daemon's own services (self-report, issue 4 item 8). Which ports listen, and on which address, comes from
 * the kernel's socket tables, so finding them sends no packet at all. Identification then asks the catalog's HTTP
 * endpoints over loopback only, for listeners loopback reaches (bound to every address). Listeners bound to
 * 127.0.0.0/8 alone are not reachable from the network and are left out; a listener bound to one of the
 * machine's addresses is bound to that interface.
 */

export interface Listener {
  protocol: 'tcp' | 'udp';
  /** Dotted IPv4, "0.0.0.0" for every address (also for an IPv6 "::" listener). */
  address: string;
  port: number;
}

const LISTEN = '0A';
/** Unconnected UDP sockets: state 07 (TCP_CLOSE) in /proc/net/udp. */
const UDP_BOUND = '07';

function hexIpv4(hex: string): string {
  // /proc prints the address in host byte order (little-endian on every platform this runs on).
  const n = parseInt(hex, 16);
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff].join('.');
}

/** Parses /proc/net/{tcp,udp}[6]: listening TCP sockets, or bound UDP sockets. IPv6 keeps only "::" and v4-mapped. */
export function parseSocketTable(text: string, protocol: 'tcp' | 'udp', v6: boolean): Listener[] {
  const out: Listener[] = [];
  for (const line of text.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 4) continue;
    const [addrHex, portHex] = cols[1].split(':');
    const state = cols[3];
    if (state !== (protocol === 'tcp' ? LISTEN : UDP_BOUND)) continue;
    const port = parseInt(portHex, 16);
    if (!port) continue;
    let address: string | null;
    if (!v6) address = hexIpv4(addrHex);
    else if (/^0{32}$/.test(addrHex)) address = '0.0.0.0';
    else if (/^0{16}FFFF0000/i.test(addrHex)) address = hexIpv4(addrHex.slice(24));
    else address = null; // a real IPv6 address: not reported (IPv4 only, like self-report)
    if (address !== null) out.push({ protocol, address, port });
  }
  return out;
}

export async function readListeners(root = '/proc/net'): Promise<Listener[]> {
  const tables: Array<[string, 'tcp' | 'udp', boolean]> = [
    ['tcp', 'tcp', false],
    ['tcp6', 'tcp', true],
    ['udp', 'udp', false],
    ['udp6', 'udp', true],
  ];
  const out: Listener[] = [];
  for (const [file, protocol, v6] of tables) {
    const text = await readFile(`${root}/${file}`, 'utf8').catch(() => '');
    out.push(...parseSocketTable(text, protocol, v6));
  }
  return out;
}

export interface OwnServicesInput {
  listeners: readonly Listener[];
  interfaces: readonly Interface[];
  /** Ports reported separately (the daemon's own API port). */
  skipTcpPorts: readonly number[];
  networkId: string;
  metadata: DiscoveryMetadata[];
  acceptInvalidCerts: boolean;
  signal?: AbortSignal;
  /** Loopback HTTP probing; replaced in unit tests that have no servers. */
  probeHttp?: (ports: ReadonlySet<number>) => Promise<HttpResponse[]>;
}

export interface OwnServices {
  ports: Port[];
  services: Service[];
}

const isLoopback = (a: string) => a.startsWith('127.');

/** Ports, services and bindings of the daemon's own listeners, shaped for the self-report host. */
export async function ownServices(input: OwnServicesInput): Promise<OwnServices> {
  const stamp = new Date().toISOString();
  const byIp = new Map(input.interfaces.map((i) => [i.ip_address, i]));
  const udpCatalog = new Set(catalogUdpPorts);
  // Where each port listens: null = every interface, else the interfaces bound.
  const where = new Map<string, { ref: PortRef; all: boolean; ifaces: Set<string> }>();
  for (const l of input.listeners) {
    if (l.protocol === 'tcp' && input.skipTcpPorts.includes(l.port)) continue;
    if (l.protocol === 'udp' && !udpCatalog.has(l.port)) continue;
    if (isLoopback(l.address)) continue;
    const all = l.address === '0.0.0.0';
    const iface = all ? undefined : byIp.get(l.address);
    if (!all && !iface) continue;
    const key = `${l.port}/${l.protocol}`;
    const entry = where.get(key) ?? {
      ref: { number: l.port, protocol: l.protocol },
      all: false,
      ifaces: new Set(),
    };
    if (all) entry.all = true;
    if (iface) entry.ifaces.add(iface.id);
    where.set(key, entry);
  }
  if (!where.size) return { ports: [], services: [] };

  const reachable = new Set(
    [...where.values()].filter((w) => w.all && w.ref.protocol === 'tcp').map((w) => w.ref.number),
  );
  const probe =
    input.probeHttp ??
    (async (ports: ReadonlySet<number>) =>
      (
        await scanHttpEndpoints('127.0.0.1', catalogHttpEndpoints, {
          batchSize: 32,
          ports,
          acceptInvalidCerts: input.acceptInvalidCerts,
          signal: input.signal,
        })
      ).map((r) => ({
        port: r.endpoint.port,
        path: r.endpoint.path,
        status: r.status,
        headers: r.headers,
        body: r.body,
      })));
  const http = reachable.size ? await probe(reachable) : [];
  const result = matchServices({
    openPorts: [...where.values()].map((w) => w.ref),
    httpResponses: http.filter((r) => where.has(`${r.port}/tcp`)),
  });

  const ports = new Map<string, Port>();
  for (const [key, w] of where) {
    ports.set(key, {
      id: randomUUID(),
      created_at: stamp,
      updated_at: stamp,
      host_id: NIL_UUID,
      network_id: input.networkId,
      number: w.ref.number,
      protocol: w.ref.protocol === 'tcp' ? 'Tcp' : 'Udp',
      type: 'Custom',
    });
  }
  const services: Service[] = result.services.map((m, position) => {
    const id = randomUUID();
    const base = { created_at: stamp, updated_at: stamp, service_id: id, network_id: input.networkId };
    const bindings: Binding[] = [];
    for (const b of m.bindings) {
      if (b.type !== 'Port') continue;
      const key = `${b.port.number}/${b.port.protocol}`;
      const w = where.get(key);
      const port = ports.get(key);
      if (!w || !port) continue;
      if (w.all)
        bindings.push({ ...base, id: randomUUID(), type: 'Port', port_id: port.id, interface_id: null });
      else
        for (const ifaceId of w.ifaces)
          bindings.push({ ...base, id: randomUUID(), type: 'Port', port_id: port.id, interface_id: ifaceId });
    }
    return {
      id,
      created_at: stamp,
      updated_at: stamp,
      host_id: NIL_UUID,
      network_id: input.networkId,
      name: m.name,
      service_definition: m.definition.name,
      bindings,
      position: position + 1,
      source: {
        type: 'DiscoveryWithMatch',
        metadata: input.metadata,
        details: { confidence: m.confidence, reason: m.reason },
      },
      virtualization: null,
      tags: [],
    };
  });
  // Only identified services and their ports: unidentified listeners (a container's published port, an ephemeral
  // tool) are left to Network and Docker discovery rather than parked in "Unclaimed Open Ports" here.
  const kept = services.filter(
    (s) => s.service_definition !== 'Unclaimed Open Ports' && s.bindings.length > 0,
  );
  const used = new Set(kept.flatMap((s) => s.bindings.map((b) => (b.type === 'Port' ? b.port_id : ''))));
  return { ports: [...ports.values()].filter((p) => used.has(p.id)), services: kept };
}

/** Whether this platform has the socket tables (Linux). */
export const hasSocketTables = os.platform() === 'linux';
