import { type Cidr, formatCidr, intToIp, ipToInt, maskOf, parseCidr } from '../platform/ipv4.ts';

/**
 * The scope guard (ARCHITECTURE.md §6): the set of addresses one discovery may send packets to. An address is a
 * target only when it lies inside a requested subnet, outside every exclusion, inside `SCANOPY_SCAN_ALLOW` when
 * that is set, and is not the network or broadcast address of its subnet. Every probe and nudge asserts its
 * destination against the scope right before sending, so a bug elsewhere cannot leak traffic.
 */

/** The most addresses one discovery may cover (a /16). */
export const MAX_SCOPE_ADDRESSES = 65_536;

export class ScopeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScopeError';
  }
}

export interface ScopeInput {
  /** Requested subnets: CIDRs ("10.77.40.0/24") or single addresses. */
  subnets: readonly string[];
  /** Addresses or CIDRs never to touch. */
  exclude?: readonly string[];
  /** `SCANOPY_SCAN_ALLOW` when set: only addresses inside these CIDRs may be touched. */
  allow?: readonly string[] | null;
  maxAddresses?: number;
}

const NOT_UNICAST: ReadonlyArray<[string, Cidr]> = [
  ['0.0.0.0/8 ("this network")', parseCidr('0.0.0.0/8')!],
  ['224.0.0.0/4 (multicast)', parseCidr('224.0.0.0/4')!],
  ['240.0.0.0/4 (reserved and broadcast)', parseCidr('240.0.0.0/4')!],
];

/** Parses a CIDR or a bare IPv4 address (taken as /32). */
export function parseTarget(text: string, what = 'address'): Cidr {
  const trimmed = text.trim();
  const parsed = parseCidr(trimmed.includes('/') ? trimmed : `${trimmed}/32`);
  if (!parsed) {
    const hint = trimmed.includes(':') ? ' (IPv6 is not scanned)' : '';
    throw new ScopeError(`${what} "${text}" is not an IPv4 address or CIDR${hint}`);
  }
  return parsed;
}

/** Parses `SCANOPY_SCAN_ALLOW` (CIDRs or addresses, comma or space separated); null when unset or empty. */
export function parseAllowList(value: string | undefined | null): string[] | null {
  const parts = (value ?? '')
    .split(/[,\s]+/)
    .map((p) => p.trim())
    .filter(Boolean);
  if (parts.length === 0) return null;
  return parts.map((p) => formatCidr(parseTarget(p, 'SCANOPY_SCAN_ALLOW entry')));
}

const sizeOf = (c: Cidr) => 2 ** (32 - c.prefix);
const lastOf = (c: Cidr) => c.network + sizeOf(c) - 1;
const inside = (c: Cidr, n: number) => (n & maskOf(c.prefix)) >>> 0 === c.network;
const overlaps = (a: Cidr, b: Cidr) => a.network <= lastOf(b) && b.network <= lastOf(a);
const covers = (outer: Cidr, inner: Cidr) => outer.prefix <= inner.prefix && inside(outer, inner.network);

export class ScanScope {
  private constructor(
    /** Requested subnets, normalized, nested ones folded into their container, sorted. */
    readonly subnets: readonly Cidr[],
    readonly excluded: readonly Cidr[],
    readonly allow: readonly Cidr[] | null,
    /** Why parts of the request will not be touched (outside the allow-list); for the session log. */
    readonly notes: readonly string[],
  ) {}

  static create(input: ScopeInput): ScanScope {
    const max = input.maxAddresses ?? MAX_SCOPE_ADDRESSES;
    if (input.subnets.length === 0) throw new ScopeError('no subnet to scan');
    const requested = input.subnets.map((s) => parseTarget(s, 'subnet'));
    for (const c of requested) {
      if (sizeOf(c) > max)
        throw new ScopeError(
          `subnet ${formatCidr(c)} has ${sizeOf(c)} addresses; one discovery may cover at most ${max} (e.g. one /16); split it into smaller subnets`,
        );
      for (const [label, bad] of NOT_UNICAST)
        if (overlaps(c, bad)) throw new ScopeError(`subnet ${formatCidr(c)} overlaps ${label}`);
    }
    const subnets = requested
      .filter((c, i) => !requested.some((o, j) => j !== i && covers(o, c) && (o.prefix < c.prefix || j < i)))
      .sort((a, b) => a.network - b.network);
    const total = subnets.reduce((n, c) => n + sizeOf(c), 0);
    if (total > max)
      throw new ScopeError(`the subnets cover ${total} addresses; one discovery may cover at most ${max}`);
    const excluded = (input.exclude ?? []).map((e) => parseTarget(e, 'exclusion'));
    const allow = input.allow ? input.allow.map((a) => parseTarget(a, 'allow-list entry')) : null;
    const notes: string[] = [];
    if (allow) {
      for (const c of subnets) {
        if (allow.some((a) => covers(a, c))) continue;
        const partly = allow.some((a) => overlaps(a, c));
        notes.push(
          `${formatCidr(c)} is ${partly ? 'partly' : 'entirely'} outside SCANOPY_SCAN_ALLOW; ${partly ? 'only the allowed part is scanned' : 'it is skipped'}`,
        );
      }
    }
    return new ScanScope(subnets, excluded, allow, notes);
  }

  /** What `create` needs to build this scope again (in a scan worker thread). */
  toInput(): ScopeInput {
    return {
      subnets: this.subnets.map(formatCidr),
      exclude: this.excluded.map(formatCidr),
      allow: this.allow ? this.allow.map(formatCidr) : null,
    };
  }

  /** The requested subnet an address belongs to, or null. */
  subnetOf(ip: string): Cidr | null {
    const n = ipToInt(ip);
    return this.subnets.find((c) => inside(c, n)) ?? null;
  }

  has(ip: string): boolean {
    if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) return false;
    const n = ipToInt(ip);
    const subnet = this.subnets.find((c) => inside(c, n));
    if (!subnet) return false;
    if (subnet.prefix <= 30 && (n === subnet.network || n === lastOf(subnet))) return false;
    if (this.excluded.some((e) => inside(e, n))) return false;
    if (this.allow && !this.allow.some((a) => inside(a, n))) return false;
    return true;
  }

  /** Throws unless `ip` may be touched: the last line of defence before a packet leaves. */
  assert(ip: string): void {
    if (!this.has(ip)) throw new ScopeError(`${ip} is outside the scope of this discovery`);
  }

  /** Every target address, in the reference's probing order (.1 and .254 first, DHCP-ish ranges later). */
  targets(): string[] {
    const out: number[] = [];
    for (const c of this.subnets) {
      for (let n = c.network; n <= lastOf(c); n++) if (this.has(intToIp(n))) out.push(n);
    }
    return out.sort((a, b) => rank(a & 255) - rank(b & 255) || a - b).map(intToIp);
  }

  /** Number of target addresses. */
  get size(): number {
    return this.targets().length;
  }
}

const FIRST = [1, 254, 2, 3, 10, 100, 253, 252];
const BANDS: ReadonlyArray<[number, number]> = [
  [4, 9],
  [11, 20],
  [21, 30],
  [31, 50],
  [51, 100],
  [101, 150],
  [151, 200],
  [201, 251],
];

/** daemon.md §4.1: gateways and static addresses first, then the ranges DHCP servers usually hand out. */
function rank(lastOctet: number): number {
  const first = FIRST.indexOf(lastOctet);
  if (first >= 0) return first;
  const band = BANDS.findIndex(([lo, hi]) => lastOctet >= lo && lastOctet <= hi);
  return band >= 0 ? FIRST.length + band : FIRST.length + BANDS.length;
}
