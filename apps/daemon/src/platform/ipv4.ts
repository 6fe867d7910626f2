/** Small IPv4 arithmetic; addresses are unsigned 32-bit numbers. */

export function ipToInt(ip: string): number {
  const parts = ip.split('.').map(Number);
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export function networkCidr(ip: string, prefix: number): string {
  return `${intToIp((ipToInt(ip) & maskOf(prefix)) >>> 0)}/${prefix}`;
}

export interface Cidr {
  network: number;
  prefix: number;
}

/** Parses and normalizes "a.b.c.d/n" (host bits cleared); null for anything else, e.g. IPv6. */
export function parseCidr(cidr: string): Cidr | null {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(cidr.trim());
  if (!m) return null;
  const octets = m[1].split('.').map(Number);
  const prefix = Number(m[2]);
  if (octets.some((o) => o > 255) || prefix > 32) return null;
  return { network: (ipToInt(m[1]) & maskOf(prefix)) >>> 0, prefix };
}

export function formatCidr(c: Cidr): string {
  return `${intToIp(c.network)}/${c.prefix}`;
}

export function cidrContains(c: Cidr, ip: string): boolean {
  return (ipToInt(ip) & maskOf(c.prefix)) >>> 0 === c.network;
}
