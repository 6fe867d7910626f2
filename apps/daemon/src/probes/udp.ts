import { randomBytes, randomInt } from 'node:crypto';
import dgram from 'node:dgram';
import { decodeSnmpMessage, encodeSnmpGet, PDU_RESPONSE } from './ber.ts';
import {
  buildQuery,
  DNS_CLASS_IN,
  DNS_FLAG_RECURSION_DESIRED,
  DNS_FLAG_RESPONSE,
  DNS_TYPE_A,
  parseMessage,
} from './dns-wire.ts';
import { runPool, udpExchange } from './exchange.ts';

/**
 * UDP protocol probes (daemon.md §4.3). Only five UDP ports have a probe; a UDP port is reported open
 * only when its protocol answered correctly, never for mere silence. Every probe is bounded by a timeout
 * (2 s by default, as in the reference) and an AbortSignal, and never rejects: null means "not open".
 */

export const UDP_PROBE_TIMEOUT_MS = 2000;
/** Most UDP probes in flight for one host. */
export const UDP_PROBE_CONCURRENCY = 10;

export interface UdpProbeOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Overrides the well-known port (tests run responders on unprivileged ports). */
  port?: number;
}

// ---------------------------------------------------------------- DNS (53)

/** The reference asks for google.com; any name works, since any well-formed reply proves a DNS server. */
export const DNS_PROBE_NAME = 'google.com';

export function buildDnsProbe(id: number, name = DNS_PROBE_NAME): Buffer {
  return buildQuery({
    id,
    flags: DNS_FLAG_RECURSION_DESIRED,
    questions: [{ name, type: DNS_TYPE_A, class: DNS_CLASS_IN }],
  });
}

export interface DnsProbeResult {
  /** Response code: 0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, 5 REFUSED… any of them means a server answered. */
  rcode: number;
  answers: number;
}

/** A well-formed response to query `id`, or undefined. */
export function parseDnsProbeReply(msg: Buffer, id: number): DnsProbeResult | undefined {
  const reply = parseMessage(msg);
  if (reply.id !== id || (reply.flags & DNS_FLAG_RESPONSE) === 0) return undefined;
  return { rcode: reply.rcode, answers: reply.answers.length };
}

/** An A query with the target as the only nameserver; any well-formed reply with our id counts. */
export function probeDns(ip: string, opts: UdpProbeOptions = {}): Promise<DnsProbeResult | null> {
  const id = randomInt(0, 0x10000);
  return udpExchange({
    target: ip,
    port: opts.port ?? 53,
    payload: buildDnsProbe(id),
    timeoutMs: opts.timeoutMs ?? UDP_PROBE_TIMEOUT_MS,
    signal: opts.signal,
    accept: (msg) => parseDnsProbeReply(msg, id),
  });
}

// ---------------------------------------------------------------- NTP (123)

/** Seconds between the NTP era 0 epoch (1900) and the Unix epoch (1970). */
const NTP_UNIX_OFFSET = 2_208_988_800;

/**
 * An SNTPv4 client request (RFC 4330 §4): LI 0, version 4, mode 3, everything zero except the transmit
 * timestamp, which carries `nonce` (random, as RFC 9109 recommends) for the server to echo as originate.
 */
export function buildNtpRequest(nonce: Buffer): Buffer {
  if (nonce.length !== 8) throw new Error('the NTP nonce is 8 bytes');
  const packet = Buffer.alloc(48);
  packet[0] = (0 << 6) | (4 << 3) | 3;
  nonce.copy(packet, 40);
  return packet;
}

export interface NtpProbeResult {
  stratum: number;
  /** The server's transmit timestamp. */
  serverTime: Date;
}

/** NTP seconds (32-bit, wrapping in 2036) to a Date, assuming the era closest to 1970–2105. */
function ntpToDate(seconds: number, fraction: number): Date {
  const unix = seconds >= NTP_UNIX_OFFSET ? seconds - NTP_UNIX_OFFSET : seconds + 2 ** 32 - NTP_UNIX_OFFSET;
  return new Date(unix * 1000 + Math.floor((fraction / 2 ** 32) * 1000));
}

/** A server-mode reply echoing our nonce with a non-zero transmit timestamp, or undefined. */
export function parseNtpReply(msg: Buffer, nonce: Buffer): NtpProbeResult | undefined {
  if (msg.length < 48) return undefined;
  const mode = msg[0] & 0x07;
  if (mode !== 4) return undefined;
  if (!msg.subarray(24, 32).equals(nonce)) return undefined;
  const seconds = msg.readUInt32BE(40);
  const fraction = msg.readUInt32BE(44);
  if (seconds === 0 && fraction === 0) return undefined;
  return { stratum: msg[1], serverTime: ntpToDate(seconds, fraction) };
}

export function probeNtp(ip: string, opts: UdpProbeOptions = {}): Promise<NtpProbeResult | null> {
  const nonce = randomBytes(8);
  return udpExchange({
    target: ip,
    port: opts.port ?? 123,
    payload: buildNtpRequest(nonce),
    timeoutMs: opts.timeoutMs ?? UDP_PROBE_TIMEOUT_MS,
    signal: opts.signal,
    accept: (msg) => parseNtpReply(msg, nonce),
  });
}

// ---------------------------------------------------------------- SNMP (161)

export const SYS_DESCR_OID = '1.3.6.1.2.1.1.1.0';
export const SNMP_PROBE_COMMUNITY = 'public';

export interface SnmpProbeResult {
  /** sysDescr.0 as text, or null when the agent answered with an error or an exception value. */
  sysDescr: string | null;
}

export function parseSnmpProbeReply(msg: Buffer, requestId: number): SnmpProbeResult | undefined {
  const reply = decodeSnmpMessage(msg);
  if (reply.pduType !== PDU_RESPONSE || reply.requestId !== requestId) return undefined;
  const value = reply.varbinds.find((vb) => vb.oid === SYS_DESCR_OID)?.value;
  return { sysDescr: value?.kind === 'string' ? value.value.toString('utf8') : null };
}

/** SNMPv2c GET sysDescr.0 with community "public"; any response PDU with our request id counts. */
export function probeSnmp(
  ip: string,
  opts: UdpProbeOptions & { community?: string } = {},
): Promise<SnmpProbeResult | null> {
  const requestId = randomInt(1, 0x7fffffff);
  return udpExchange({
    target: ip,
    port: opts.port ?? 161,
    payload: encodeSnmpGet(opts.community ?? SNMP_PROBE_COMMUNITY, requestId, [SYS_DESCR_OID]),
    timeoutMs: opts.timeoutMs ?? UDP_PROBE_TIMEOUT_MS,
    signal: opts.signal,
    accept: (msg) => parseSnmpProbeReply(msg, requestId),
  });
}

// ---------------------------------------------------------------- DHCP (67)

const DHCP_MAGIC_COOKIE = 0x63825363;
const DHCP_DISCOVER = 1;
const DHCP_OFFER = 2;
const DHCP_ACK = 5;
/** Parameter request list of the reference: subnet mask, router, DNS servers, domain name. */
const DHCP_PARAMETERS = [1, 3, 6, 15];
/** BOOTP relays and old servers drop messages shorter than the original 300-byte BOOTP size. */
const BOOTP_MIN_LENGTH = 300;

/** A random unicast, locally administered client hardware address: it can never be a real NIC's. */
export function randomClientMac(): Buffer {
  const mac = randomBytes(6);
  mac[0] = (mac[0] & 0xfc) | 0x02;
  return mac;
}

/** A DHCPDISCOVER (RFC 2131 §4.4.1) with the broadcast flag set, so servers answer even without an IP. */
export function buildDhcpDiscover(xid: number, chaddr: Buffer): Buffer {
  const packet = Buffer.alloc(BOOTP_MIN_LENGTH);
  packet[0] = 1; // op: BOOTREQUEST
  packet[1] = 1; // htype: Ethernet
  packet[2] = 6; // hlen
  packet.writeUInt32BE(xid >>> 0, 4);
  packet.writeUInt16BE(0x8000, 10); // flags: broadcast
  chaddr.copy(packet, 28, 0, 6);
  packet.writeUInt32BE(DHCP_MAGIC_COOKIE, 236);
  const options = [53, 1, DHCP_DISCOVER, 55, DHCP_PARAMETERS.length, ...DHCP_PARAMETERS, 255];
  Buffer.from(options).copy(packet, 240);
  return packet;
}

export interface DhcpProbeResult {
  messageType: 'offer' | 'ack';
  /** The address offered ("your address"). */
  offeredIp: string;
  /** Option 54, when present. */
  serverId: string | null;
}

function ipAt(buf: Buffer, offset: number): string {
  return [...buf.subarray(offset, offset + 4)].join('.');
}

/** An OFFER or ACK answering `xid`, or undefined. */
export function parseDhcpReply(msg: Buffer, xid: number): DhcpProbeResult | undefined {
  if (msg.length < 240 || msg[0] !== 2 || msg.readUInt32BE(4) !== xid >>> 0) return undefined;
  if (msg.readUInt32BE(236) !== DHCP_MAGIC_COOKIE) return undefined;
  let type: number | null = null;
  let serverId: string | null = null;
  for (let pos = 240; pos < msg.length;) {
    const code = msg[pos];
    if (code === 255) break;
    if (code === 0) {
      pos++;
      continue;
    }
    if (pos + 1 >= msg.length) break;
    const len = msg[pos + 1];
    if (pos + 2 + len > msg.length) break;
    if (code === 53 && len === 1) type = msg[pos + 2];
    if (code === 54 && len === 4) serverId = ipAt(msg, pos + 2);
    pos += 2 + len;
  }
  if (type !== DHCP_OFFER && type !== DHCP_ACK) return undefined;
  return { messageType: type === DHCP_OFFER ? 'offer' : 'ack', offeredIp: ipAt(msg, 16), serverId };
}

export interface DhcpProbeOptions extends UdpProbeOptions {
  /** The target subnet's broadcast address: the DISCOVER goes there first, as a client's would. */
  broadcastAddress?: string;
  /** Client port to try first (68); an ephemeral port is used when it cannot be bound. */
  clientPort?: number;
}

/** close() throws on a socket that never bound or is already closed; either way it is gone. */
function closeQuietly(socket: dgram.Socket): void {
  try {
    socket.close();
  } catch {
    /* not running */
  }
}

function bindSocket(socket: dgram.Socket, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const onError = () => resolve(false);
    socket.once('error', onError);
    socket.bind({ port, address: '0.0.0.0', exclusive: true }, () => {
      socket.removeListener('error', onError);
      resolve(true);
    });
  });
}

/**
 * DHCP DISCOVER to a gateway (daemon.md §4.3). Binds UDP 68 when it can, without SO_REUSEADDR so it
 * can never steal this machine's own DHCP client's replies, and otherwise an ephemeral port (servers
 * answering to port 68 are then missed, as in the reference). Sends to the subnet broadcast address
 * (when given) and to the target; only an OFFER or ACK from the target's address with our xid counts.
 * The reference waits for up to three datagrams of 2 s each; this waits one 2 s window for any number.
 */
export async function probeDhcp(ip: string, opts: DhcpProbeOptions = {}): Promise<DhcpProbeResult | null> {
  if (opts.signal?.aborted) return null;
  const xid = randomInt(0, 0x100000000);
  const payload = buildDhcpDiscover(xid, randomClientMac());
  const serverPort = opts.port ?? 67;
  let socket = dgram.createSocket('udp4');
  if (!(await bindSocket(socket, opts.clientPort ?? 68))) {
    closeQuietly(socket);
    socket = dgram.createSocket('udp4');
    if (!(await bindSocket(socket, 0))) {
      closeQuietly(socket);
      return null;
    }
  }
  const bound = socket;
  return new Promise((resolve) => {
    let done = false;
    const finish = (result: DhcpProbeResult | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      bound.removeAllListeners('message');
      closeQuietly(bound);
      resolve(result);
    };
    const onAbort = () => finish(null);
    const timer = setTimeout(() => finish(null), opts.timeoutMs ?? UDP_PROBE_TIMEOUT_MS);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    bound.on('error', () => finish(null));
    bound.on('message', (msg, from) => {
      if (from.address !== ip) return;
      const result = parseDhcpReply(msg, xid);
      if (result) finish(result);
    });
    const sendTo = (address: string) =>
      new Promise<void>((done) => bound.send(payload, serverPort, address, () => done()));
    void (async () => {
      if (opts.broadcastAddress) {
        bound.setBroadcast(true);
        await sendTo(opts.broadcastAddress);
      }
      if (!done) await sendTo(ip);
    })();
  });
}

// ---------------------------------------------------------------- BACnet/IP (47808)

/**
 * BACnet/IP Who-Is, 12 bytes (ASHRAE 135 Annex J and §16.10): BVLC type 0x81, function 0x0a
 * (Original-Unicast-NPDU), length 12; NPDU version 1 with a destination specifier (control 0x20)
 * naming the global network 0xFFFF with hop count 255, so a router answers for the devices behind it
 * too; APDU Unconfirmed-Request (0x10) Who-Is (0x08) without limits, so every device answers.
 */
export const BACNET_WHO_IS = Buffer.from([
  0x81, 0x0a, 0x00, 0x0c, 0x01, 0x20, 0xff, 0xff, 0x00, 0xff, 0x10, 0x08,
]);

export interface BacnetProbeResult {
  /** BVLC function of the reply, e.g. 0x0a Original-Unicast-NPDU carrying an I-Am. */
  bvlcFunction: number;
}

/** The reference's acceptance rule: any BACnet/IP frame (type 0x81) of at least 4 bytes. */
export function parseBacnetReply(msg: Buffer): BacnetProbeResult | undefined {
  if (msg.length < 4 || msg[0] !== 0x81) return undefined;
  return { bvlcFunction: msg[1] };
}

export function probeBacnet(ip: string, opts: UdpProbeOptions = {}): Promise<BacnetProbeResult | null> {
  return udpExchange({
    target: ip,
    port: opts.port ?? 47808,
    payload: BACNET_WHO_IS,
    timeoutMs: opts.timeoutMs ?? UDP_PROBE_TIMEOUT_MS,
    signal: opts.signal,
    accept: parseBacnetReply,
  });
}

// ---------------------------------------------------------------- runner

export type UdpFinding =
  | ({ protocol: 'dns'; port: 53 } & DnsProbeResult)
  | ({ protocol: 'ntp'; port: 123 } & NtpProbeResult)
  | ({ protocol: 'snmp'; port: 161 } & SnmpProbeResult)
  | ({ protocol: 'dhcp'; port: 67 } & DhcpProbeResult)
  | ({ protocol: 'bacnet'; port: 47808 } & BacnetProbeResult);

/** The UDP ports that have a protocol probe; any other UDP port is never reported open by a scan. */
export const PROBED_UDP_PORTS: readonly number[] = [53, 67, 123, 161, 47808];

export interface UdpScanOptions {
  /**
   * Whether the target is a routing-table gateway (see gateways.ts). The DHCP probe runs only then:
   * DHCP servers on ordinary hosts are left alone, as in the reference.
   */
  isGateway: boolean;
  /** The target subnet's broadcast address, for the DHCP DISCOVER. */
  broadcastAddress?: string;
  /** Probe starts per second for this host (`scan_rate_pps`); 0 means no stagger. */
  ratePps: number;
  /** Awaited before each probe starts, e.g. a session-wide rate limiter. */
  pace?: () => Promise<void>;
  signal?: AbortSignal;
  timeoutMs?: number;
  concurrency?: number;
}

function probeFor(port: number, ip: string, opts: UdpScanOptions): (() => Promise<UdpFinding | null>) | null {
  const base = { timeoutMs: opts.timeoutMs, signal: opts.signal };
  switch (port) {
    case 53:
      return async () => {
        const r = await probeDns(ip, base);
        return r && { protocol: 'dns', port: 53, ...r };
      };
    case 123:
      return async () => {
        const r = await probeNtp(ip, base);
        return r && { protocol: 'ntp', port: 123, ...r };
      };
    case 161:
      return async () => {
        const r = await probeSnmp(ip, base);
        return r && { protocol: 'snmp', port: 161, ...r };
      };
    case 67:
      if (!opts.isGateway) return null;
      return async () => {
        const r = await probeDhcp(ip, { ...base, broadcastAddress: opts.broadcastAddress });
        return r && { protocol: 'dhcp', port: 67, ...r };
      };
    case 47808:
      return async () => {
        const r = await probeBacnet(ip, base);
        return r && { protocol: 'bacnet', port: 47808, ...r };
      };
    default:
      return null;
  }
}

/**
 * Runs the protocol probe of each candidate UDP port (the catalog's UDP ports) that has one: at most
 * 10 at once, each start staggered by 1000 / ratePps ms. Returns the ports that answered, by port
 * number. On abort, stops early with what was found so far.
 */
export async function scanUdpPorts(
  ip: string,
  candidatePorts: Iterable<number>,
  opts: UdpScanOptions,
): Promise<UdpFinding[]> {
  const probes = [...new Set(candidatePorts)]
    .sort((a, b) => a - b)
    .map((port) => probeFor(port, ip, opts))
    .filter((p): p is () => Promise<UdpFinding | null> => p !== null);
  const results = await runPool(
    probes,
    {
      concurrency: opts.concurrency ?? UDP_PROBE_CONCURRENCY,
      staggerMs: opts.ratePps > 0 ? 1000 / opts.ratePps : 0,
      pace: opts.pace,
      signal: opts.signal,
    },
    (probe) => probe(),
  );
  return results.filter((r): r is UdpFinding => r !== undefined && r !== null);
}
