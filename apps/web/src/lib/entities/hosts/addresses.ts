import { cidrProblem } from '../subnets/cidr.ts';

/** IPv4 dotted quad as a 32-bit number, or null when it is not one. */
function ipv4Number(addr: string): number | null {
  const parts = addr.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return null;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

/**
 * Why an interface address is not valid (for the subnet it is in, when known), or null: shown under the field while
 * the user types. IPv6 is checked by its form only; the server has the last word on ranges either way.
 */
export function ipProblem(input: string, subnetCidr?: string): string | null {
  const ip = input.trim();
  if (!ip) return 'Enter an IP address such as 192.168.1.20.';
  if (ip.includes('/')) return 'Enter the address without a prefix length.';
  const v6 = ip.includes(':');
  // The CIDR checker knows both families; give it a host prefix to reuse its address rules.
  const formProblem = cidrProblem(`${ip}/${v6 ? 128 : 32}`);
  if (formProblem) return v6 ? `“${ip}” is not an IPv6 address.` : `“${ip}” is not an IPv4 address.`;
  if (!subnetCidr || v6 !== subnetCidr.includes(':')) {
    return subnetCidr ? `${ip} is not in ${subnetCidr}.` : null;
  }
  if (v6) return null;
  const [net, prefixText] = subnetCidr.split('/');
  const base = ipv4Number(net ?? '');
  const addr = ipv4Number(ip);
  if (base === null || addr === null) return null;
  const size = 2 ** (32 - Number(prefixText));
  return Math.floor(addr / size) === Math.floor(base / size) ? null : `${ip} is not in ${subnetCidr}.`;
}

/** Why a MAC address is not valid, or null (empty is fine: the field is optional). */
export function macProblem(input: string): string | null {
  const mac = input.trim();
  if (!mac) return null;
  return /^[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){5}$/.test(mac) || /^[0-9a-fA-F]{12}$/.test(mac)
    ? null
    : `“${mac}” is not a MAC address (six pairs of hex digits, e.g. 00:1a:2b:3c:4d:5e).`;
}

/** Why a port number is not valid, or null. */
export function portProblem(input: string): string | null {
  const text = input.trim();
  if (!text) return 'Enter a port number.';
  if (!/^\d+$/.test(text)) return 'A port is a whole number.';
  const n = Number(text);
  return n >= 1 && n <= 65535 ? null : 'A port is between 1 and 65535.';
}

/**
 * The most specific of `subnets` that holds `ip` (a /24 before the 0.0.0.0/0 Internet subnet), or undefined: the
 * interface form picks it while the user has not chosen one.
 */
export function containingSubnet<S extends { cidr: string }>(
  ip: string,
  subnets: readonly S[],
): S | undefined {
  const prefix = (cidr: string) => Number(cidr.split('/')[1] ?? 0);
  return subnets
    .filter((s) => !cidrProblem(s.cidr) && ipProblem(ip, s.cidr) === null)
    .sort((a, b) => prefix(b.cidr) - prefix(a.cidr))[0];
}
