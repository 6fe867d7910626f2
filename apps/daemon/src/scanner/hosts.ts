import dgram from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { normalizeMac } from '@scanopy/contracts';
import { listOwnIpv4, type OwnAddress } from '../platform/interfaces.ts';
import { cidrContains, networkCidr, parseCidr } from '../platform/ipv4.ts';
import { sleep, systemClock, type Clock } from './clock.ts';
import { Pacer, Semaphore, socketBudget } from './pacer.ts';
import type { ScanSettings } from './presets.ts';
import type { ScanScope } from './scope.ts';
import { ScanSignal } from './signal.ts';
import { defaultConnectAttempt } from './native-connect.ts';
import { connectAttempt, LocalProbeError, probeTcpPort, type ConnectAttempt } from './tcp.ts';

/**
 * Host discovery (ARCHITECTURE.md §6, daemon.md §4.1/§4.5), unprivileged:
 *  - on subnets this machine has an interface in, it "nudges" every address with an empty UDP datagram to the
 *    discard port (9). To send it the kernel must resolve the address, so it broadcasts ARP requests itself;
 *    live hosts answer and land in the kernel's neighbour table, which is then read for their MACs. No raw
 *    socket, no CAP_NET_RAW;
 *  - on subnets without an interface (routed), a host is alive when any of a few common TCP ports answers,
 *    SYN-ACK or RST.
 * Only addresses the scope allows are ever touched.
 */

export interface DiscoveredHost {
  ip: string;
  /** From the neighbour table on directly connected subnets; null behind a router. */
  mac: string | null;
  via: 'neighbour' | 'tcp';
  /** Interface the neighbour entry is on (neighbour) or the port that answered (tcp). */
  interface: string | null;
  port: number | null;
  /** Round trip of the TCP answer that proved it alive (ms): the first sample of its port-scan timeout. */
  rtt_ms: number | null;
}

export interface NeighbourEntry {
  ip: string;
  mac: string;
  device: string;
}

/** The kernel neighbour table and its ARP timing, behind an adapter so discovery is testable. */
export interface NeighbourSource {
  /** Entries with a resolved hardware address (REACHABLE, STALE, DELAY, PROBE, PERMANENT). */
  read(): Promise<NeighbourEntry[]>;
  /** How many broadcast requests the kernel sends per resolution, and how far apart (ms). */
  arpTiming(device: string): Promise<{ solicit: number; retransMs: number }>;
}

const ATF_COM = 0x2;

/** Parses /proc/net/arp: complete entries only (ATF_COM), MACs lower-cased. */
export function parseProcArp(text: string): NeighbourEntry[] {
  const out: NeighbourEntry[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6) continue;
    const flags = Number.parseInt(f[2], 16);
    const mac = normalizeMac(f[3]);
    if (!(flags & ATF_COM) || !mac) continue;
    out.push({ ip: f[0], mac, device: f[5] });
  }
  return out;
}

async function readNumber(path: string, fallback: number): Promise<number> {
  try {
    const n = Number((await readFile(path, 'utf8')).trim());
    return Number.isFinite(n) && n > 0 ? n : fallback;
  } catch {
    return fallback;
  }
}

/** Linux: /proc/net/arp and /proc/sys/net/ipv4/neigh/<dev>/ (of the network namespace the daemon runs in). */
export const procNeighbours: NeighbourSource = {
  async read() {
    try {
      return parseProcArp(await readFile('/proc/net/arp', 'utf8'));
    } catch {
      return [];
    }
  },
  async arpTiming(device) {
    const dir = `/proc/sys/net/ipv4/neigh/${device}`;
    return {
      solicit: await readNumber(`${dir}/mcast_solicit`, 3),
      retransMs: await readNumber(`${dir}/retrans_time_ms`, 1000),
    };
  },
};

/** Sends one nudge (anything that makes the kernel resolve the address). */
export interface Nudger {
  nudge(ip: string): void;
  close(): void;
}

/** An empty UDP datagram to port 9 (discard): harmless to the target, enough to make the kernel ARP. */
export function udpNudger(): Nudger {
  const socket = dgram.createSocket('udp4');
  // Failures (e.g. EHOSTUNREACH once ARP gave up) are the expected outcome for empty addresses.
  socket.on('error', () => undefined);
  const empty = Buffer.alloc(0);
  return {
    nudge(ip) {
      socket.send(empty, 9, ip, () => undefined);
    },
    close() {
      socket.close();
    },
  };
}

/** Ports tried on routed subnets: the services most hosts run or reject politely. */
export const COMMON_TCP_PORTS: readonly number[] = [
  80, 443, 22, 445, 139, 3389, 8080, 53, 8443, 21, 23, 25, 5900, 9100, 631, 548, 1883, 8000,
];

export interface HostDiscoveryOptions {
  scope: ScanScope;
  /** ARP request frames per second (the reference's `arp_rate_pps`, default 50). */
  arp_rate_pps: number;
  /** Extra ARP attempts per unanswered address (the reference's `arp_retries`, default 2). */
  arp_retries: number;
  /** Rates, window and timeouts for the TCP probes on routed subnets. */
  settings: ScanSettings;
  /** TCP ports that prove a routed host alive; default `COMMON_TCP_PORTS` (pass the catalog's). */
  probePorts?: readonly number[];
  /** Own addresses; default: this machine's non-loopback IPv4 addresses. */
  interfaces?: readonly OwnAddress[];
  neighbours?: NeighbourSource;
  nudger?: Nudger;
  attempt?: ConnectAttempt;
  signal?: AbortSignal;
  clock?: Clock;
  /** How often the neighbour table is read while nudging (results flow early). Default 500 ms. */
  pollMs?: number;
  socketBudget?: number;
}

/** How the addresses of a scope split into directly connected (per interface) and routed ones. */
export function partitionTargets(
  targets: readonly string[],
  interfaces: readonly OwnAddress[],
): { connected: Map<string, string[]>; routed: string[] } {
  const own = new Set(interfaces.map((i) => i.ip));
  const nets = interfaces
    .filter((i) => i.mac !== null && i.prefix < 32)
    .map((i) => ({ name: i.name, cidr: parseCidr(networkCidr(i.ip, i.prefix))! }))
    .sort((a, b) => b.cidr.prefix - a.cidr.prefix);
  const connected = new Map<string, string[]>();
  const routed: string[] = [];
  for (const ip of targets) {
    if (own.has(ip)) continue;
    const net = nets.find((n) => cidrContains(n.cidr, ip));
    if (!net) routed.push(ip);
    else if (connected.has(net.name)) connected.get(net.name)!.push(ip);
    else connected.set(net.name, [ip]);
  }
  return { connected, routed };
}

/** A running discovery: iterate it for hosts as they are found; `done` resolves with all of them. */
export class HostDiscovery implements AsyncIterable<DiscoveredHost> {
  readonly done: Promise<DiscoveredHost[]>;
  private readonly found = new Map<string, DiscoveredHost>();
  private readonly queue: DiscoveredHost[] = [];
  private notify: (() => void) | null = null;
  private finished = false;
  private readonly clock: Clock;
  /** Follows the caller's signal; sockets and waiters listen to this one. */
  private readonly abort: ScanSignal;

  constructor(private readonly options: HostDiscoveryOptions) {
    this.clock = options.clock ?? systemClock;
    this.abort = new ScanSignal(options.signal);
    this.done = this.run().finally(() => {
      this.finished = true;
      this.notify?.();
    });
  }

  async *[Symbol.asyncIterator](): AsyncIterator<DiscoveredHost> {
    for (;;) {
      while (this.queue.length > 0) yield this.queue.shift()!;
      if (this.finished) return;
      await new Promise<void>((resolve) => (this.notify = resolve));
      this.notify = null;
    }
  }

  private add(host: DiscoveredHost): void {
    if (this.found.has(host.ip)) return;
    this.found.set(host.ip, host);
    this.queue.push(host);
    this.notify?.();
  }

  private async run(): Promise<DiscoveredHost[]> {
    const { scope } = this.options;
    const signal = this.abort;
    const { connected, routed } = partitionTargets(scope.targets(), this.options.interfaces ?? listOwnIpv4());
    try {
      await Promise.all([
        ...[...connected].map(([device, ips]) => this.nudgeAndRead(device, ips)),
        this.probeRouted(routed),
      ]);
    } catch (err) {
      if (!signal.aborted) throw err;
    }
    return [...this.found.values()];
  }

  /**
   * Nudges at a pace that keeps ARP frames ≤ arp_rate_pps: each nudge of an unresolved address makes the kernel
   * send `solicit` requests `retransMs` apart, so nudges go out at arp_rate_pps ÷ solicit. Rounds: enough that
   * every silent address gets 1 + arp_retries requests, like the reference's rounds of one frame each.
   */
  private async nudgeAndRead(device: string, ips: readonly string[]): Promise<void> {
    const { scope } = this.options;
    const signal = this.abort;
    const neighbours = this.options.neighbours ?? procNeighbours;
    const { solicit, retransMs } = await neighbours.arpTiming(device);
    const rounds = Math.max(1, Math.ceil((1 + this.options.arp_retries) / solicit));
    const pacer = new Pacer({
      hostPps: 0,
      globalPps: this.options.arp_rate_pps / solicit,
      clock: this.clock,
    });
    const lane = pacer.lane(device);
    const nudger = this.options.nudger ?? udpNudger();
    const nudged = new Set<string>();
    const collect = async () => {
      for (const e of await neighbours.read()) {
        if (nudged.has(e.ip) && e.device === device)
          this.add({ ip: e.ip, mac: e.mac, via: 'neighbour', interface: device, port: null, rtt_ms: null });
      }
    };
    const pollSignal = new ScanSignal(signal);
    const poller = (async () => {
      for (;;) {
        try {
          await sleep(this.clock, this.options.pollMs ?? 500, pollSignal);
        } catch {
          return;
        }
        await collect();
      }
    })();
    try {
      for (let round = 0; round < rounds; round++) {
        const pending = ips.filter((ip) => !this.found.has(ip));
        if (pending.length === 0) break;
        for (const ip of pending) {
          if (this.found.has(ip)) continue;
          await pacer.start(lane, signal);
          scope.assert(ip);
          nudger.nudge(ip);
          nudged.add(ip);
        }
        // Let the kernel finish resolving (or give up on) the last addresses before reading or re-nudging.
        await sleep(this.clock, solicit * retransMs + 500, signal);
        await collect();
      }
    } finally {
      pollSignal.abort();
      pollSignal.dispose();
      nudger.close();
      await poller;
    }
  }

  /** Routed addresses: alive when any probe port answers; a host stops being probed once it has answered. */
  private async probeRouted(ips: readonly string[]): Promise<void> {
    if (ips.length === 0) return;
    const { scope, settings: s } = this.options;
    const signal = this.abort;
    const ports = this.options.probePorts ?? COMMON_TCP_PORTS;
    const pacer = new Pacer({ hostPps: s.scan_rate_pps, globalPps: s.global_pps, clock: this.clock });
    const budget = Math.max(1, this.options.socketBudget ?? socketBudget());
    const sockets = new Semaphore(budget);
    const queue = [...ips];
    const workers = Math.max(1, Math.min(queue.length, Math.floor(budget / Math.max(1, ports.length)), 64));
    const attempt = this.options.attempt ?? defaultConnectAttempt(connectAttempt);
    const probeHost = async (ip: string) => {
      const hostSignal = new ScanSignal(signal);
      const lane = pacer.lane(ip);
      try {
        await Promise.all(
          ports.map(async (port) => {
            try {
              await sockets.acquire(hostSignal);
            } catch {
              return;
            }
            let rtt: number | null = null;
            try {
              const r = await probeTcpPort(ip, port, {
                timeoutMs: s.connect_timeout_ms,
                retries: s.retries,
                retryDelayMs: s.retry_delay_ms,
                clock: this.clock,
                signal: hostSignal,
                attempt,
                beforeAttempt: async () => {
                  scope.assert(ip);
                  await pacer.start(lane, hostSignal);
                },
                afterAttempt: (outcome, info) => {
                  if (outcome.kind === 'open' || outcome.kind === 'closed') rtt = info.elapsedMs;
                },
              });
              if (r.state === 'open' || r.state === 'closed') {
                this.add({ ip, mac: null, via: 'tcp', interface: null, port, rtt_ms: rtt });
                hostSignal.abort();
              } else if (r.state === 'unreachable') hostSignal.abort();
            } catch (err) {
              // Aborted (answered elsewhere, unreachable, cancelled) or a local error: this port proves nothing.
              if (!(err instanceof LocalProbeError) && !hostSignal.aborted) throw err;
            } finally {
              sockets.release();
            }
          }),
        );
      } finally {
        hostSignal.dispose();
      }
    };
    await Promise.all(
      Array.from({ length: workers }, async () => {
        for (let ip = queue.shift(); ip !== undefined && !signal.aborted; ip = queue.shift())
          await probeHost(ip);
      }),
    );
  }
}

export function discoverHosts(options: HostDiscoveryOptions): HostDiscovery {
  return new HostDiscovery(options);
}
