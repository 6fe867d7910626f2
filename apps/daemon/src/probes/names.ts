import { randomInt } from 'node:crypto';
import dns from 'node:dns';
import {
  buildQuery,
  DNS_CLASS_IN,
  DNS_FLAG_RESPONSE,
  DNS_TYPE_NBSTAT,
  DNS_TYPE_PTR,
  MDNS_UNICAST_RESPONSE,
  parseMessage,
  readName,
  reverseName,
} from './dns-wire.ts';
import { udpExchange } from './exchange.ts';
import type { UdpProbeOptions } from './udp.ts';

/**
 * Host names (daemon.md §4.2 step 6, extended by the issue): reverse DNS, then mDNS, then NetBIOS.
 * The reference only asks reverse DNS; the other two find names on home networks where the router
 * publishes none. Both are single unicast datagrams to the scanned host itself: nothing is multicast
 * to the LAN, so no host outside the scan target ever sees a packet.
 */

export const NAME_TIMEOUT_MS = 800;

// ---------------------------------------------------------------- reverse DNS

export interface ReverseDnsOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Nameservers to ask instead of the system's (/etc/resolv.conf), e.g. `10.77.50.2` or `[::1]:5353`. */
  servers?: readonly string[];
}

/**
 * The first PTR name of `ip`, or null (no name, no answer, timeout, abort). Uses the system's
 * nameservers through c-ares rather than getaddrinfo's thread pool, so a dead resolver costs one
 * bounded, cancellable query instead of a blocked libuv thread; /etc/hosts is therefore not consulted.
 */
export async function reverseDns(ip: string, opts: ReverseDnsOptions = {}): Promise<string | null> {
  if (opts.signal?.aborted) return null;
  const timeoutMs = opts.timeoutMs ?? NAME_TIMEOUT_MS;
  const resolver = new dns.promises.Resolver({ timeout: timeoutMs, tries: 1 });
  if (opts.servers) resolver.setServers([...opts.servers]);
  const cancel = () => resolver.cancel();
  const timer = setTimeout(cancel, timeoutMs);
  opts.signal?.addEventListener('abort', cancel, { once: true });
  try {
    const names = await resolver.reverse(ip);
    const name = names.find((n) => n.length > 0);
    return name ? name.replace(/\.$/, '') : null;
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', cancel);
  }
}

// ---------------------------------------------------------------- mDNS (unicast to the host)

/**
 * A "legacy unicast" mDNS query (RFC 6762 §6.7): sent from an ephemeral port to the host's 5353, so
 * the responder answers to us directly, repeating our id. The QU bit asks for a unicast reply too.
 */
export function buildMdnsReverseQuery(id: number, ip: string): Buffer {
  const name = reverseName(ip);
  if (!name) throw new Error(`${ip} is not an IPv4 address`);
  return buildQuery({
    id,
    questions: [{ name, type: DNS_TYPE_PTR, class: DNS_CLASS_IN | MDNS_UNICAST_RESPONSE }],
  });
}

/** The PTR target for `ip` in an mDNS response, without the trailing dot, or undefined. */
export function parseMdnsReverseReply(msg: Buffer, ip: string): string | undefined {
  const reply = parseMessage(msg);
  if ((reply.flags & DNS_FLAG_RESPONSE) === 0) return undefined;
  const wanted = reverseName(ip)?.toLowerCase();
  for (const rr of reply.answers) {
    if (rr.type !== DNS_TYPE_PTR || rr.name.toLowerCase() !== wanted) continue;
    const { name } = readName(msg, rr.dataOffset);
    if (name.length > 0) return name;
  }
  return undefined;
}

export function mdnsName(ip: string, opts: UdpProbeOptions = {}): Promise<string | null> {
  const id = randomInt(0, 0x10000);
  return udpExchange({
    target: ip,
    port: opts.port ?? 5353,
    payload: buildMdnsReverseQuery(id, ip),
    timeoutMs: opts.timeoutMs ?? NAME_TIMEOUT_MS,
    signal: opts.signal,
    accept: (msg) => parseMdnsReverseReply(msg, ip),
  });
}

// ---------------------------------------------------------------- NetBIOS (UDP 137)

/** NetBIOS first-level encoding (RFC 1001 §14.1): each byte becomes two letters 'A' + nibble. */
export function encodeNetbiosName(name: string, suffix = 0x00, pad = 0x20): string {
  const bytes = Buffer.alloc(16, pad);
  Buffer.from(name, 'latin1').copy(bytes, 0, 0, 15);
  bytes[15] = suffix;
  let out = '';
  for (const b of bytes) out += String.fromCharCode(0x41 + (b >> 4), 0x41 + (b & 0x0f));
  return out;
}

/** The wildcard name "*" padded with NULs, as a node status request asks for. */
const NBSTAT_WILDCARD = encodeNetbiosName('*', 0x00, 0x00);

/** A NODE STATUS REQUEST (RFC 1002 §4.2.17): question `*`, type NBSTAT, class IN, no flags. */
export function buildNetbiosStatusQuery(id: number): Buffer {
  return buildQuery({
    id,
    questions: [{ name: NBSTAT_WILDCARD, type: DNS_TYPE_NBSTAT, class: DNS_CLASS_IN }],
  });
}

export interface NetbiosStatus {
  /** The workstation name: the first unique name with suffix 0x00. */
  name: string;
  /** The workgroup or domain: the first group name with suffix 0x00, when present. */
  group: string | null;
  /** The unit id from the statistics block, or null when absent or all zeros (e.g. Samba). */
  mac: string | null;
}

/** Parses a NODE STATUS RESPONSE to query `id`; undefined when it is not one or names no workstation. */
export function parseNetbiosStatusReply(msg: Buffer, id: number): NetbiosStatus | undefined {
  const reply = parseMessage(msg);
  if (reply.id !== id || (reply.flags & DNS_FLAG_RESPONSE) === 0) return undefined;
  const rr = reply.answers.find((a) => a.type === DNS_TYPE_NBSTAT);
  if (!rr || rr.data.length < 1) return undefined;
  const count = rr.data[0];
  if (rr.data.length < 1 + count * 18) return undefined;
  let name: string | null = null;
  let group: string | null = null;
  for (let i = 0; i < count; i++) {
    const entry = rr.data.subarray(1 + i * 18, 1 + (i + 1) * 18);
    const label = entry.toString('latin1', 0, 15).replace(/[\s\0]+$/, '');
    const suffix = entry[15];
    const isGroup = (entry.readUInt16BE(16) & 0x8000) !== 0;
    if (suffix !== 0x00 || label.length === 0) continue;
    if (!isGroup && name === null) name = label;
    if (isGroup && group === null) group = label;
  }
  if (name === null) return undefined;
  const unit = rr.data.subarray(1 + count * 18, 1 + count * 18 + 6);
  const mac =
    unit.length === 6 && unit.some((b) => b !== 0)
      ? [...unit].map((b) => b.toString(16).padStart(2, '0')).join(':')
      : null;
  return { name, group, mac };
}

export function netbiosStatus(ip: string, opts: UdpProbeOptions = {}): Promise<NetbiosStatus | null> {
  const id = randomInt(0, 0x10000);
  return udpExchange({
    target: ip,
    port: opts.port ?? 137,
    payload: buildNetbiosStatusQuery(id),
    timeoutMs: opts.timeoutMs ?? NAME_TIMEOUT_MS,
    signal: opts.signal,
    accept: (msg) => parseNetbiosStatusReply(msg, id),
  });
}

// ---------------------------------------------------------------- combined

export type NameSource = 'dns' | 'mdns' | 'netbios';

export interface HostName {
  name: string;
  source: NameSource;
}

export interface HostNameOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Which sources to ask; all three by default. */
  sources?: readonly NameSource[];
  /** Nameservers for reverse DNS instead of the system's. */
  dnsServers?: readonly string[];
}

/**
 * Asks every source at once (so a host costs one timeout, not three) and keeps the most authoritative
 * answer: reverse DNS, then mDNS, then NetBIOS. Null when none answered.
 */
export async function lookupHostName(ip: string, opts: HostNameOptions = {}): Promise<HostName | null> {
  const sources = opts.sources ?? ['dns', 'mdns', 'netbios'];
  const base = { timeoutMs: opts.timeoutMs, signal: opts.signal };
  const [fromDns, fromMdns, fromNetbios] = await Promise.all([
    sources.includes('dns') ? reverseDns(ip, { ...base, servers: opts.dnsServers }) : null,
    sources.includes('mdns') && reverseName(ip) ? mdnsName(ip, base) : null,
    sources.includes('netbios') && reverseName(ip) ? netbiosStatus(ip, base) : null,
  ]);
  if (fromDns) return { name: fromDns, source: 'dns' };
  if (fromMdns) return { name: fromMdns, source: 'mdns' };
  if (fromNetbios) return { name: fromNetbios.name, source: 'netbios' };
  return null;
}
