import type { Worker } from 'node:worker_threads';
import { systemClock, type Clock } from './clock.ts';
import { socketBudget } from './pacer.ts';
import { planSize, type PortPlan } from './ports.ts';
import type { ScanSettings } from './presets.ts';
import { ScanEngine, unscannedResult, type ActiveHost, type HostScanResult } from './scan-engine.ts';
import { ScanPool, scanWorkerCount, WorkerLostError } from './scan-pool.ts';
import type { ScanScope } from './scope.ts';
import { ScanSignal } from './signal.ts';
import type { ConnectAttempt } from './tcp.ts';

export { RETRY_TRIAL, type ActiveHost, type HostScanResult, type HostScanStatus } from './scan-engine.ts';

/**
 * TCP connect scan of hosts × ports (issue 12): every host at once, each under its own pacing (per-host and global
 * start rate, AIMD window, socket budget, timeouts from measured round trips) in a `ScanEngine` (scan-engine.ts).
 * With scan workers (the default for scans that ask for more than one thread carries), each worker thread runs an
 * engine with its share of the global rate and socket budget and scans the hosts handed to it from start to end
 * (scan-pool.ts, scan-worker.ts); otherwise one engine runs in this thread. Open ports stream out as they are found;
 * each host ends with a summary.
 */

export interface PortScanOptions {
  /**
   * The hosts: a list, or a stream of them as host discovery finds them (each starts at once; the scan ends when
   * the stream does and every host is done). A stream entry may carry the round trip discovery measured.
   */
  hosts: readonly string[] | AsyncIterable<string | { ip: string; rtt_ms?: number | null }>;
  plan: PortPlan;
  settings: ScanSettings;
  /** Every host (and every attempt) is checked against it. */
  scope: ScanScope;
  signal?: AbortSignal;
  clock?: Clock;
  /** Defaults to a real TCP connect (in the scan workers, see `workers`); with it, every host runs in this thread. */
  attempt?: ConnectAttempt;
  /**
   * Worker threads that scan the hosts (the daemon's `scan_workers`): absent or 0 = one per core, except for a
   * scan that asks for fewer than `WORKERS_FROM_PPS` starts per second (a list of hosts whose rates add up to less),
   * which stays in this thread; 1 = every host in this thread; n = n workers (scan-pool.ts). Not used with
   * `attempt` or `clock`.
   */
  workers?: number;
  /** Sockets open at once across all hosts; defaults to the fd-limit budget (pacer.ts `socketBudget`). */
  socketBudget?: number;
  localAddress?: string;
  /** Starts one scan worker (tests replace it to see a worker fail). */
  spawnWorker?: () => Worker;
}

export type PortScanEvent =
  { type: 'open'; host: string; port: number } | { type: 'host'; result: HostScanResult };

export interface PortScanProgress {
  hosts_total: number;
  hosts_done: number;
  /** hosts × ports of the plan. */
  probes_total: number;
  /** Probed or given up. */
  probes_done: number;
  open_found: number;
}

/**
 * Starts per second below which a scan keeps its hosts in this thread even when workers are allowed: one event
 * loop carries that easily, and starting the workers would cost more (a few hundred ms) than they save.
 */
export const WORKERS_FROM_PPS = 2000;

/** The most starts per second a scan may ask for: every host at its rate, under the global cap (unknown hosts: ∞). */
function startDemand(hosts: number | null, s: ScanSettings): number {
  const perHost = s.scan_rate_pps > 0 ? s.scan_rate_pps : Infinity;
  const all = hosts === null ? Infinity : hosts * perHost;
  return Math.min(all, s.global_pps > 0 ? s.global_pps : Infinity);
}

/** A running scan: iterate it for events; `done` resolves with every host's summary (also after a cancel). */
export class PortScan implements AsyncIterable<PortScanEvent> {
  readonly progress: PortScanProgress;
  readonly done: Promise<HostScanResult[]>;
  private readonly events: PortScanEvent[] = [];
  private notify: (() => void) | null = null;
  private finished = false;
  private readonly clock: Clock;
  private readonly budget: number;
  private readonly portsPerHost: number;
  /** Follows the caller's signal; every socket and waiter of the scan listens to this one. */
  private readonly abort: ScanSignal;
  /** The engine of this thread: every host without workers, and hosts whose worker died. */
  private engine: ScanEngine | null = null;
  /** The scan workers, when hosts are scanned in worker threads. */
  private pool: ScanPool | null = null;
  /** Ports each host has reported done so far (taken back if its worker dies and it is scanned again here). */
  private readonly probesOf = new Map<string, number>();
  /** Worker threads the hosts were scanned in (0: this thread). */
  workerThreads = 0;
  /** Why the scan fell back to this thread although workers were asked for (a worker failed to start or died). */
  workerError: string | null = null;

  constructor(private readonly options: PortScanOptions) {
    const list = Array.isArray(options.hosts) ? (options.hosts as readonly string[]) : null;
    for (const host of list ?? []) options.scope.assert(host);
    this.abort = new ScanSignal(options.signal);
    const s = options.settings;
    this.clock = options.clock ?? systemClock;
    this.budget = Math.max(1, options.socketBudget ?? socketBudget());
    this.portsPerHost = planSize(options.plan);
    this.progress = {
      hosts_total: 0,
      hosts_done: 0,
      probes_total: 0,
      probes_done: 0,
      open_found: 0,
    };
    const workers = options.attempt || options.clock ? 1 : scanWorkerCount(options.workers);
    // With the automatic count (0 or absent), a scan one thread carries easily stays in this thread.
    const auto = !options.workers;
    if (workers > 1 && (!auto || startDemand(list?.length ?? null, s) >= WORKERS_FROM_PPS))
      this.pool = new ScanPool({
        size: workers,
        init: {
          plan: options.plan,
          settings: s,
          scope: options.scope.toInput(),
          localAddress: options.localAddress ?? null,
          socketBudget: this.budget,
          globalPps: s.global_pps,
        },
        onOpen: (host, port) => this.onOpen(host, port),
        onProbes: (host, n) => this.onProbes(host, n),
        ...(options.spawnWorker ? { spawn: options.spawnWorker } : {}),
      });
    // Before any probe listens: the workers stop sending in the same instant the scan is cancelled.
    this.abort.addEventListener('abort', () => this.pool?.cancelAll());
    this.done = this.run().finally(async () => {
      this.engine?.stop();
      if (this.pool) {
        if (this.pool.failure) this.workerError ??= this.pool.failure.message;
        await this.pool.close();
      }
      this.finished = true;
      this.notify?.();
    });
  }

  get cancelled(): boolean {
    return this.abort.aborted;
  }

  /** Hosts being scanned right now, with their current window (for progress views and diagnosis). */
  active(): ActiveHost[] {
    return [...(this.pool?.active() ?? []), ...(this.engine?.active() ?? [])];
  }

  async *[Symbol.asyncIterator](): AsyncIterator<PortScanEvent> {
    for (;;) {
      while (this.events.length > 0) yield this.events.shift()!;
      if (this.finished) return;
      await new Promise<void>((resolve) => (this.notify = resolve));
      this.notify = null;
    }
  }

  private emit(event: PortScanEvent): void {
    this.events.push(event);
    this.notify?.();
  }

  private onOpen(host: string, port: number): void {
    this.progress.open_found++;
    this.emit({ type: 'open', host, port });
  }

  private onProbes(host: string, n: number): void {
    this.progress.probes_done += n;
    this.probesOf.set(host, (this.probesOf.get(host) ?? 0) + n);
  }

  /** This thread's engine, made on first use. */
  private local(): ScanEngine {
    this.engine ??= new ScanEngine({
      plan: this.options.plan,
      settings: this.options.settings,
      scope: this.options.scope,
      signal: this.abort,
      clock: this.clock,
      ...(this.options.attempt ? { attempt: this.options.attempt } : {}),
      ...(this.options.localAddress ? { localAddress: this.options.localAddress } : {}),
      socketBudget: this.budget,
      globalPps: this.options.settings.global_pps,
      onOpen: (host, port) => this.onOpen(host, port),
      onProbes: (host, n) => this.onProbes(host, n),
    });
    return this.engine;
  }

  /** Waits for the workers to come up (a few hundred ms); without them, every host is scanned in this thread. */
  private async startWorkers(): Promise<void> {
    const pool = this.pool;
    if (!pool) return;
    let onAbort: (() => void) | null = null;
    try {
      await Promise.race([
        pool.ready,
        new Promise<void>((resolve) => {
          onAbort = resolve;
          this.abort.addEventListener('abort', onAbort);
        }),
      ]);
      this.workerThreads = pool.size;
    } catch (err) {
      this.workerError = (err as Error).message;
      this.pool = null;
      await pool.close();
    } finally {
      if (onAbort) this.abort.removeEventListener('abort', onAbort);
    }
  }

  /** One host, in a worker when there are workers (in this thread again if its worker dies). */
  private async scanHost(host: string, hint: number | null | undefined): Promise<HostScanResult> {
    if (this.pool && !this.abort.aborted) {
      try {
        return await this.pool.run(host, hint);
      } catch (err) {
        if (!(err instanceof WorkerLostError)) throw err;
        this.workerError ??= err.message;
        // Scanned again from the start here: what its worker had counted is taken back.
        this.progress.probes_done -= this.probesOf.get(host) ?? 0;
        this.probesOf.delete(host);
      }
    }
    return this.local().run(host, hint);
  }

  private async run(): Promise<HostScanResult[]> {
    const results: HostScanResult[] = [];
    await this.startWorkers();
    const running: Promise<void>[] = [];
    const start = (host: string, rttMs: number | null | undefined) => {
      this.options.scope.assert(host);
      this.progress.hosts_total++;
      this.progress.probes_total += this.portsPerHost;
      running.push(
        (async () => {
          const result = this.abort.aborted
            ? this.unscanned(host)
            : await this.scanHost(host, rttMs).catch((err: unknown) => {
                // A bug in one host's scan: stop the rest, then surface it.
                this.abort.abort(err);
                throw err;
              });
          this.probesOf.delete(host);
          results.push(result);
          this.progress.hosts_done++;
          this.emit({ type: 'host', result });
        })(),
      );
    };
    const seen = new Set<string>();
    if (Array.isArray(this.options.hosts)) {
      for (const host of this.options.hosts as readonly string[]) start(host, undefined);
    } else {
      type Entry = string | { ip: string; rtt_ms?: number | null };
      try {
        for await (const entry of this.options.hosts as AsyncIterable<Entry>) {
          const { ip, rtt_ms } = typeof entry === 'string' ? { ip: entry, rtt_ms: undefined } : entry;
          if (seen.has(ip)) continue;
          seen.add(ip);
          if (this.cancelled) break;
          start(ip, rtt_ms);
        }
      } catch (err) {
        // The stream failed (or named a host out of scope): stop what runs, then surface the error.
        this.abort.abort(err);
        await Promise.allSettled(running);
        throw err;
      }
    }
    const settled = await Promise.allSettled(running);
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return results;
  }

  /** The summary of a host the scan never started (cancelled before its turn). */
  private unscanned(host: string): HostScanResult {
    this.progress.probes_done += this.portsPerHost;
    return unscannedResult(host, this.portsPerHost, this.options.settings);
  }
}

export function scanPorts(options: PortScanOptions): PortScan {
  return new PortScan(options);
}
