// Full-port TCP connect scan of 20 lab hosts (10.77.46.0/24, network namespaces), the scanner's `fast` preset
// against `nmap -sT -T4 -p-` on the same hosts in the same run: `sudo npx tsx bench/port-scan.bench.ts`
// (root, iproute2, nmap). The scanner runs twice, both with its default scan workers (one worker thread per core):
// with the native connect prober (the default when it is built), then with net.Socket connects
// (SCANOPY_NATIVE_CONNECT=0, the previous version), so the row shows what the prober brings.
// Writes bench/results/port-scan-<date>.json and a row in docs/benchmarks.md.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { netnsAvailable, runCommand } from '@scanopy/lab';
import type { HostScanResult } from '../apps/daemon/src/scanner/index.ts';
import { commandExists, ScanLab, type Segment } from '../apps/daemon/test/support/scan-lab.ts';
import { record, repoRoot, today } from './lib.ts';

const SEGMENT: Segment = { bridge: 'br0', cidr: '10.77.46.0/24', gateway: '10.77.46.1' };
const SCANNER = '10.77.46.2';
const HOSTS = Array.from({ length: 20 }, (_, i) => `10.77.46.${10 + i}`);
const PORTS = 65535;

/** A few ports per host, spread over the range so neither scanner can stop early. */
const openPortsOf = (i: number) =>
  [...new Set([22, 80, 443, 1000 + 37 * i, 20000 + ((1234 * i) % 40000), 65000 + i])].sort((a, b) => a - b);

const available = await netnsAvailable();
if (!available.ok) throw new Error(available.reason);
if (!(await commandExists('nmap'))) throw new Error('nmap is missing (apt-get install -y nmap)');

const lab = new ScanLab();
const expected = new Map(HOSTS.map((ip, i) => [ip, openPortsOf(i)]));
const same = (found: Map<string, number[]>) =>
  HOSTS.every((ip) => JSON.stringify(found.get(ip) ?? []) === JSON.stringify(expected.get(ip)));
const seconds = (ms: number) => Math.round(ms / 100) / 10;
const cpuPerProbe = (cpu: { user: number; system: number }, probes: number) =>
  Math.round((((cpu.user + cpu.system) * 1000) / probes) * 10) / 10;

try {
  await lab.init([SEGMENT]);
  const { ns: scannerNs } = await lab.addHost('s', SEGMENT, SCANNER);
  for (const [i, ip] of HOSTS.entries()) {
    const { ns } = await lab.addHost(`t${i}`, SEGMENT, ip);
    await lab.listen(ns, openPortsOf(i));
  }

  /** One scan of every host; `workers` as the daemon's scan_workers (0 = one per core, 1 = main thread only). */
  const scanOnce = async (workers: number, native: boolean) => {
    const t0 = performance.now();
    // The scanner child inherits the environment at spawn.
    if (native) delete process.env.SCANOPY_NATIVE_CONNECT;
    else process.env.SCANOPY_NATIVE_CONNECT = '0';
    const run = lab.scanner(scannerNs, {
      kind: 'ports',
      subnets: [SEGMENT.cidr],
      preset: 'fast',
      hosts: HOSTS,
      priority: [],
      ranges: [[1, PORTS]],
      workers,
    });
    const done = await run.done;
    const oursWallMs = performance.now() - t0;
    const ourResults = done.results as HostScanResult[];
    return {
      scan_s: seconds(done.elapsed_ms as number),
      wall_s: seconds(oursWallMs),
      attempts: ourResults.reduce((n, r) => n + r.attempts, 0),
      correct: same(new Map(ourResults.map((r) => [r.host, r.open]))),
      event_loop: done.loop,
      worker_threads: done.workers as number,
      worker_error: done.worker_error as string | null,
      connect: done.connect as string,
      // CPU of the scanner process (all threads, user + kernel) per probe: steadier than wall time on a shared VM.
      cpu_us_per_probe: cpuPerProbe(done.cpu_ms as { user: number; system: number }, PORTS * HOSTS.length),
    };
  };
  // The default (a worker thread per core, native prober), then the same with net.Socket connects.
  const ours = await scanOnce(0, true);
  console.log('scanopy', JSON.stringify(ours));
  if (ours.connect !== 'native')
    throw new Error('the native prober is not built: npm run build:native -w apps/daemon');
  const socketPeer = await scanOnce(0, false);
  delete process.env.SCANOPY_NATIVE_CONNECT;
  console.log('scanopy net.Socket', JSON.stringify(socketPeer));

  const version = (await runCommand('nmap', ['--version'])).stdout.split('\n')[0];
  const t1 = performance.now();
  // GNU time prints nmap's user and system CPU seconds on stderr.
  const nmapRun = await lab.lab.runIn(scannerNs, '/usr/bin/time', [
    '-f',
    'cpu %U %S',
    'nmap',
    '-sT',
    '-T4',
    '-p-',
    '-n',
    '-oG',
    '-',
    `${HOSTS[0]}-${HOSTS[HOSTS.length - 1].split('.')[3]}`,
  ]);
  const nmapMs = performance.now() - t1;
  if (nmapRun.code !== 0) throw new Error(`nmap failed: ${nmapRun.stderr}`);
  const nmapFound = new Map<string, number[]>();
  for (const line of nmapRun.stdout.split('\n')) {
    const m = /^Host: (\S+) .*Ports: (.*?)(\tIgnored|$)/.exec(line);
    if (!m) continue;
    const open = [...m[2].matchAll(/(\d+)\/open\/tcp/g)].map((x) => Number(x[1]));
    nmapFound.set(
      m[1],
      open.sort((a, b) => a - b),
    );
  }
  const cpuLine = /cpu (\S+) (\S+)/.exec(nmapRun.stderr);
  const nmapCpu = cpuLine ? { user: Number(cpuLine[1]) * 1000, system: Number(cpuLine[2]) * 1000 } : null;
  const nmap = {
    version,
    wall_s: seconds(nmapMs),
    correct: same(nmapFound),
    cpu_us_per_probe: nmapCpu ? cpuPerProbe(nmapCpu, PORTS * HOSTS.length) : null,
  };
  console.log('nmap', JSON.stringify(nmap));

  const probes = HOSTS.length * PORTS;
  const ratio = Math.round((nmap.wall_s / ours.wall_s) * 100) / 100;
  const result = {
    date: today(),
    hosts: HOSTS.length,
    ports: PORTS,
    probes,
    scanopy: ours,
    scanopy_net_socket: socketPeer,
    nmap,
    ratio,
    ratio_net_socket: Math.round((nmap.wall_s / socketPeer.wall_s) * 100) / 100,
  };
  const file = record('port-scan', result, []);
  // The results table is followed by prose: insert the row after the table's last row, not at the end.
  const doc = path.join(repoRoot, 'docs/benchmarks.md');
  const exact = (ok: boolean) => (ok ? 'exact' : 'WRONG');
  const verdict =
    ours.correct && socketPeer.correct && nmap.correct
      ? 'all exact'
      : `scanopy ${exact(ours.correct)}, net.Socket ${exact(socketPeer.correct)}, nmap ${exact(nmap.correct)}`;
  const row =
    `| ${today()} | port-scan | netns | ${HOSTS.length} × ${PORTS} ports: scanopy fast ${ours.wall_s} s ` +
    `(${ours.worker_threads} scan workers, native prober; with net.Socket ${socketPeer.wall_s} s), ` +
    `nmap -sT -T4 ${nmap.wall_s} s; CPU per probe ${ours.cpu_us_per_probe} µs (net.Socket ` +
    `${socketPeer.cpu_us_per_probe}, nmap ${nmap.cpu_us_per_probe}); ` +
    `${verdict}; goal ≥ 1.0 ${ratio >= 1 ? 'met' : 'missed'} | ${ratio} |`;
  const lines = readFileSync(doc, 'utf8').split('\n');
  const lastRow = lines.findLastIndex((l) => /^\| \d{4}-\d{2}-\d{2} \|/.test(l));
  lines.splice(lastRow + 1, 0, row);
  writeFileSync(doc, lines.join('\n'));
  console.log(`wrote ${file}`);
} finally {
  await lab.teardown();
}
