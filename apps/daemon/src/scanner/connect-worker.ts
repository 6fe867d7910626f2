import { isMainThread, parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { SendGuard } from './send-guard.ts';
import type { AbortLike } from './signal.ts';
import { connectAttempt, type AttemptOutcome } from './tcp.ts';

/**
 * A scan worker (worker_threads): runs the TCP connects the main thread's port scan hands it and reports each
 * outcome with the round trip it measured. It decides nothing about pacing but the last check: every start passes
 * the worker's `SendGuard`, so each host (handled by this worker only) sees at most `scan_rate_pps` SYNs per second
 * and `windowCap` in any 100 ms, counted at the moment the SYN leaves. See connect-pool.ts for the main side.
 *
 * Protocol (plain arrays, batched per event-loop turn in both directions):
 *   main → worker  { t: 'init', hostPps, stop } · { t: 'go', b: [id, ip, port, timeoutMs, localAddress | null][] }
 *                  · { t: 'cancel', ids } · { t: 'cancel-all' }
 *   worker → main  { t: 'ready' } · { t: 'done', b: [id, kind, elapsedMs, code | null][] }
 * `stop` is shared memory (an Int32Array over a SharedArrayBuffer): the main thread sets it the moment the scan is
 * cancelled, and the worker reads it right before every connect, so no SYN leaves after a cancel even while
 * messages are still on their way.
 */

/** `workerData.role` of a scan worker: the daemon bundle starts itself with it (main.ts). */
export const SCAN_WORKER_ROLE = 'scanopy-scan-worker';

export type GoEntry = [id: number, ip: string, port: number, timeoutMs: number, localAddress: string | null];
export type DoneEntry = [id: number, kind: AttemptOutcome['kind'], elapsedMs: number, code: string | null];

export type ToWorker =
  | { t: 'init'; hostPps: number; stop: Int32Array }
  | { t: 'go'; b: GoEntry[] }
  | { t: 'cancel'; ids: number[] }
  | { t: 'cancel-all' };

export type FromWorker = { t: 'ready' } | { t: 'done'; b: DoneEntry[] };

/** True in a thread started as a scan worker (by connect-pool.ts). */
export function isScanWorker(): boolean {
  return !isMainThread && (workerData as { role?: unknown } | null)?.role === SCAN_WORKER_ROLE;
}

/** One connect's cancellation: connectAttempt listens on it; `abort` ends the attempt as 'aborted'. */
class Cancel implements AbortLike {
  aborted = false;
  readonly reason = undefined;
  private listener: (() => void) | null = null;

  addEventListener(_type: 'abort', listener: () => void): void {
    this.listener = listener;
  }

  removeEventListener(): void {
    this.listener = null;
  }

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    const l = this.listener;
    this.listener = null;
    l?.();
  }
}

interface Running {
  cancel: Cancel;
  /** Drops the start while it still waits in the guard. */
  unqueue: () => boolean;
}

/** The worker's side; `port` is the channel to the main thread. Exported for tests that run it in-process. */
export class ScanWorker {
  private guard = new SendGuard(0);
  private stop: Int32Array<ArrayBufferLike> = new Int32Array(1);
  private readonly running = new Map<number, Running>();
  private out: DoneEntry[] = [];
  private flushing = false;

  constructor(private readonly port: Pick<MessagePort, 'postMessage'>) {}

  handle(msg: ToWorker): void {
    switch (msg.t) {
      case 'init':
        this.guard = new SendGuard(msg.hostPps);
        this.stop = msg.stop;
        this.port.postMessage({ t: 'ready' } satisfies FromWorker);
        break;
      case 'go':
        for (const entry of msg.b) this.start(entry);
        break;
      case 'cancel':
        for (const id of msg.ids) this.cancel(id);
        break;
      case 'cancel-all':
        for (const id of [...this.running.keys()]) this.cancel(id);
        this.guard.clear();
        break;
    }
  }

  /** Attempts not yet reported. */
  get pending(): number {
    return this.running.size;
  }

  private start([id, ip, port, timeoutMs, localAddress]: GoEntry): void {
    const cancel = new Cancel();
    const entry: Running = { cancel, unqueue: () => false };
    this.running.set(id, entry);
    if (this.stopped) return this.finish(id, { kind: 'aborted' }, 0);
    const { cancel: unqueue } = this.guard.submit(ip, () => {
      if (this.stopped) return this.finish(id, { kind: 'aborted' }, 0);
      const sent = performance.now();
      void connectAttempt(ip, port, {
        timeoutMs,
        signal: cancel,
        ...(localAddress ? { localAddress } : {}),
      }).then((outcome) => this.finish(id, outcome, performance.now() - sent));
    });
    entry.unqueue = unqueue;
  }

  private get stopped(): boolean {
    return Atomics.load(this.stop, 0) !== 0;
  }

  private cancel(id: number): void {
    const entry = this.running.get(id);
    if (!entry) return;
    // Still waiting for its turn: it never goes out. On the wire: its socket is destroyed ('aborted').
    if (entry.unqueue()) this.finish(id, { kind: 'aborted' }, 0);
    else entry.cancel.abort();
  }

  private finish(id: number, outcome: AttemptOutcome, elapsedMs: number): void {
    if (!this.running.delete(id)) return;
    const code = outcome.kind === 'unreachable' || outcome.kind === 'error' ? outcome.code : null;
    this.out.push([id, outcome.kind, elapsedMs, code]);
    if (this.flushing) return;
    this.flushing = true;
    // Every outcome of this event-loop turn in one message.
    setImmediate(() => {
      this.flushing = false;
      const b = this.out;
      this.out = [];
      this.port.postMessage({ t: 'done', b } satisfies FromWorker);
    });
  }
}

/** The worker thread's entry: serves the main thread until it terminates the worker. */
export function runScanWorker(): void {
  const port = parentPort;
  if (!port) throw new Error('runScanWorker outside a worker thread');
  // Every refused port is an ECONNREFUSED error object; its stack trace (never read here) cost more than the connect.
  Error.stackTraceLimit = 0;
  const worker = new ScanWorker(port);
  port.on('message', (msg: ToWorker) => worker.handle(msg));
}
