import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import {
  SCAN_WORKER_ROLE,
  type DoneEntry,
  type FromWorker,
  type GoEntry,
  type ToWorker,
} from './connect-worker.ts';
import type { AbortLike } from './signal.ts';
import { connectAttempt, type AttemptOptions, type AttemptOutcome, type ConnectAttempt } from './tcp.ts';

/**
 * The main thread's side of the scan workers (issue 12 "every core"): one Node.js event loop starts some 10–13k
 * connects per second, so the connects themselves run in `worker_threads`, one per core by default. The pacing
 * stays central: the port scan (port-scan.ts) decides every start on the main thread under its pacer (per-host and
 * global rate, AIMD window, socket budget, RTT timeouts, retries), and hands each granted start to a worker as a
 * message; the worker connects, measures the round trip and sends the outcome back. Each host belongs to one worker
 * for the whole scan, whose `SendGuard` re-checks the per-host rate at the moment each SYN leaves, so a clump of
 * grants delivered late never reaches the host as a burst.
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
    return new Worker(new URL('./connect-worker.boot.mjs', here), {
      workerData: { role: SCAN_WORKER_ROLE, module: new URL('./connect-worker.ts', here).href },
    });
  }
  // The single-file bundle: main.ts sees the role and serves as a worker instead of starting a daemon.
  return new Worker(new URL(here), { workerData: { role: SCAN_WORKER_ROLE } });
}

interface Pending {
  id: number;
  slot: Slot;
  resolve: (outcome: AttemptOutcome) => void;
  signal?: AbortLike;
  onAbort?: () => void;
  /** Kept to run the attempt in this thread if its worker dies. */
  ip: string;
  port: number;
  options: AttemptOptions;
}

interface Slot {
  index: number;
  worker: Worker;
  hosts: number;
  outbox: GoEntry[];
  cancels: number[];
  flushQueued: boolean;
  ready: boolean;
  /** Crashed or exited on its own: its hosts run in this thread from then on. */
  dead: boolean;
}

export interface ConnectPoolOptions {
  /** Worker threads to start (≥ 1). */
  size: number;
  /** `scan_rate_pps`: the per-host rate each worker's guard holds (0 = unlimited). */
  hostPps: number;
  /** Spawns a worker; tests may replace it. */
  spawn?: () => Worker;
}

export class ConnectPool {
  readonly size: number;
  /** Resolves when every worker is up; rejects when one fails to start (the caller then scans in-process). */
  readonly ready: Promise<void>;
  private readonly slots: Slot[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly hostSlot = new Map<string, Slot>();
  private nextId = 1;
  private closing = false;
  private closed: Promise<void> | null = null;
  /** Shared with every worker: set (to 1) when the scan is cancelled, read before every connect. */
  private readonly stop = new Int32Array(new SharedArrayBuffer(4));
  /** The first worker failure, for the caller to report. */
  failure: Error | null = null;

  constructor(options: ConnectPoolOptions) {
    this.size = Math.max(1, Math.floor(options.size));
    const spawn = options.spawn ?? spawnWorker;
    const readies: Promise<void>[] = [];
    for (let index = 0; index < this.size; index++) {
      const worker = spawn();
      const slot: Slot = {
        index,
        worker,
        hosts: 0,
        outbox: [],
        cancels: [],
        flushQueued: false,
        ready: false,
        dead: false,
      };
      this.slots.push(slot);
      readies.push(
        new Promise<void>((resolve, reject) => {
          worker.on('message', (msg: FromWorker) => {
            if (msg.t === 'ready') {
              slot.ready = true;
              resolve();
            } else this.onDone(msg.b);
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
      worker.postMessage({ t: 'init', hostPps: options.hostPps, stop: this.stop } satisfies ToWorker);
    }
    this.ready = Promise.all(readies).then(() => undefined);
    // A failed start is reported through `ready` and `failure`; never as an unhandled rejection.
    this.ready.catch(() => undefined);
  }

  /** Connect attempts handed out and not yet answered. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Hosts each worker holds right now (for tests and diagnosis). */
  get hostsPerWorker(): number[] {
    return this.slots.map((s) => s.hosts);
  }

  /** A `ConnectAttempt` (tcp.ts) that runs in the worker holding `ip`; the outcome carries its measured round trip. */
  readonly attempt: ConnectAttempt = (ip, port, options) => {
    if (options.signal?.aborted) return Promise.resolve({ kind: 'aborted' });
    const slot = this.slotOf(ip);
    if (this.closing || !slot || slot.dead) return connectAttempt(ip, port, options);
    return new Promise<AttemptOutcome>((resolve) => {
      const id = this.nextId++;
      const p: Pending = { id, slot, resolve, signal: options.signal, ip, port, options };
      if (options.signal) {
        p.onAbort = () => {
          if (!this.pending.delete(id)) return;
          slot.cancels.push(id);
          this.flushSoon(slot);
          resolve({ kind: 'aborted' });
        };
        options.signal.addEventListener('abort', p.onAbort, { once: true });
      }
      this.pending.set(id, p);
      slot.outbox.push([id, ip, port, options.timeoutMs, options.localAddress ?? null]);
      this.flushSoon(slot);
    });
  };

  /**
   * The scan is cancelled: from this moment no worker starts another connect (shared flag), the ones out resolve
   * 'aborted' at once and the workers destroy their sockets. Attempts asked for afterwards run in this thread.
   */
  cancelAll(): void {
    Atomics.store(this.stop, 0, 1);
    this.closing = true;
    for (const p of [...this.pending.values()]) this.settle(p, { kind: 'aborted' });
    for (const slot of this.slots)
      if (!slot.dead) slot.worker.postMessage({ t: 'cancel-all' } satisfies ToWorker);
  }

  /** The host is done: its worker may take another one. */
  releaseHost(ip: string): void {
    const slot = this.hostSlot.get(ip);
    if (!slot) return;
    this.hostSlot.delete(ip);
    slot.hosts--;
  }

  /**
   * Stops every worker: attempts still out resolve 'aborted' at once, the workers drop theirs (sockets destroyed)
   * and are terminated. Never rejects; calling it again returns the same promise.
   */
  close(): Promise<void> {
    if (this.closed) return this.closed;
    Atomics.store(this.stop, 0, 1);
    this.closing = true;
    for (const p of [...this.pending.values()]) this.settle(p, { kind: 'aborted' });
    this.closed = Promise.all(
      this.slots.map(async (slot) => {
        try {
          if (!slot.dead) slot.worker.postMessage({ t: 'cancel-all' } satisfies ToWorker);
          await slot.worker.terminate();
        } catch {
          // Already gone.
        }
      }),
    ).then(() => undefined);
    return this.closed;
  }

  /** The worker holding `ip`: fixed at its first attempt, the one with the fewest hosts (ties: the first). */
  private slotOf(ip: string): Slot | undefined {
    const known = this.hostSlot.get(ip);
    if (known) return known;
    let best: Slot | undefined;
    for (const s of this.slots) if (!s.dead && (!best || s.hosts < best.hosts)) best = s;
    if (!best) return undefined;
    best.hosts++;
    this.hostSlot.set(ip, best);
    return best;
  }

  private flushSoon(slot: Slot): void {
    if (slot.flushQueued) return;
    slot.flushQueued = true;
    // Every start granted in this event-loop turn goes in one message.
    setImmediate(() => {
      slot.flushQueued = false;
      if (slot.dead || this.closing) return;
      if (slot.cancels.length > 0) {
        slot.worker.postMessage({ t: 'cancel', ids: slot.cancels } satisfies ToWorker);
        slot.cancels = [];
      }
      if (slot.outbox.length > 0) {
        slot.worker.postMessage({ t: 'go', b: slot.outbox } satisfies ToWorker);
        slot.outbox = [];
      }
    });
  }

  private onDone(batch: DoneEntry[]): void {
    for (const [id, kind, elapsedMs, code] of batch) {
      const p = this.pending.get(id);
      if (!p) continue;
      const outcome: AttemptOutcome =
        kind === 'unreachable' || kind === 'error'
          ? { kind, code: code ?? 'UNKNOWN', elapsedMs }
          : { kind, elapsedMs };
      this.settle(p, outcome);
    }
  }

  private settle(p: Pending, outcome: AttemptOutcome): void {
    if (!this.pending.delete(p.id)) return;
    if (p.onAbort) p.signal?.removeEventListener('abort', p.onAbort);
    p.resolve(outcome);
  }

  /** A worker died outside `close`: its attempts (and its hosts from now on) run in this thread. */
  private lose(slot: Slot, err: Error): void {
    if (slot.dead) return;
    slot.dead = true;
    this.failure ??= err;
    slot.outbox = [];
    slot.cancels = [];
    for (const p of [...this.pending.values()]) {
      if (p.slot !== slot) continue;
      this.pending.delete(p.id);
      if (p.onAbort) p.signal?.removeEventListener('abort', p.onAbort);
      void connectAttempt(p.ip, p.port, p.options).then(p.resolve);
    }
  }
}
