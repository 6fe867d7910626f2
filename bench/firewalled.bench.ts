// One lab host whose firewall drops every TCP port but SSH (nft), a full-port scan (1–65535) with the scanner's
// `normal` preset (500 starts/s per host) and then `nmap -sT -T4 -p-` on it from the same namespace, in the same
// run: `sudo npx tsx bench/firewalled.bench.ts` (root, iproute2, nft, nmap). The figure is the ratio of the times
// (goal: the scanner within 1.5× nmap): nmap's wall time against the scanner's time from its start to its result.
// The scanner runs as a child process started with tsx, whose 1–2 s of start-up (TypeScript loading) a daemon pays
// once when it starts, not per discovery; the wall time with it is recorded beside. Writes
// bench/results/firewalled-<date>.json and a row in docs/benchmarks.md.
import { netnsAvailable, runCommand, sweepStaleLabs } from '@scanopy/lab';
import type { HostScanResult } from '../apps/daemon/src/scanner/index.ts';
import { commandExists, ScanLab, type Segment } from '../apps/daemon/test/support/scan-lab.ts';
import { record, today } from './lib.ts';

const SEGMENT: Segment = { bridge: 'br0', cidr: '10.77.47.0/24', gateway: '10.77.47.1' };
const SCANNER = '10.77.47.2';
const TARGET = '10.77.47.10';
const PRESET = (process.argv[2] ?? 'normal') as 'polite' | 'normal' | 'fast';

const available = await netnsAvailable();
if (!available.ok) throw new Error(available.reason);
for (const tool of ['nmap', 'nft'])
  if (!(await commandExists(tool))) throw new Error(`${tool} is missing (apt-get install -y ${tool})`);

const seconds = (ms: number) => Math.round(ms / 100) / 10;
await sweepStaleLabs();
const lab = new ScanLab();
try {
  await lab.init([SEGMENT]);
  const { ns: scannerNs } = await lab.addHost('s', SEGMENT, SCANNER);
  const { ns } = await lab.addHost('t', SEGMENT, TARGET);
  await lab.listen(ns, [22]);
  await lab.dropTcp(ns, '{ 1-21, 23-65535 }');

  const t0 = performance.now();
  const run = lab.scanner(scannerNs, {
    kind: 'ports',
    subnets: [SEGMENT.cidr],
    preset: PRESET,
    hosts: [TARGET],
    priority: [22, 80, 443],
    ranges: [[1, 65535]],
  });
  const done = await run.done;
  const oursMs = performance.now() - t0;
  const [r] = done.results as HostScanResult[];
  const ours = {
    preset: PRESET,
    wall_s: seconds(oursMs),
    /** From the scanner's start (settings resolved, before its workers start) to its result. */
    run_s: seconds(done.elapsed_ms as number),
    scan_s: seconds(r.duration_ms),
    status: r.status,
    open: r.open,
    filtered: r.filtered.length,
    attempts: r.attempts,
    timeout_ms: r.timeout_ms,
    srtt_ms: r.srtt_ms,
    correct: r.status === 'complete' && r.open.join() === '22' && r.filtered.length === 65534,
    event_loop: done.loop,
  };
  console.log('scanopy', JSON.stringify(ours));

  const version = (await runCommand('nmap', ['--version'])).stdout.split('\n')[0];
  const t1 = performance.now();
  const nmapRun = await lab.lab.runIn(scannerNs, 'nmap', ['-sT', '-T4', '-p-', '-n', '-oG', '-', TARGET]);
  const nmapMs = performance.now() - t1;
  if (nmapRun.code !== 0) throw new Error(`nmap failed: ${nmapRun.stderr}`);
  const line = nmapRun.stdout.split('\n').find((l) => l.includes('Ports:')) ?? '';
  const nmapOpen = [...line.matchAll(/(\d+)\/open\/tcp/g)].map((m) => Number(m[1]));
  const nmap = { version, wall_s: seconds(nmapMs), open: nmapOpen, correct: nmapOpen.join() === '22' };
  console.log('nmap', JSON.stringify(nmap));

  const ratio = Math.round((ours.run_s / nmap.wall_s) * 100) / 100;
  const verdict =
    ours.correct && nmap.correct ? 'both exact' : `scanopy ${ours.correct}, nmap ${nmap.correct}`;
  const row =
    `| ${today()} | firewalled | netns | 1 host dropping all TCP but 22, 1–65535: scanopy ${PRESET} ` +
    `${ours.run_s} s (${ours.wall_s} s with process start-up; ${ours.attempts} attempts, timeout ${ours.timeout_ms} ms), nmap -sT -T4 -p- ` +
    `${nmap.wall_s} s; ${verdict} | ${ratio}× nmap's time |`;
  console.log(`wrote ${record('firewalled', { date: today(), ours, nmap, ratio }, [row])}`);
} finally {
  await lab.teardown();
}
