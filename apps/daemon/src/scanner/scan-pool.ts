import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ActiveHost, HostScanResult } from './scan-engine.ts';
import { SCAN_WORKER_ROLE, type FromWorker, type ToWorker, type WorkerInit } from './scan-worker.ts';

/**
 * The main thread's side of the scan workers (issue 12 "every core"). One Node.js event loop runs some 10–13k
 * connects per second with their pacing, so a port scan hands whole hosts to `worker_threads`, one per core by
 * default: each worker scans its hosts from start to end (pacer, window, timeouts, retries and the connects, in
 * one thread, scan-worker.ts) and sends back what it finds. The main thread only hands out hosts (to the worker with
 * the fewest) and collects open ports, progress and summaries. The global start rate and the socket budget are
 * split evenly between the workers; the per-host rate needs no sharing, since a host is scanned by one worker.
 */

/** The number of worker threads for the `scan_workers` setting: 0 (or absent) means one per core. */
export function scanWorkerCount(setting: number | null | undefined, cores = availableParallelism()): number {
  const n = setting === null || setting === undefined || setting <= 0 ? cores : Math.floor(setting);
  return Math.max(1, Math.min(n, 256));
}

/** Starts one scan worker: from the TypeScript sources through tsx, or the daemon bundle starting itself. */
function spawnWorker(): Worker {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    // Sources (tests, benches, `tsx src/main.ts`): a plain-JS boot registers the TypeScript loader in the new thread.
    return new Worker(new URL('./scan-worker.boot.mjs', here), {
      workerData: { role: SCAN_WORKER_ROLE, module: new URL('./scan-worker.ts', here).href },
    });
  }
  // The single-file bundle: main.ts sees the role and serves as a worker instead of starting a daemon.
  return new Worker(new URL(here), { workerData: { role: SCAN_WORKER_ROLE } });
}

/** The worker scanning a host died (or failed to start): the host's scan is to be run again elsewhere. */
export class WorkerLostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkerLostError';
  }
}

interface Job {
  id: number;
  host: string;
  slot: Slot;
  resolve: (result: HostScanResult) => void;
  reject: (err: Error) => void;
}

interface Slot {
  index: number;
  worker: Worker;
  jobs: Map<number, Job>;
  active: ActiveHost[];
  /** Crashed or exited on its own: it takes no more hosts. */
  dead: boolean;
}

export interface ScanPoolOptions {
  /** Worker threads to start (≥ 1). */
  size: number;
  /** What every worker scans with; `socketBudget` and `globalPps` are the scan's totals, split between workers. */
  init: Omit<WorkerInit, 't' | 'stop'>;
  onOpen: (host: string, port: number) => void;
  onProbes: (host: string, n: number) => void;
  /** Spawns a worker; tests may replace it. */
  spawn?: () => Worker;
}

export class ScanPool {
  readonly size: number;
  /** Resolves when every worker is up; rejects when one fails to start (the caller then scans in-process). */
  readonly ready: Promise<void>;
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private closing = false;
  private closed: Promise<void> | null = null;
  /** Shared with every worker: set (to 1) when the scan is cancelled, read before every connect. */
  private readonly stop = new Int32Array(new SharedArrayBuffer(4));
  /** The first worker failure, for the caller to report. */
  failure: Error | null = null;

  constructor(private readonly options: ScanPoolOptions) {
    this.size = Math.max(1, Math.floor(options.size));
    const spawn = options.spawn ?? spawnWorker;
    const init: ToWorker = {
      t: 'init',
      ...options.init,
      socketBudget: Math.max(1, Math.floor(options.init.socketBudget / this.size)),
      // 0 (unlimited) stays unlimited.
      globalPps: options.init.globalPps > 0 ? Math.max(1, options.init.globalPps / this.size) : 0,
      stop: this.stop,
    };
    const readies: Promise<void>[] = [];
    for (let index = 0; index < this.size; index++) {
      const worker = spawn();
      const slot: Slot = { index, worker, jobs: new Map(), active: [], dead: false };
      this.slots.push(slot);
      readies.push(
        new Promise<void>((resolve, reject) => {
          worker.on('message', (msg: FromWorker) => {
            if (msg.t === 'ready') resolve();
            else if (msg.t === 'init-failed') {
              const err = new Error(`scan worker ${index} failed to start: ${msg.message}`);
              reject(err);
              this.lose(slot, err);
            } else this.onEvents(slot, msg);
          });
          worker.on('error', (err) => {
            reject(err);
            this.lose(slot, err);
          });
          worker.on('exit', (code) => {
            const err = new Error(`scan worker ${index} exited with code ${code}`);
            reject(err);
            if (!this.closing) this.lose(slot, err);
          });
        }),
      );
      worker.postMessage(init);
    }
    this.ready = Promise.all(readies).then(() => undefined);
    // A failed start is reported through `ready` and `failure`; never as an unhandled rejection.
    this.ready.catch(() => undefined);
  }

  /** Hosts each worker is scanning right now (for tests and diagnosis). */
  get hostsPerWorker(): number[] {
    return this.slots.map((s) => s.jobs.size);
  }

  /** The hosts being scanned, with their windows, as the workers last reported them (every 250 ms at most). */
  active(): ActiveHost[] {
    return this.slots.flatMap((s) => s.active);
  }

  /**
   * Scans `host` in the worker with the fewest hosts. Resolves with its summary (also when cancelled); rejects with
   * `WorkerLostError` when no worker can take it or its worker dies, and with the worker's error on a bug.
   */
  run(host: string, hint: number | null | undefined): Promise<HostScanResult> {
    let slot: Slot | undefined;
    for (const s of this.slots) if (!s.dead && (!slot || s.jobs.size < slot.jobs.size)) slot = s;
    if (!slot || this.closing) return Promise.reject(new WorkerLostError('no scan worker is running'));
    const id = this.nextId++;
    const target = slot;
    return new Promise<HostScanResult>((resolve, reject) => {
      target.jobs.set(id, { id, host, slot: target, resolve, reject });
      target.worker.postMessage({ t: 'host', id, host, hint: hint ?? null } satisfies ToWorker);
    });
  }

  /**
   * The scan is cancelled: from this moment no worker starts another connect (shared flag); each worker ends its
   * hosts as cancelled and reports them.
   */
  cancelAll(): void {
    Atomics.store(this.stop, 0, 1);
    for (const slot of this.slots)
      if (!slot.dead) slot.worker.postMessage({ t: 'cancel' } satisfies ToWorker);
  }

  /**
   * Stops every worker (sockets and all): hosts still out reject with `WorkerLostError`. Never rejects; calling it
   * again returns the same promise.
   */
  close(): Promise<void> {
    if (this.closed) return this.closed;
    Atomics.store(this.stop, 0, 1);
    this.closing = true;
    this.closed = Promise.all(
      this.slots.map(async (slot) => {
        this.failJobs(slot, new WorkerLostError('the scan workers were closed'));
        try {
          await slot.worker.terminate();
        } catch {
          // Already gone.
        }
      }),
    ).then(() => undefined);
    return this.closed;
  }

  private onEvents(slot: Slot, msg: Extract<FromWorker, { t: 'events' }>): void {
    if (msg.active) slot.active = msg.active;
    for (const event of msg.b) {
      switch (event[0]) {
        case 'open':
          this.options.onOpen(event[1], event[2]);
          break;
        case 'probes':
          this.options.onProbes(event[1], event[2]);
          break;
        case 'result': {
          const job = slot.jobs.get(event[1]);
          if (!job) break;
          slot.jobs.delete(job.id);
          if (slot.jobs.size === 0) slot.active = [];
          job.resolve(event[2]);
          break;
        }
        case 'fail': {
          const job = slot.jobs.get(event[1]);
          if (!job) break;
          slot.jobs.delete(job.id);
          job.reject(new Error(`scan of ${job.host} failed in a scan worker: ${event[2]}`));
          break;
        }
      }
    }
  }

  private failJobs(slot: Slot, err: Error): void {
    const jobs = [...slot.jobs.values()];
    slot.jobs.clear();
    slot.active = [];
    for (const job of jobs) job.reject(err);
  }

  /** A worker died outside `close`: its hosts are handed back to the caller (to scan again in this thread). */
  private lose(slot: Slot, err: Error): void {
    if (slot.dead) return;
    slot.dead = true;
    this.failure ??= err;
    this.failJobs(slot, new WorkerLostError(err.message));
  }
}
