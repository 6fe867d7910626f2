import os from 'node:os';
import { normalizeMac } from '@scanopy/contracts';

/** One IPv4 address of one of this machine's interfaces. */
export interface OwnAddress {
  /** OS interface name, e.g. eth0. */
  name: string;
  ip: string;
  prefix: number;
  /** null when the interface has no hardware address (all zeros). */
  mac: string | null;
}

export type InterfaceTable = () => NodeJS.Dict<os.NetworkInterfaceInfo[]>;

/**
 * IPv4 addresses of non-loopback interfaces, optionally restricted to the exact names in `only`
 * (the `interfaces` setting). IPv6 is ignored: the reference never reports it.
 */
export function listOwnIpv4(
  only: readonly string[] = [],
  table: InterfaceTable = os.networkInterfaces,
): OwnAddress[] {
  const out: OwnAddress[] = [];
  for (const [name, infos] of Object.entries(table())) {
    if (!infos || (only.length > 0 && !only.includes(name))) continue;
    for (const info of infos) {
      if (info.family !== 'IPv4' || info.internal || !info.cidr) continue;
      const prefix = Number(info.cidr.split('/')[1]);
      if (!Number.isInteger(prefix)) continue;
      out.push({
        name,
        ip: info.address,
        prefix,
        mac: normalizeMac(info.mac),
      });
    }
  }
  return out;
}
