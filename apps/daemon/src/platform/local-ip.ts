import { readFile } from 'node:fs/promises';
import type { OwnAddress } from './interfaces.ts';
import { parseRouteTable } from './routes.ts';

/**
 * The daemon's "local IP" (daemon.md §5 step 9): the address of the interface that carries the
 * default route. Null when there is no default route (e.g. a macvlan container) or that interface
 * has no IPv4 address. Linux reads /proc/net/route of the daemon's network namespace.
 */
export function defaultRouteAddress(
  addresses: readonly OwnAddress[],
  routeTable: string,
  littleEndian?: boolean,
): string | null {
  const defaults = parseRouteTable(routeTable, littleEndian)
    .filter((r) => r.destination === '0.0.0.0' && r.mask === '0.0.0.0')
    .sort((a, b) => a.metric - b.metric);
  for (const route of defaults) {
    const address = addresses.find((a) => a.name === route.iface);
    if (address) return address.ip;
  }
  return null;
}

export async function readLocalIp(
  addresses: readonly OwnAddress[],
  file = '/proc/net/route',
): Promise<string | null> {
  try {
    return defaultRouteAddress(addresses, await readFile(file, 'utf8'));
  } catch {
    return null;
  }
}
