import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { cidrContains, intToIp, type Cidr } from '../platform/ipv4.ts';

/**
 * Gateways from the routing table (daemon.md §4.6) and the `IsGateway` rule (service-detection.md §2).
 * Linux only: /proc/net/route of the daemon's network namespace. Elsewhere the list is empty and the
 * rule falls back to ".1 or .254". IPv4 only, like the rest of the scan.
 */

export interface Route {
  iface: string;
  destination: string;
  gateway: string;
  mask: string;
  flags: number;
  metric: number;
}

/**
 * /proc/net/route prints each address as the in-memory value of a network-order 32-bit word, so the
 * hex digits read backwards on little-endian machines: `0102000A` is 10.0.2.1 there.
 */
function procAddress(hex: string, littleEndian: boolean): string | null {
  if (!/^[0-9A-Fa-f]{8}$/.test(hex)) return null;
  const n = parseInt(hex, 16) >>> 0;
  const value = littleEndian
    ? (((n & 0xff) << 24) | ((n & 0xff00) << 8) | ((n >>> 8) & 0xff00) | (n >>> 24)) >>> 0
    : n;
  return intToIp(value);
}

/** Parses the text of /proc/net/route; malformed lines are skipped. */
export function parseRouteTable(text: string, littleEndian = os.endianness() === 'LE'): Route[] {
  const routes: Route[] = [];
  for (const line of text.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 8) continue;
    const destination = procAddress(cols[1], littleEndian);
    const gateway = procAddress(cols[2], littleEndian);
    const mask = procAddress(cols[7], littleEndian);
    if (!destination || !gateway || !mask) continue;
    routes.push({
      iface: cols[0],
      destination,
      gateway,
      mask,
      flags: parseInt(cols[3], 16),
      metric: Number(cols[6]),
    });
  }
  return routes;
}

/** The distinct next hops of `routes`: every gateway that is set and differs from its destination. */
export function gatewaysOf(routes: readonly Route[]): string[] {
  const out = new Set<string>();
  for (const r of routes) if (r.gateway !== '0.0.0.0' && r.gateway !== r.destination) out.add(r.gateway);
  return [...out];
}

/** The gateways of this machine's (this network namespace's) routing table; [] when unreadable. */
export async function readGateways(file = '/proc/net/route'): Promise<string[]> {
  try {
    return gatewaysOf(parseRouteTable(await readFile(file, 'utf8')));
  } catch {
    return [];
  }
}

/**
 * `IsGateway`: the host is one of the known gateways; or, only when no known gateway lies in its
 * subnet, its last octet is 1 or 254.
 */
export function isGateway(ip: string, gateways: readonly string[], subnet: Cidr): boolean {
  if (gateways.includes(ip)) return true;
  if (gateways.some((g) => cidrContains(subnet, g))) return false;
  const last = Number(ip.split('.')[3]);
  return last === 1 || last === 254;
}

/** The broadcast address of `subnet` (for the DHCP DISCOVER); null for /31 and /32, which have none. */
export function broadcastAddressOf(subnet: Cidr): string | null {
  if (subnet.prefix >= 31) return null;
  const hostBits = 32 - subnet.prefix;
  return intToIp((subnet.network | (2 ** hostBits - 1)) >>> 0);
}
