import { isMainThread, parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { defaultConnectAttempt } from './native-connect.ts';
import type { PortPlan } from './ports.ts';
import type { ScanSettings } from './presets.ts';
import { ScanEngine, type ActiveHost, type HostScanResult } from './scan-engine.ts';
import { ScanScope, type ScopeInput } from './scope.ts';
import { ScanSignal } from './signal.ts';
import { connectAttempt, type ConnectAttempt } from './tcp.ts';

/**
 * A scan worker (worker_threads, issue 12 "every core"): scans the hosts the main thread hands it, each host's whole
 * loop (pacing, window, timeouts, retries, the connects themselves) in this thread, with its own `ScanEngine` holding
 * this worker's share of the global start rate and of the socket budget. The main thread only hands out hosts and
 * collects what they found (scan-pool.ts), so the scan is limited by the cores, not by one event loop.
 *
 * Protocol (plain objects):
 *   main → worker  { t: 'init', plan, settings, scope, localAddress, socketBudget, globalPps, stop }
 *                  · { t: 'host', id, host, hint } · { t: 'cancel' }
 *   worker → main  { t: 'ready' } · { t: 'events', b: WorkerEvent[], active? } (at most one per 20 ms)
 * `stop` is shared memory (an Int32Array over a SharedArrayBuffer): the main thread sets it the moment the scan is
 * cancelled and the worker reads it right before every connect, so no SYN leaves after a cancel even while the
 * cancel message is still on its way. The scope is rebuilt here from the main thread's and checked before every
 * start, as in the main thread.
 */

/** `workerData.role` of a scan worker: the daemon bundle starts itself with it (main.ts). */
export const SCAN_WORKER_ROLE = 'scanopy-scan-worker';

export interface WorkerInit {
  t: 'init';
  plan: PortPlan;
  settings: ScanSettings;
  scope: ScopeInput;
  localAddress: string | null;
  /** This worker's share of the sockets the scan may hold open. */
  socketBudget: number;
  /** This worker's share of `global_pps` (0 = unlimited). */
  globalPps: number;
  stop: Int32Array;
}

export type ToWorker =
  WorkerInit | { t: 'host'; id: number; host: string; hint: number | null } | { t: 'cancel' };

export type WorkerEvent =
  | [kind: 'open', host: string, port: number]
  | [kind: 'probes', host: string, n: number]
  /** The summary of the host handed over as `id`. */
  | [kind: 'result', id: number, result: HostScanResult]
  /** The host's scan failed on a bug (not a cancel); the main thread surfaces it. */
  | [kind: 'fail', id: number, message: string];

export type FromWorker =
  | { t: 'ready' }
  | { t: 'init-failed'; message: string }
  | { t: 'events'; b: WorkerEvent[]; active?: ActiveHost[] };

/** True in a thread started as a scan worker (by scan-pool.ts). */
export function isScanWorker(): boolean {
  return !isMainThread && (workerData as { role?: unknown } | null)?.role === SCAN_WORKER_ROLE;
}

/** The longest an event waits in the worker before it is sent. */
const FLUSH_MS = 20;

/** How often a busy worker tells the main thread about its hosts' windows (`PortScan.active()`). */
const ACTIVE_EVERY_MS = 250;

/** The worker's side; `port` is the channel to the main thread. Exported for tests that run it in-process. */
export class ScanWorker {
  private engine: ScanEngine | null = null;
  private readonly signal = new ScanSignal();
  private stopFlag: Int32Array<ArrayBufferLike> = new Int32Array(1);
  private out: WorkerEvent[] = [];
  /** Probes done per host since the last flush (one event per host per turn). */
  private probes = new Map<string, number>();
  private flushing = false;
  private lastActive = -Infinity;
  private running = 0;

  constructor(
    private readonly port: Pick<MessagePort, 'postMessage'>,
    /** Tests may connect through their own adapter. */
    private readonly connect: ConnectAttempt = defaultConnectAttempt(connectAttempt),
  ) {}

  /** Hosts being scanned. */
  get hosts(): number {
    return this.running;
  }

  handle(msg: ToWorker): void {
    switch (msg.t) {
      case 'init':
        return this.init(msg);
      case 'host':
        return this.scan(msg.id, msg.host, msg.hint);
      case 'cancel':
        this.signal.abort(new Error('scan cancelled'));
        return;
    }
  }

  private init(msg: WorkerInit): void {
    this.stopFlag = msg.stop;
    let scope: ScanScope;
    try {
      scope = ScanScope.create(msg.scope);
    } catch (err) {
      this.port.postMessage({ t: 'init-failed', message: (err as Error).message } satisfies FromWorker);
      return;
    }
    // Read right before every connect: once the main thread has cancelled, nothing more leaves this thread.
    const attempt: ConnectAttempt = (ip, port, options) => {
      if (this.stopped) {
        this.signal.abort(new Error('scan cancelled'));
        return Promise.resolve({ kind: 'aborted' });
      }
      return this.connect(ip, port, options);
    };
    this.engine = new ScanEngine({
      plan: msg.plan,
      settings: msg.settings,
      scope,
      signal: this.signal,
      attempt,
      ...(msg.localAddress ? { localAddress: msg.localAddress } : {}),
      socketBudget: msg.socketBudget,
      globalPps: msg.globalPps,
      onOpen: (host, port) => this.push(['open', host, port]),
      onProbes: (host, n) => {
        if (n === 0) return;
        this.probes.set(host, (this.probes.get(host) ?? 0) + n);
        this.flushSoon();
      },
    });
    this.port.postMessage({ t: 'ready' } satisfies FromWorker);
  }

  private get stopped(): boolean {
    return Atomics.load(this.stopFlag, 0) !== 0;
  }

  private scan(id: number, host: string, hint: number | null): void {
    const engine = this.engine;
    if (!engine) {
      this.push(['fail', id, 'scan worker not initialised']);
      return;
    }
    if (this.stopped) this.signal.abort(new Error('scan cancelled'));
    this.running++;
    engine.run(host, hint).then(
      (result) => {
        this.running--;
        this.flushProbes();
        this.push(['result', id, result]);
      },
      (err: unknown) => {
        this.running--;
        this.flushProbes();
        this.push(['fail', id, err instanceof Error ? err.message : String(err)]);
      },
    );
  }

  private push(event: WorkerEvent): void {
    this.out.push(event);
    this.flushSoon();
  }

  /** Probe counts go out before a host's result, so the main thread's progress is whole when the host ends. */
  private flushProbes(): void {
    for (const [host, n] of this.probes) this.out.push(['probes', host, n]);
    this.probes.clear();
  }

  private flushSoon(): void {
    if (this.flushing) return;
    this.flushing = true;
    // Everything of the next few milliseconds in one message: a message per event-loop turn cost a few per cent of
    // a busy worker, and no reader needs the events sooner.
    setTimeout(() => {
      this.flushing = false;
      this.flushProbes();
      const b = this.out;
      this.out = [];
      const now = performance.now();
      const msg: FromWorker = { t: 'events', b };
      if (this.engine && now - this.lastActive >= ACTIVE_EVERY_MS) {
        this.lastActive = now;
        msg.active = this.engine.active();
      }
      this.port.postMessage(msg);
    }, FLUSH_MS);
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
