import { catalog } from './catalog.ts';
import { walkRule } from './rule.ts';
import type { ServiceDefinition } from './types.ts';

/** One HTTP endpoint to request on a host: `http(s)://ip:port{path}` (always TCP). */
export interface HttpEndpoint {
  readonly port: number;
  readonly path: string;
}

/**
 * The path that is actually requested and compared. Fix (§9): an HTTP client never sends a URL fragment, and
 * an empty path is requested as "/", so `/#/login/`, `/#!/auth` and `` all become `/` on both sides.
 */
export function normalizeProbePath(path: string): string {
  const hash = path.indexOf('#');
  const withoutFragment = hash === -1 ? path : path.slice(0, hash);
  return withoutFragment === '' ? '/' : withoutFragment;
}

function sortedUnique(values: Iterable<number>): number[] {
  return [...new Set(values)].sort((a, b) => a - b);
}

/** Ports of the Port patterns of the given definitions (never under `not`, as upstream's `ports()`). */
export function patternPorts(definitions: readonly ServiceDefinition[] = catalog): {
  tcp: number[];
  udp: number[];
} {
  const tcp: number[] = [];
  const udp: number[] = [];
  for (const definition of definitions) {
    walkRule(definition.rule, (node, negated) => {
      if (!negated && 'port' in node) (node.proto === 'tcp' ? tcp : udp).push(node.port);
    });
  }
  return { tcp: sortedUnique(tcp), udp: sortedUnique(udp) };
}

const catalogPorts = patternPorts();

/** The 83 TCP ports used by catalog Port patterns: the "responsiveness" pass and "catalog ports first". */
export const catalogTcpPorts: readonly number[] = catalogPorts.tcp;

/** UDP ports used by catalog Port patterns (53, 67, 123, 161, 515, 1194, 10001, 47808, 51820). */
export const catalogUdpPorts: readonly number[] = catalogPorts.udp;

/**
 * The de-duplicated HTTP endpoints to probe (service-detection.md §6), in catalog order. Each Endpoint
 * pattern adds `(port, path)`; each Header pattern adds `(port ?? 80, "/")`.
 *
 * Fixes (§9): upstream skipped Endpoint patterns that carry a status range and everything under `not`, so
 * seven definitions could never match and Overseerr's exclusion only worked because Jellyseerr probes the same
 * path; here every endpoint is probed. Paths are normalised with `normalizeProbePath`.
 */
export function httpProbeEndpoints(definitions: readonly ServiceDefinition[] = catalog): HttpEndpoint[] {
  const seen = new Map<string, HttpEndpoint>();
  const add = (port: number, path: string): void => {
    const endpoint = { port, path: normalizeProbePath(path) };
    const key = `${endpoint.port} ${endpoint.path}`;
    if (!seen.has(key)) seen.set(key, endpoint);
  };
  for (const definition of definitions) {
    walkRule(definition.rule, (node) => {
      if ('http' in node) add(node.http.port, node.http.path);
      else if ('header' in node) add(node.header.port ?? 80, '/');
    });
  }
  return [...seen.values()];
}

export const catalogHttpEndpoints: readonly HttpEndpoint[] = httpProbeEndpoints();

/** Catalog endpoint paths per TCP port. */
export const catalogEndpointsByPort: ReadonlyMap<number, readonly string[]> = (() => {
  const byPort = new Map<number, string[]>();
  for (const e of catalogHttpEndpoints) byPort.set(e.port, [...(byPort.get(e.port) ?? []), e.path]);
  return byPort;
})();

/** Raw printer socket ports: an HTTP request there can print a page ("ghost printing"). */
export function isRawSocketPort(port: number): boolean {
  return port >= 9100 && port <= 9107;
}

/** Ports that appear in HTTP endpoints but in no Port pattern; they are probed even when the scan missed them. */
export const endpointOnlyPorts: readonly number[] = sortedUnique(
  catalogHttpEndpoints.map((e) => e.port).filter((p) => !catalogTcpPorts.includes(p)),
);

export interface EndpointSelection {
  /** Probe 9100-9107 too (setting `probe_raw_socket_ports`, default off). */
  readonly probeRawSocketPorts?: boolean;
  /** Endpoint list to select from (default: the catalog's). */
  readonly endpoints?: readonly HttpEndpoint[];
}

/** Endpoints to request on a host with these open TCP ports (daemon.md §4.4): open ports plus endpoint-only ones. */
export function endpointsToProbe(
  openTcpPorts: Iterable<number>,
  options: EndpointSelection = {},
): HttpEndpoint[] {
  const endpoints = options.endpoints ?? catalogHttpEndpoints;
  const endpointPorts = new Set(endpoints.map((e) => e.port));
  const patternTcp = new Set(catalogTcpPorts);
  const candidates = new Set(openTcpPorts);
  for (const p of endpointPorts) if (!patternTcp.has(p)) candidates.add(p);
  return endpoints.filter(
    (e) => candidates.has(e.port) && (options.probeRawSocketPorts === true || !isRawSocketPort(e.port)),
  );
}

function lastAddressPart(ip: string): number | null {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (v4) return Number(v4[4]);
  if (!ip.includes(':')) return null;
  const tail = ip.slice(ip.lastIndexOf(':') + 1);
  if (tail.includes('.')) return lastAddressPart(tail);
  return tail === '' ? 0 : Number.parseInt(tail, 16);
}

/**
 * The IsGateway input (service-detection.md §2): the address is one of the subnet's known gateways (routing
 * table, or Docker IPAM gateways); only when none is known, an address ending in 1 or 254 counts.
 */
export function isGatewayAddress(ip: string, subnetGateways: readonly string[]): boolean {
  if (subnetGateways.length > 0) return subnetGateways.includes(ip);
  const last = lastAddressPart(ip);
  return last === 1 || last === 254;
}
