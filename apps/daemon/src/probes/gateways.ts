import { readFile } from 'node:fs/promises';
import { cidrContains, intToIp, type Cidr } from '../platform/ipv4.ts';
import { parseRouteTable, type Route } from '../platform/routes.ts';

/**
 * Gateways from the routing table (daemon.md §4.6) and the `IsGateway` rule (service-detection.md §2).
 * Linux only: /proc/net/route of the daemon's network namespace. Elsewhere the list is empty and the
 * rule falls back to ".1 or .254". IPv4 only, like the rest of the scan.
 */

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
