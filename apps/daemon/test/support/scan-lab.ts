import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { assertLabAddress, NetnsLab, runCommand } from '@scanopy/lab';
import type { ScannerJob } from './scan-runner.ts';

/**
 * A scanning lab for the scanner netns tests and the port-scan benchmark. Everything lives in namespaces this
 * run creates, the bridge included (it sits in its own namespace, which also routes to a second subnet), so the
 * root namespace's links and routes are never touched:
 *
 *   [scanner ns] eth0 ──┐                       ┌── eth0 [target ns] …
 *                       └─ v0 ─ br0 (bridge ns) ─ vN ─┘
 *                               br1 ─ vM ── eth0 [routed target ns] …
 */

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const runnerPath = path.join(repoRoot, 'apps/daemon/test/support/scan-runner.ts');

async function must(cmd: string, args: string[]): Promise<string> {
  const r = await runCommand(cmd, args);
  if (r.code !== 0)
    throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr.trim() || `exit ${r.code}`}`);
  return r.stdout;
}

export async function commandExists(cmd: string): Promise<boolean> {
  return (await runCommand('sh', ['-c', `command -v ${cmd}`])).code === 0;
}

export interface Segment {
  /** Bridge name inside the bridge namespace. */
  bridge: string;
  /** e.g. 10.77.40.0/26 */
  cidr: string;
  /** The bridge namespace's address on it (also the gateway), e.g. 10.77.40.1 */
  gateway: string;
}

/** One line of tcpdump output: time (ms since the epoch), addresses and ports. */
export interface Packet {
  at: number;
  src: string;
  dst: string;
  dport: number | null;
}

export class Capture {
  readonly packets: Packet[] = [];
  private stderr = '';

  constructor(private readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /^(\d+\.\d+) IP (\S+) > (\S+?):/.exec(line);
      if (!m) return;
      const [srcIp] = splitEndpoint(m[2]);
      const [dstIp, dport] = splitEndpoint(m[3]);
      this.packets.push({ at: Number(m[1]) * 1000, src: srcIp, dst: dstIp, dport });
    });
    child.stderr!.on('data', (c: Buffer) => (this.stderr += c.toString()));
  }

  async ready(): Promise<void> {
    for (let i = 0; i < 100; i++) {
      if (/listening on/.test(this.stderr)) return;
      if (this.child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`tcpdump did not start: ${this.stderr}`);
  }

  /** Stops the capture; returns how many packets the kernel dropped (0 means the count is complete). */
  async stop(): Promise<number> {
    await new Promise((r) => setTimeout(r, 300));
    if (this.child.exitCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGINT');
      await exited;
    }
    const dropped = /(\d+) packets? dropped by kernel/.exec(this.stderr);
    return dropped ? Number(dropped[1]) : -1;
  }
}

function splitEndpoint(text: string): [string, number | null] {
  const parts = text.split('.');
  if (parts.length === 5) return [parts.slice(0, 4).join('.'), Number(parts[4])];
  return [text, null];
}

export interface ScannerEvent {
  type: string;
  at: number;
  [key: string]: unknown;
}

export class ScannerProcess {
  readonly events: ScannerEvent[] = [];
  readonly done: Promise<ScannerEvent>;
  private stderr = '';

  constructor(private readonly child: ChildProcess) {
    child.stderr!.on('data', (c: Buffer) => (this.stderr += c.toString()));
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      try {
        this.events.push(JSON.parse(line) as ScannerEvent);
      } catch {
        this.stderr += `${line}\n`;
      }
    });
    this.done = new Promise((resolve, reject) => {
      child.once('exit', (code) => {
        // Let readline deliver the last lines.
        setImmediate(() => {
          const done = this.events.find((e) => e.type === 'done');
          if (code === 0 && done) resolve(done);
          else
            reject(
              new Error(
                `scanner exited with ${code}: ${JSON.stringify(this.events.slice(-3))}\n${this.stderr}`,
              ),
            );
        });
      });
    });
    this.done.catch(() => undefined);
  }

  cancel(): void {
    this.child.stdin!.write('cancel\n');
  }

  first(type: string): ScannerEvent | undefined {
    return this.events.find((e) => e.type === type);
  }

  async waitFor(type: string, limitMs = 30_000): Promise<ScannerEvent> {
    const deadline = Date.now() + limitMs;
    for (;;) {
      const e = this.first(type);
      if (e) return e;
      if (Date.now() > deadline || this.child.exitCode !== null)
        throw new Error(`no "${type}" event from the scanner:\n${this.stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

export class ScanLab {
  readonly lab = new NetnsLab();
  bridgeNs = '';
  private veths = 0;

  /** Creates the bridge namespace with one bridge per segment; it routes between them. */
  async init(segments: readonly Segment[]): Promise<void> {
    this.bridgeNs = await this.lab.addNamespace('b');
    for (const seg of segments) {
      assertLabAddress(seg.cidr);
      const prefix = seg.cidr.split('/')[1];
      await must('ip', ['-n', this.bridgeNs, 'link', 'add', seg.bridge, 'type', 'bridge']);
      await this.lab.addAddress(seg.bridge, `${seg.gateway}/${prefix}`, this.bridgeNs);
      await must('ip', ['-n', this.bridgeNs, 'link', 'set', seg.bridge, 'up']);
    }
    await must('ip', ['netns', 'exec', this.bridgeNs, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
  }

  /**
   * A namespace with eth0 on `seg` at `address`, a default route via the segment's gateway, and (for the
   * scanner) nothing else. Returns its name and eth0's MAC.
   */
  async addHost(suffix: string, seg: Segment, address: string): Promise<{ ns: string; mac: string }> {
    const ns = await this.lab.addNamespace(suffix);
    const prefix = seg.cidr.split('/')[1];
    assertLabAddress(`${address}/${prefix}`);
    const peer = `v${this.veths++}`;
    await must('ip', [
      '-n',
      this.bridgeNs,
      'link',
      'add',
      peer,
      'type',
      'veth',
      'peer',
      'name',
      'eth0',
      'netns',
      ns,
    ]);
    await must('ip', ['-n', this.bridgeNs, 'link', 'set', peer, 'master', seg.bridge]);
    await must('ip', ['-n', this.bridgeNs, 'link', 'set', peer, 'up']);
    await this.lab.addAddress('eth0', `${address}/${prefix}`, ns);
    await must('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
    await must('ip', ['-n', ns, 'route', 'add', 'default', 'via', seg.gateway]);
    return { ns, mac: await this.macOf(ns, 'eth0') };
  }

  /** Name of the bridge-namespace end of the most recently added host's link. */
  lastPeer(): string {
    return `v${this.veths - 1}`;
  }

  async macOf(ns: string, ifname: string): Promise<string> {
    const [link] = JSON.parse(await must('ip', ['-n', ns, '-j', 'link', 'show', 'dev', ifname])) as Array<{
      address: string;
    }>;
    return link.address.toLowerCase();
  }

  /** TCP listeners (accept and close) on `ports` inside `ns`. */
  async listen(ns: string, ports: readonly number[]): Promise<void> {
    const script = `
      const net = require('net');
      const ports = JSON.parse(process.argv[1]);
      let up = 0;
      for (const port of ports) {
        const server = net.createServer((c) => { c.on('error', () => {}); c.end(); });
        server.listen({ port, host: '0.0.0.0', backlog: 511 }, () => { if (++up === ports.length) console.log('ready'); });
      }`;
    await this.spawnReady(ns, process.execPath, ['-e', script, JSON.stringify(ports)]);
  }

  /**
   * A fragile HTTP server: one worker that serves one request at a time (20 ms each) with a listen backlog of 8,
   * like a small appliance's web UI.
   */
  async fragileHttp(ns: string, port: number): Promise<void> {
    const script = [
      'import http.server, socketserver, sys, time',
      'class H(http.server.BaseHTTPRequestHandler):',
      '    def do_GET(self):',
      '        time.sleep(0.02)',
      '        self.send_response(200)',
      "        self.send_header('Content-Length', '2')",
      '        self.end_headers()',
      "        self.wfile.write(b'ok')",
      '    def log_message(self, *a): pass',
      'class S(socketserver.TCPServer):',
      '    request_queue_size = 8',
      '    allow_reuse_address = True',
      '    def handle_error(self, request, client_address): pass',
      "s = S(('0.0.0.0', int(sys.argv[1])), H)",
      "print('ready', flush=True)",
      's.serve_forever()',
    ].join('\n');
    await this.spawnReady(ns, 'python3', ['-c', script, String(port)]);
  }

  /** nft in `ns`: drop inbound TCP to `dports` ("1-65535", "7000-7099"). */
  async dropTcp(ns: string, dports: string): Promise<void> {
    await must('ip', [
      'netns',
      'exec',
      ns,
      'nft',
      `add table inet scanlab; add chain inet scanlab input { type filter hook input priority 0; policy accept; }; add rule inet scanlab input tcp dport ${dports} drop`,
    ]);
  }

  /** tcpdump inside `ns` on `ifname`, line-buffered, with epoch timestamps. */
  async capture(ns: string, ifname: string, filter: string): Promise<Capture> {
    const child = this.lab.spawnIn(ns, 'tcpdump', ['-i', ifname, '-n', '-tt', '-l', '-B', '16384', filter], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const capture = new Capture(child);
    await capture.ready();
    return capture;
  }

  /** Starts the scanner runner in `ns` with `job`. */
  scanner(ns: string, job: ScannerJob): ScannerProcess {
    const child = this.lab.spawnIn(
      ns,
      process.execPath,
      ['--import', 'tsx', runnerPath, JSON.stringify(job)],
      {
        cwd: repoRoot,
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    return new ScannerProcess(child);
  }

  /** A process in `ns` that GETs `url` every 100 ms for `durationMs`, one JSON line per request. */
  prober(
    ns: string,
    url: string,
    durationMs: number,
  ): { done: Promise<Array<{ at: number; ok: boolean; ms: number }>>; stop: () => void } {
    const script = `
      const http = require('http');
      const [url, duration] = [process.argv[1], Number(process.argv[2])];
      const end = Date.now() + duration;
      const tick = () => {
        if (Date.now() > end) { clearInterval(timer); return; }
        const at = Date.now();
        let done = false;
        const report = (ok) => { if (!done) { done = true; console.log(JSON.stringify({ at, ok, ms: Date.now() - at })); } };
        const req = http.get(url, { agent: false, timeout: 1000 }, (res) => {
          res.resume();
          res.on('end', () => report(res.statusCode === 200));
        });
        req.on('timeout', () => { report(false); req.destroy(); });
        req.on('error', () => report(false));
      };
      const timer = setInterval(tick, 100);
      tick();`;
    const child = this.lab.spawnIn(ns, process.execPath, ['-e', script, url, String(durationMs)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const results: Array<{ at: number; ok: boolean; ms: number }> = [];
    createInterface({ input: child.stdout! }).on('line', (l) =>
      results.push(JSON.parse(l) as (typeof results)[0]),
    );
    return {
      done: new Promise((resolve) => child.once('exit', () => setImmediate(() => resolve(results)))),
      /** Ends the prober early; `done` then resolves with the requests made so far. */
      stop: () => child.kill('SIGTERM'),
    };
  }

  async teardown(): Promise<void> {
    await this.lab.teardown();
  }

  private async spawnReady(ns: string, cmd: string, args: string[]): Promise<ChildProcess> {
    const child = this.lab.spawnIn(ns, cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once('line', () => resolve());
      child.once('exit', (code) => reject(new Error(`${cmd} in ${ns} exited with ${code}: ${err}`)));
    });
    return child;
  }
}
