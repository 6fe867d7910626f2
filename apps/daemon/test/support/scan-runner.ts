/**
 * Runs one scanner job inside a network namespace for the netns tests and the port-scan benchmark:
 *   ip netns exec <ns> node --import tsx apps/daemon/test/support/scan-runner.ts '<job json>'
 * Writes one JSON object per line on stdout (events as they happen, then `done`); a line `cancel` on stdin
 * aborts the job, and the runner reports the moment it did so.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import {
  discoverHosts,
  nativeConnectStatus,
  resolveScanSettings,
  ScanScope,
  scanPorts,
  type PresetName,
  type ScanSettings,
} from '../../src/scanner/index.ts';

export interface ScopeJob {
  subnets: string[];
  exclude?: string[];
  allow?: string[];
  preset?: PresetName;
  overrides?: Partial<Omit<ScanSettings, 'preset'>>;
}

export type ScannerJob =
  | (ScopeJob & { kind: 'hosts'; arp_rate_pps: number; arp_retries: number; probePorts?: number[] })
  | (ScopeJob & {
      kind: 'ports';
      hosts: string[];
      priority: number[];
      ranges: Array<[number, number]>;
      /** Emit `sample` events (active hosts' windows, progress) this often. */
      sampleMs?: number;
      /** Scan worker threads (the daemon's scan_workers); absent = one per core. */
      workers?: number;
    });

const out = (value: unknown) => process.stdout.write(JSON.stringify(value) + '\n');
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return { user: Math.round(user / 1000), system: Math.round(system / 1000) };
};

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '') as ScannerJob;
  const ctrl = new AbortController();
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line.trim() === 'cancel' && !ctrl.signal.aborted) {
      ctrl.abort();
      out({ type: 'cancelled', at: Date.now() });
    }
  });
  const scope = ScanScope.create({ subnets: job.subnets, exclude: job.exclude, allow: job.allow ?? null });
  const settings = resolveScanSettings({ preset: job.preset ?? 'normal', overrides: job.overrides });
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const loop = () => ({ max_ms: Math.round(lag.max / 1e6), p99_ms: Math.round(lag.percentile(99) / 1e6) });
  const started = Date.now();
  out({ type: 'started', at: started, settings });
  switch (job.kind) {
    case 'hosts': {
      const discovery = discoverHosts({
        scope,
        arp_rate_pps: job.arp_rate_pps,
        arp_retries: job.arp_retries,
        settings,
        probePorts: job.probePorts,
        signal: ctrl.signal,
      });
      for await (const host of discovery) out({ type: 'found', at: Date.now(), host });
      out({
        type: 'done',
        at: Date.now(),
        elapsed_ms: Date.now() - started,
        loop: loop(),
        hosts: await discovery.done,
      });
      break;
    }
    case 'ports': {
      const scan = scanPorts({
        hosts: job.hosts,
        plan: { priority: job.priority, ranges: job.ranges },
        settings,
        scope,
        signal: ctrl.signal,
        workers: job.workers,
      });
      const sample = job.sampleMs
        ? setInterval(
            () => out({ type: 'sample', at: Date.now(), active: scan.active(), progress: scan.progress }),
            job.sampleMs,
          )
        : null;
      for await (const event of scan) out({ ...event, at: Date.now() });
      if (sample) clearInterval(sample);
      const results = await scan.done;
      out({
        type: 'done',
        at: Date.now(),
        elapsed_ms: Date.now() - started,
        loop: loop(),
        results,
        progress: scan.progress,
        workers: scan.workerThreads,
        worker_error: scan.workerError,
        connect: nativeConnectStatus().native ? 'native' : 'net.Socket',
        // Every thread of this process (scan workers included) and the kernel work charged to it, in ms.
        cpu_ms: cpuMs(),
      });
      break;
    }
  }
}

// Exit once stdout is flushed: writes to a pipe are asynchronous, and a large `done` line would be cut short.
const exit = (code: number) => process.stdout.write('', () => process.exit(code));
main().then(
  () => exit(0),
  (err: unknown) => {
    out({ type: 'error', message: err instanceof Error ? err.message : String(err) });
    exit(1);
  },
);
