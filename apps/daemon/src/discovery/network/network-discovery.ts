import type { DiscoveryMetadata, Subnet } from '@scanopy/contracts';
import {
  catalogHttpEndpoints,
  catalogTcpPorts,
  catalogUdpPorts,
  endpointOnlyPorts,
  type HttpResponse,
  type SubnetType,
} from '@scanopy/detection';
import type { DiscoverySink } from '../../link/server-api.ts';
import type { OwnAddress } from '../../platform/interfaces.ts';
import { cidrContains, parseCidr } from '../../platform/ipv4.ts';
import {
  broadcastAddressOf,
  isGateway,
  lookupHostName,
  macVendor,
  readGateways,
  scanCatchAll,
  scanHttpEndpoints,
  scanUdpPorts,
} from '../../probes/index.ts';
import { setTimeout as delay } from 'node:timers/promises';
import {
  discoverHosts,
  estimateScan,
  planSize,
  RateGate,
  FULL_RANGE,
  isPresetName,
  parsePortSpec,
  resolveScanSettings,
  scanPorts,
  ScanScope,
  type PortPlan,
  type ScanSettings,
} from '../../scanner/index.ts';
import { newSubnet } from '../entities.ts';
import { ReliableSink } from '../reliable-sink.ts';
import type { DiscoveryRunner, SessionContext } from '../session-manager.ts';
import { deriveSubnets } from '../subnets.ts';
import { buildHostReport, type ScannedHost } from './report.ts';

/** Daemon settings a network discovery reads (daemon.md §1.2 keys). */
export interface NetworkScanConfig {
  scan_rate_pps: number;
  port_scan_batch_size: number;
  /** Worker threads for the connects (0 = one per core, 1 = in-process); absent = one per core. */
  scan_workers?: number;
  arp_rate_pps: number;
  arp_retries: number;
  accept_invalid_scan_certs: boolean;
  /** SCANOPY_SCAN_ALLOW, parsed: only addresses inside these CIDRs are ever touched; null = no pin. */
  scan_allow: string[] | null;
}

export interface NetworkDiscoveryDeps {
  sink: DiscoverySink;
  config: () => NetworkScanConfig;
  /** This machine's IPv4 addresses, narrowed by the `interfaces` setting. */
  listAddresses: () => OwnAddress[];
  /** Routing-table gateways; defaults to /proc/net/route. */
  gateways?: () => Promise<string[]>;
  /** Nameservers for reverse DNS (tests point them into the lab); default: the system's. */
  dnsServers?: readonly string[];
}

/** The Network fields of the discovery type, including this implementation's optional scan settings. */
interface NetworkRequest {
  subnet_ids: string[] | null;
  host_naming_fallback: 'Ip' | 'BestService';
  probe_raw_socket_ports?: boolean;
  scan_preset?: string | null;
  /** "catalog" (the catalog's ports only), "all" (the default: catalog first, then 1–65535) or a list of ranges. */
  ports?: string | null;
  exclusions?: string[] | null;
}

interface Target {
  subnet: Subnet;
  cidr: string;
}

/** Share of the progress bar each stage takes. */
const HOST_DISCOVERY_SHARE = 10;

/**
 * Network discovery (daemon.md §4, ARCHITECTURE §6): live hosts of the chosen subnets by paced neighbour
 * nudges (connected) or TCP probes (routed), a paced TCP scan of each, UDP protocol and HTTP endpoint probes,
 * names, MAC vendors and gateways, then service matching; each host is posted as soon as it is done.
 */
export class NetworkDiscoveryRunner implements DiscoveryRunner {
  constructor(private readonly deps: NetworkDiscoveryDeps) {}

  async run(ctx: SessionContext): Promise<void> {
    if (ctx.discoveryType.type !== 'Network')
      throw new Error('NetworkDiscoveryRunner got a non-Network session');
    const request = ctx.discoveryType as unknown as NetworkRequest;
    const config = this.deps.config();
    const log = ctx.log;
    const sink = new ReliableSink(this.deps.sink, { log });

    const targets = await this.targets(ctx, sink, request);
    if (!targets.length)
      throw new Error('no subnet to scan: none of the chosen subnets is an IPv4 LAN subnet');
    const scope = ScanScope.create({
      subnets: targets.map((t) => t.cidr),
      exclude: request.exclusions ?? [],
      allow: config.scan_allow,
    });
    for (const note of scope.notes) log.warn(note);
    const settings = resolveScanSettings({
      preset: isPresetName(request.scan_preset) ? request.scan_preset : null,
      daemon: { scan_rate_pps: config.scan_rate_pps, port_scan_batch_size: config.port_scan_batch_size },
    });
    const plan = portPlan(request.ports);
    log.info(
      { subnets: targets.map((t) => t.cidr), addresses: scope.size, preset: settings.preset },
      'network discovery scope',
    );
    await ctx.started();

    const metadata: DiscoveryMetadata = {
      type: 'Network',
      subnet_ids: request.subnet_ids,
      host_naming_fallback: request.host_naming_fallback,
      daemon_id: ctx.daemonId,
      date: new Date().toISOString(),
    };
    const gateways = await (this.deps.gateways ?? (() => readGateways()))().catch(() => []);

    // 1. Live hosts, streamed into 2. the port scan: each host found is scanned at once, all of them
    // concurrently, paced per host and globally, while host discovery goes on over the rest of the addresses.
    const discovery = discoverHosts({
      scope,
      arp_rate_pps: config.arp_rate_pps,
      arp_retries: config.arp_retries,
      settings,
      probePorts: catalogTcpPorts,
      interfaces: this.deps.listAddresses(),
      signal: ctx.signal,
    });
    const macs = new Map<string, string | null>();
    let discovered = false;
    const found = async function* () {
      for await (const h of discovery) {
        macs.set(h.ip, h.mac);
        yield { ip: h.ip, rtt_ms: h.rtt_ms };
      }
    };
    const scan = scanPorts({
      hosts: found(),
      plan,
      settings,
      scope,
      signal: ctx.signal,
      workers: config.scan_workers,
    });
    void scan.done
      .then(() => {
        if (scan.workerError)
          log.warn({ err: scan.workerError }, 'scan workers failed: connects ran in-process');
      })
      .catch(() => undefined);
    let done = 0;
    let reported = 0;
    void discovery.done
      .then(async (live) => {
        discovered = true;
        if (ctx.signal.aborted) return;
        // The estimate refined from the hosts actually found.
        const refined = estimateScan(live.length, planSize(plan), settings);
        log.info(
          { live: live.length, port_scan_s: refined.port_scan_s, per_host_pps: refined.per_host_pps },
          'host discovery finished',
        );
        if (reported < HOST_DISCOVERY_SHARE) {
          reported = HOST_DISCOVERY_SHARE;
          await ctx.progress(HOST_DISCOVERY_SHARE);
        }
      })
      .catch(() => undefined);
    const posts: Promise<void>[] = [];
    for await (const event of scan) {
      if (event.type !== 'host') continue;
      const result = event.result;
      if (result.status === 'cancelled') continue;
      const { open, filtered, ...summary } = result;
      log.info({ ...summary, open: open.length, filtered: filtered.length }, 'host scanned');
      posts.push(
        this.finishHost(ctx, sink, {
          ip: result.host,
          mac: macs.get(result.host) ?? null,
          openTcp: result.open,
          target: targets.find((t) => cidrContains(parseCidr(t.cidr)!, result.host))!,
          settings,
          request,
          metadata,
          gateways,
        }).catch((err: unknown) => {
          if (!ctx.signal.aborted)
            log.warn({ ip: result.host, err: (err as Error).message }, 'host not reported');
        }),
      );
      done++;
      // Hosts found so far; the share only moves forward, and stays below the end until discovery is over.
      const share = HOST_DISCOVERY_SHARE + ((100 - HOST_DISCOVERY_SHARE) * done) / scan.progress.hosts_total;
      const next = Math.floor(discovered ? share : Math.min(share, 99));
      if (next > reported) {
        reported = next;
        await ctx.progress(next);
      }
    }
    await discovery.done;
    await scan.done;
    await Promise.all(posts);
  }

  /** Probes one scanned host (UDP, HTTP, name), matches its services and posts it. */
  private async finishHost(
    ctx: SessionContext,
    sink: ReliableSink,
    h: {
      ip: string;
      mac: string | null;
      openTcp: number[];
      target: Target;
      settings: ScanSettings;
      request: NetworkRequest;
      metadata: DiscoveryMetadata;
      gateways: string[];
    },
  ): Promise<void> {
    const config = this.deps.config();
    const t0 = performance.now();
    const cidr = parseCidr(h.target.cidr)!;
    const gateway = isGateway(h.ip, h.gateways, cidr);
    const open = new Set(h.openTcp);
    // Endpoint probes open connections too: they share the host's scan_rate_pps with nothing else running
    // against it by then, so a fragile host never sees more connection attempts per second than the scan's.
    const pace = hostPace(h.settings.scan_rate_pps, ctx.signal);
    // Ports whose endpoint probe was refused (closed), and when each probe stage ended (ms), for the host's log line.
    const refused = new Set<number>();
    const phases: Record<string, number> = {};
    const timed = async <T>(key: string, p: Promise<T>): Promise<T> => {
      const value = await p;
      phases[key] = Math.round(performance.now() - t0);
      return value;
    };
    const [udp, http, name] = await Promise.all([
      timed(
        'udp_ms',
        scanUdpPorts(h.ip, catalogUdpPorts, {
          isGateway: gateway,
          broadcastAddress: broadcastAddressOf(cidr) ?? undefined,
          ratePps: h.settings.scan_rate_pps,
          signal: ctx.signal,
        }),
      ),
      timed(
        'http_ms',
        scanHttpEndpoints(h.ip, catalogHttpEndpoints, {
          pace,
          batchSize: h.settings.port_scan_batch_size,
          ports: new Set([...open, ...endpointOnlyPorts]),
          refused,
          probeRawSocketPorts: h.request.probe_raw_socket_ports ?? false,
          acceptInvalidCerts: config.accept_invalid_scan_certs,
          signal: ctx.signal,
        }),
      ),
      timed('name_ms', lookupHostName(h.ip, { signal: ctx.signal, dnsServers: this.deps.dnsServers })),
    ]);
    // A server that answers any path the same way must not be named after a path it was asked for.
    const randomPaths = await scanCatchAll(h.ip, http, {
      pace,
      batchSize: h.settings.port_scan_batch_size,
      acceptInvalidCerts: config.accept_invalid_scan_certs,
      signal: ctx.signal,
    });
    if (ctx.signal.aborted) return;
    const asResponse = (r: (typeof http)[number]): HttpResponse => ({
      port: r.endpoint.port,
      path: r.endpoint.path,
      status: r.status,
      headers: r.headers,
      body: r.body,
    });
    const responses = http.map(asResponse);
    // The scan found these open, yet the endpoint probe's connection was refused moments later (worth a warning).
    const flapped = [...refused].filter((p) => open.has(p));
    if (flapped.length) ctx.log.warn({ ip: h.ip, ports: flapped }, 'open port refused the HTTP probe');
    // A port that answered HTTP is open even if the connect scan missed it (daemon.md §4.4).
    for (const r of responses) open.add(r.port);
    if (open.size === 0 && udp.length === 0 && !h.mac) return;
    const host: ScannedHost = {
      ip: h.ip,
      subnetId: h.target.subnet.id,
      subnetType: (h.target.subnet.subnet_type as SubnetType | undefined) ?? null,
      mac: h.mac,
      macVendor: h.mac ? macVendor(h.mac) : null,
      hostname: name?.name ?? null,
      isGateway: gateway,
      openTcp: [...open].sort((a, b) => a - b),
      openUdp: udp.map((u) => u.port),
      http: responses,
      httpCatchAll: randomPaths.map(asResponse),
    };
    const report = buildHostReport(host, {
      networkId: ctx.networkId,
      metadata: h.metadata,
      namingFallback: h.request.host_naming_fallback,
    });
    const t1 = performance.now();
    await sink.createHost(report, ctx.signal);
    ctx.log.info(
      {
        ip: h.ip,
        ...phases,
        http: responses.length,
        refused: refused.size,
        probe_ms: Math.round(t1 - t0),
        post_ms: Math.round(performance.now() - t1),
      },
      'host reported',
    );
  }

  /**
   * The subnets to scan. Chosen ids are looked up on the server; without a choice, the LAN subnets of this
   * machine's own interfaces (as self-report created them). Never 0.0.0.0/0-style system subnets.
   */
  private async targets(ctx: SessionContext, sink: ReliableSink, request: NetworkRequest): Promise<Target[]> {
    const scannable = (s: Subnet) => {
      const c = parseCidr(s.cidr);
      return c !== null && c.prefix >= 16 && !['Internet', 'Remote', 'DockerBridge'].includes(s.subnet_type);
    };
    if (request.subnet_ids?.length) {
      if (!sink.listSubnets) throw new Error('this daemon mode cannot look up subnets by id');
      const all = await sink.listSubnets(ctx.networkId, ctx.signal);
      const chosen = all.filter((s) => request.subnet_ids!.includes(s.id));
      const skipped = chosen.filter((s) => !scannable(s));
      if (skipped.length)
        ctx.log.warn({ subnets: skipped.map((s) => s.cidr) }, 'skipping subnets that cannot be scanned');
      return chosen.filter(scannable).map((s) => ({ subnet: s, cidr: s.cidr }));
    }
    // Creating an existing subnet returns the stored one (daemon.md §7.3): this yields the server's ids.
    // Any subnet that cannot be created fails the session.
    const { subnets } = deriveSubnets(this.deps.listAddresses());
    const results = await sink.createSubnets(
      subnets.map((c) =>
        newSubnet({ networkId: ctx.networkId, cidr: c.cidr, subnet_type: c.subnet_type, metadata: [] }),
      ),
      ctx.signal,
    );
    const out: Target[] = [];
    for (const result of results) {
      if (result.status === 'rejected') throw result.reason;
      if (scannable(result.value)) out.push({ subnet: result.value, cidr: result.value.cidr });
    }
    return out;
  }
}

/** Serialized starts at `pps` per second (0 = unpaced), for one host's endpoint probes. */
export function hostPace(pps: number, signal?: AbortSignal): () => Promise<void> {
  if (pps <= 0) return () => Promise.resolve();
  const gate = new RateGate(pps);
  let chain: Promise<void> = Promise.resolve();
  return () => {
    const turn = chain.then(async () => {
      const now = performance.now();
      const at = gate.readyAt(now);
      gate.take(at);
      if (at > now && !signal?.aborted) await delay(at - now, undefined, { signal }).catch(() => undefined);
    });
    chain = turn;
    return turn;
  };
}

/** Which ports: the catalog's first (results flow early), then the configured range. */
export function portPlan(spec: string | null | undefined): PortPlan {
  const priority = [...catalogTcpPorts];
  if (!spec || spec.trim() === 'all') return { priority, ranges: FULL_RANGE };
  if (spec.trim() === 'catalog') return { priority, ranges: [] };
  // Only the chosen ranges, but still the catalog's ports among them first.
  const ranges = parsePortSpec(spec);
  return { priority: priority.filter((p) => ranges.some(([lo, hi]) => p >= lo && p <= hi)), ranges };
}
