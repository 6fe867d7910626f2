import os from 'node:os';
import { intToIp } from './ipv4.ts';

/**
 * The routing table as Linux prints it in /proc/net/route (of the daemon's network namespace), IPv4 only.
 * Read by platform/local-ip.ts (the default-route address) and probes/gateways.ts (next hops).
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
