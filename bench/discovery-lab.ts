// The end-to-end discovery lab of the two discovery benchmarks: lab hosts with real services on one bridge segment
// (ScanLab), a real server in the root namespace on a separate veth, and a real daemon in the scanner namespace,
// the same arrangement as apps/daemon/test/network-discovery.netns.test.ts. Root, iproute2, redis-server.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Readable } from 'node:stream';
import type { HostResponse, Subnet } from '@scanopy/contracts';
import { stopChild } from '@scanopy/lab';
import type { LabServicesSpec } from '../apps/daemon/test/support/lab-services.ts';
import { Api, capture, cleanEnv, freePort, waitFor } from '../apps/daemon/test/support/netns-harness.ts';
import { repoRoot, ScanLab, type Capture, type Segment } from '../apps/daemon/test/support/scan-lab.ts';

export interface LabHost {
  ip: string;
  /** lab-services spec (HTTP pages, banners, DNS, NTP, SNMP …). */
  spec?: LabServicesSpec;
  /** A real redis-server on 6379. */
  redis?: boolean;
  /** A real mosquitto MQTT broker on 1883. */
  mqtt?: boolean;
  /** nft drops inbound TCP to these ports ("{ 1-21, 23-65535 }"): a host firewall. */
  dropTcp?: string;
  /** Open TCP and UDP ports the host really has. */
  tcp: number[];
  udp: number[];
  /** Catalog definitions a correct identification names (the catch-all "Unclaimed Open Ports" included). */
  services: string[];
}

export const page = (body: string) => ({ status: 200, headers: { 'content-type': 'text/html' }, body });

/** The session's final state as the discovery history records it. */
export interface SessionEnd {
  phase: string;
  error?: string | null;
  progress: number;
}

export interface LabLayout {
  segment: Segment;
  scannerIp: string;
  /** The scanner's second link to the server in the root namespace: addresses with prefix length. */
  serverLink: { server: string; scanner: string };
  /** Extra daemon settings (SCANOPY_*), e.g. faster ARP rounds. */
  daemonEnv?: Record<string, string>;
}

function waitLine(stream: Readable, re: RegExp, child: ChildProcess, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    createInterface({ input: stream }).on('line', (l) => {
      if (re.test(l)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`${what} exited with ${code}`)));
  });
}

export class DiscoveryLab {
  readonly scan = new ScanLab();
  readonly macs = new Map<string, string>();
  readonly tmp: string;
  scannerNs = '';
  api!: Api;
  networkId = '';
  daemonId = '';
  subnet!: Subnet;
  private server: ChildProcess | null = null;
  private daemon: ChildProcess | null = null;
  private serverLog = { text: () => '' };
  private daemonLog = { text: () => '' };

  constructor(readonly layout: LabLayout) {
    const scratch = path.join(repoRoot, '.tmp/bench');
    mkdirSync(scratch, { recursive: true });
    this.tmp = mkdtempSync(path.join(scratch, 'lab-'));
  }

  /** Builds the namespaces, starts every host's services, the server and the daemon, and registers an owner. */
  async start(hosts: readonly LabHost[]): Promise<void> {
    const { segment: seg, scannerIp, serverLink } = this.layout;
    await this.scan.init([seg]);
    this.scannerNs = (await this.scan.addHost('s', seg, scannerIp)).ns;
    await this.scan.lab.addVeth({
      ns: this.scannerNs,
      nsIfname: 'eth1',
      nsAddress: serverLink.scanner,
      hostSuffix: 'r',
      hostAddress: serverLink.server,
    });

    const started: Promise<void>[] = [];
    for (const [i, h] of hosts.entries()) {
      const { ns, mac } = await this.scan.addHost(`h${i}`, seg, h.ip);
      this.macs.set(h.ip, mac);
      if (h.dropTcp) await this.scan.dropTcp(ns, h.dropTcp);
      if (h.spec) {
        const child = this.scan.lab.spawnIn(
          ns,
          process.execPath,
          ['--import', 'tsx', 'apps/daemon/test/support/lab-services.ts', JSON.stringify(h.spec)],
          { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
        );
        started.push(waitLine(child.stdout!, /"ready"/, child, `lab services on ${h.ip}`));
      }
      if (h.redis) {
        const args = ['--bind', h.ip, '--port', '6379', '--save', '', '--appendonly', 'no'];
        const child = this.scan.lab.spawnIn(
          ns,
          'redis-server',
          [...args, '--dir', this.tmp, '--protected-mode', 'no'],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        );
        started.push(waitLine(child.stdout!, /Ready to accept connections/i, child, `redis on ${h.ip}`));
      }
      if (h.mqtt) {
        const conf = path.join(this.tmp, `mosquitto-${i}.conf`);
        writeFileSync(conf, `listener 1883 ${h.ip}\nallow_anonymous true\npersistence false\n`);
        const child = this.scan.lab.spawnIn(ns, 'mosquitto', ['-c', conf, '-v'], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        started.push(
          waitLine(child.stderr!, /running|Opening ipv4 listen socket/i, child, `mqtt on ${h.ip}`),
        );
      }
    }
    await Promise.all(started);

    const serverIp = serverLink.server.split('/')[0];
    const port = await freePort(serverIp);
    this.server = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(repoRoot, 'apps/server/src/main.ts')],
      {
        cwd: repoRoot,
        env: cleanEnv({
          SCANOPY_DATA_DIR: path.join(this.tmp, 'server-data'),
          SCANOPY_INTEGRATED_DAEMON: 'false',
          SCANOPY_BIND_ADDRESS: serverIp,
          SCANOPY_SERVER_PORT: String(port),
          SCANOPY_LOG_LEVEL: 'warn',
          SCANOPY_WEB_DIR: path.join(this.tmp, 'no-web'),
        }),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.serverLog = capture(this.server);
    this.api = new Api(`http://${serverIp}:${port}`);
    await waitFor('the server', () => this.api.call('GET', '/api/health').then(() => true), 120_000);
    await this.api.call('POST', '/api/auth/register', {
      email: 'bench@example.com',
      password: 'BenchPassw0rd!',
      terms_accepted: true,
    });
    const [network] = await this.api.call<{ id: string }[]>('GET', '/api/v1/networks');
    this.networkId = network.id;
    const { key } = await this.api.call<{ key: string }>('POST', '/api/v1/auth/daemon', {
      name: 'bench',
      network_id: this.networkId,
    });
    this.daemon = this.scan.lab.spawnIn(
      this.scannerNs,
      process.execPath,
      ['--import', 'tsx', 'apps/daemon/src/main.ts'],
      {
        cwd: repoRoot,
        env: cleanEnv({
          SCANOPY_SERVER_URL: this.api.base,
          SCANOPY_DAEMON_API_KEY: key,
          SCANOPY_NETWORK_ID: this.networkId,
          SCANOPY_HEARTBEAT_INTERVAL: '5',
          SCANOPY_NAME: 'bench-scanner',
          SCANOPY_CONFIG_PATH: path.join(this.tmp, 'daemon.json'),
          SCANOPY_DOCKER_SOCKET: path.join(this.tmp, 'no-docker.sock'),
          // Even a wrong subnet choice could not reach anything but the lab segment.
          SCANOPY_SCAN_ALLOW: seg.cidr,
          SCANOPY_LOG_LEVEL: 'info',
          ...this.layout.daemonEnv,
        }),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.daemonLog = capture(this.daemon);
    this.subnet = await waitFor(
      'the self-reported lab subnet',
      async () =>
        (await this.api.call<Subnet[]>('GET', `/api/v1/subnets?network_id=${this.networkId}&limit=0`)).find(
          (s) => s.cidr === seg.cidr,
        ),
      60_000,
    );
    const daemons = await this.api.call<{ id: string }[]>(
      'GET',
      `/api/v1/daemons?network_id=${this.networkId}`,
    );
    this.daemonId = daemons[0].id;
  }

  /** SYNs (no ACK) the scanner sends on its lab link, for per-destination rates; optionally to `only` these. */
  synCapture(only?: readonly string[]): Promise<Capture> {
    const to = only?.length ? ` and (${only.map((ip) => `dst host ${ip}`).join(' or ')})` : '';
    const f = `tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn and src host ${this.layout.scannerIp}${to}`;
    return this.scan.capture(this.scannerNs, 'eth0', f);
  }

  /**
   * Creates a Network discovery of the lab subnet (the gateway excluded), starts it and waits until it ends.
   * `ms` runs from the start-session request to the first poll that sees the final phase (polled every 100 ms).
   */
  async discover(
    name: string,
    extra: Record<string, unknown>,
    limitMs: number,
  ): Promise<{ ms: number; end: SessionEnd; startedAt: number; endedAt: number }> {
    const d = await this.api.call<{ id: string }>('POST', '/api/v1/discovery', {
      name,
      network_id: this.networkId,
      daemon_id: this.daemonId,
      discovery_type: {
        type: 'Network',
        subnet_ids: [this.subnet.id],
        host_naming_fallback: 'BestService',
        exclusions: [this.layout.segment.gateway],
        ...extra,
      },
      run_type: { type: 'AdHoc', last_run: null },
      tags: [],
    });
    const t0 = performance.now();
    const startedAt = Date.now();
    const session = await this.api.call<{ session_id: string }>(
      'POST',
      '/api/v1/discovery/start-session',
      d.id,
    );
    // Polled every 100 ms for the first 20 s (waitFor's 250 ms adds 125 ms to a short run on average), then every
    // 500 ms: the server's default rate limit (300 requests a minute, a burst of 150) would refuse a 100 ms poll of
    // a five-minute run for good. A refused poll waits a second.
    const end = await (async () => {
      const deadline = Date.now() + limitMs;
      let last: unknown;
      for (;;) {
        try {
          const s = await this.phaseOf(session.session_id);
          if (['Complete', 'Failed', 'Cancelled'].includes(s.phase)) return s;
        } catch (err) {
          last = err;
          await sleep(1000);
        }
        if (Date.now() > deadline)
          throw new Error(
            `timed out waiting for discovery "${name}" to finish; last error: ${String(last)}` +
              `\n--- daemon ---\n${this.daemonLog.text().slice(-4000)}`,
          );
        await sleep(performance.now() - t0 < 20_000 ? 100 : 500);
      }
    })();
    const ms = performance.now() - t0;
    const endedAt = Date.now();
    if (end.phase !== 'Complete')
      throw new Error(`discovery ended ${end.phase}: ${end.error}\n${this.daemonLog.text().slice(-4000)}`);
    return { ms, end, startedAt, endedAt };
  }

  /** Hosts in the API by their lab address (the scanner's own host left out). */
  async hostsByIp(): Promise<Map<string, HostResponse>> {
    const hosts = await this.api.call<HostResponse[]>(
      'GET',
      `/api/v1/hosts?network_id=${this.networkId}&limit=0`,
    );
    const prefix = this.layout.segment.cidr.split('.').slice(0, 3).join('.') + '.';
    const found = new Map<string, HostResponse>();
    for (const h of hosts) {
      for (const i of h.interfaces) {
        if (i.ip_address.startsWith(prefix) && i.ip_address !== this.layout.scannerIp)
          found.set(i.ip_address, h);
      }
    }
    return found;
  }

  async teardown(): Promise<void> {
    if (this.daemon) await stopChild(this.daemon);
    if (this.server) await stopChild(this.server);
    await this.scan.teardown();
    rmSync(this.tmp, { recursive: true, force: true });
  }

  serverTail(): string {
    return this.serverLog.text().slice(-3000);
  }

  /** The daemon's output so far (JSON log lines), for timelines. */
  daemonLogText(): string {
    return this.daemonLog.text();
  }

  private async phaseOf(sessionId: string): Promise<SessionEnd> {
    const active = await this.api.call<({ session_id: string } & SessionEnd)[]>(
      'GET',
      '/api/v1/discovery/active-sessions',
    );
    const a = active.find((s) => s.session_id === sessionId);
    if (a) return a;
    const all = await this.api.call<
      { run_type: { type: string; results?: { session_id: string } & Record<string, unknown> } }[]
    >('GET', `/api/v1/discovery?network_id=${this.networkId}&limit=0`);
    const done = all.find(
      (d) => d.run_type.type === 'Historical' && d.run_type.results?.session_id === sessionId,
    );
    if (!done) throw new Error(`session ${sessionId} is neither active nor in the history`);
    return done.run_type.results as unknown as SessionEnd;
  }
}

/**
 * The most SYNs any single destination received within any `windowMs` (sliding): that destination, the count,
 * when the window starts, and how many distinct destination ports the window's SYNs went to (fewer than the count
 * means repeats: retries, retransmissions, or several connections to one port).
 */
export function peakPerDestination(
  packets: readonly { at: number; dst: string; dport: number | null }[],
  windowMs = 1000,
): { dst: string; count: number; from: number; distinct_ports: number; top_ports: string } {
  const byDst = new Map<string, { at: number; dport: number | null }[]>();
  for (const p of packets) {
    const list = byDst.get(p.dst) ?? [];
    list.push(p);
    byDst.set(p.dst, list);
  }
  let best = { dst: '', count: 0, from: 0, lo: 0, hi: -1 };
  for (const [dst, list] of byDst) {
    list.sort((a, b) => a.at - b.at);
    let lo = 0;
    for (let hi = 0; hi < list.length; hi++) {
      while (list[hi].at - list[lo].at >= windowMs) lo++;
      if (hi - lo + 1 > best.count) best = { dst, count: hi - lo + 1, from: list[lo].at, lo, hi };
    }
  }
  const window = (byDst.get(best.dst) ?? []).slice(best.lo, best.hi + 1);
  const perPort = new Map<number | null, number>();
  for (const p of window) perPort.set(p.dport, (perPort.get(p.dport) ?? 0) + 1);
  const top = [...perPort]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([port, n]) => `${port}×${n}`)
    .join(' ');
  return { dst: best.dst, count: best.count, from: best.from, distinct_ports: perPort.size, top_ports: top };
}
