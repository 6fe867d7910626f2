import { systemClock, type Clock } from './clock.ts';
import { ConnectPool, scanWorkerCount } from './connect-pool.ts';
import { AimdWindow, LoopGovernor, Pacer, Semaphore, socketBudget, type PacerLane } from './pacer.ts';
import { planSize, portOrder, type PortPlan } from './ports.ts';
import { RttEstimator } from './rtt.ts';
import { ScanSignal } from './signal.ts';
import type { ScanSettings } from './presets.ts';
import type { ScanScope } from './scope.ts';
import {
  connectAttempt,
  isResourceExhaustion,
  LocalProbeError,
  probeTcpPort,
  type AttemptInfo,
  type AttemptOutcome,
  type ConnectAttempt,
} from './tcp.ts';

/**
 * TCP connect scan of hosts × ports under the pacer (pacer.ts): per-host start rate, global start rate, per-host
 * AIMD window, global socket budget. Every host is scanned at once (as many as the socket budget can feed at their
 * floor window), each with its own timeout from measured round trips (rtt.ts). Open ports stream out as they are
 * found; each host ends with a summary.
 *
 * Drops are not congestion: a timeout on a host that shows no sign of overload is filtering, and the window keeps
 * growing, so a firewalled host is scanned at its start rate. Signs of overload halve the window: an answer to a
 * retry (the first SYN was lost while the port answers), round trips rising well above the host's best.
 */

/**
 * Retries on one host that must all go unanswered before the host's remaining timeouts are recorded filtered
 * without a retry (like nmap, which stops retransmitting once retransmissions have never been answered): a firewall
 * drops deterministically, so a second SYN to a dropped port only costs time.
 */
export const RETRY_TRIAL = 32;

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
  /** Defaults to a real TCP connect (in the scan workers, see `workers`). */
  attempt?: ConnectAttempt;
  /**
   * Worker threads that run the connects (the daemon's `scan_workers`): absent or 0 = one per core, except for a
   * scan that asks for fewer than `WORKERS_FROM_PPS` starts per second (a list of hosts whose rates add up to less),
   * which stays in this thread; 1 = every connect in this thread; n = n workers. The pacing stays on this thread
   * either way (connect-pool.ts). Not used with `attempt`.
   */
  workers?: number;
  /** Sockets open at once across all hosts; defaults to the fd-limit budget (pacer.ts `socketBudget`). */
  socketBudget?: number;
  localAddress?: string;
}

export type HostScanStatus =
  /** Every port of the plan was probed. */
  | 'complete'
  /** No answer at all after `silent_host_limit` timed-out ports: the host filters everything; the rest was skipped. */
  | 'silent'
  /** The network reported the host unreachable; the rest was skipped. */
  | 'unreachable'
  | 'cancelled';

export interface HostScanResult {
  host: string;
  status: HostScanStatus;
  /** Ascending. */
  open: number[];
  /** Ports that answered RST. */
  closed: number;
  /** Ascending: ports whose every attempt timed out. */
  filtered: number[];
  /** Ports of the plan never probed (silent, unreachable, cancelled). */
  unprobed: number;
  /** Connection attempts sent, retries included. */
  attempts: number;
  /** Smoothed round trip measured on the host (ms), null when it never answered. */
  srtt_ms: number | null;
  /** The connect timeout the host ended with (ms). */
  timeout_ms: number;
  /** Ports that failed on a local error other than resource exhaustion (counted, not retried). */
  errors: number;
  duration_ms: number;
}

export interface ActiveHost {
  host: string;
  /** Current AIMD window (probes allowed in flight). */
  window: number;
  in_flight: number;
  attempts: number;
  /** Current connect timeout from the host's round trips (ms). */
  timeout_ms: number;
}

/** What the scan knows about one host while it runs. */
interface HostState {
  window: AimdWindow;
  lane: PacerLane;
  rtt: RttEstimator;
  answered: boolean;
  /** Retries that timed out too, and retries that got an answer. */
  retriesLost: number;
  retriesAnswered: number;
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
 * Starts per second below which a scan keeps its connects in this thread even when workers are allowed: one event
 * loop carries that easily, and starting the workers would cost more (a few hundred ms) than they save.
 */
export const WORKERS_FROM_PPS = 2000;

/** The most starts per second a scan may ask for: every host at its rate, under the global cap (unknown hosts: ∞). */
function startDemand(hosts: number | null, s: ScanSettings): number {
  const perHost = s.scan_rate_pps > 0 ? s.scan_rate_pps : Infinity;
  const all = hosts === null ? Infinity : hosts * perHost;
  return Math.min(all, s.global_pps > 0 ? s.global_pps : Infinity);
}

/** Hysteresis for the socket-budget controller (like the reference's FD controller, daemon.md §4.2). */
const BUDGET_CUT_COOLDOWN_MS = 500;
const BUDGET_RECOVERY_STREAK = 50;

/** A running scan: iterate it for events; `done` resolves with every host's summary (also after a cancel). */
export class PortScan implements AsyncIterable<PortScanEvent> {
  readonly progress: PortScanProgress;
  readonly done: Promise<HostScanResult[]>;
  private readonly events: PortScanEvent[] = [];
  private notify: (() => void) | null = null;
  private finished = false;
  private readonly clock: Clock;
  private readonly pacer: Pacer;
  private readonly sockets: Semaphore;
  private readonly budget: number;
  private readonly portsPerHost: number;
  private lastBudgetCut = -Infinity;
  private streak = 0;
  private readonly live = new Map<string, HostState>();
  /** Every host's samples: the timeout of a host that has not answered yet (as nmap does for a new host). */
  private readonly scanRtt: RttEstimator;
  /** Follows the caller's signal; every socket and waiter of the scan listens to this one. */
  private readonly abort: ScanSignal;
  /** The scan workers, when the connects run in worker threads. */
  private pool: ConnectPool | null = null;
  /** Worker threads the connects ran in (0: this thread). */
  workerThreads = 0;
  /** Why the scan fell back to this thread although workers were asked for (a worker failed to start or died). */
  workerError: string | null = null;

  constructor(private readonly options: PortScanOptions) {
    const list = Array.isArray(options.hosts) ? (options.hosts as readonly string[]) : null;
    for (const host of list ?? []) options.scope.assert(host);
    this.abort = new ScanSignal(options.signal);
    const s = options.settings;
    this.clock = options.clock ?? systemClock;
    this.pacer = new Pacer({ hostPps: s.scan_rate_pps, globalPps: s.global_pps, clock: this.clock });
    this.budget = Math.max(1, options.socketBudget ?? socketBudget());
    this.sockets = new Semaphore(this.budget);
    this.scanRtt = new RttEstimator({ minMs: s.rtt_timeout_min_ms, maxMs: s.connect_timeout_ms });
    this.portsPerHost = planSize(options.plan);
    this.progress = {
      hosts_total: 0,
      hosts_done: 0,
      probes_total: 0,
      probes_done: 0,
      open_found: 0,
    };
    const workers = options.attempt ? 1 : scanWorkerCount(options.workers);
    // With the automatic count (0 or absent), a scan one thread carries easily keeps its connects here.
    const auto = !options.workers;
    if (workers > 1 && (!auto || startDemand(list?.length ?? null, s) >= WORKERS_FROM_PPS))
      this.pool = new ConnectPool({ size: workers, hostPps: s.scan_rate_pps });
    // Before any probe listens: the workers stop sending in the same instant the scan is cancelled.
    this.abort.addEventListener('abort', () => this.pool?.cancelAll());
    const governor = new LoopGovernor(this.pacer, this.clock);
    governor.start();
    this.done = this.run().finally(async () => {
      governor.stop();
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
    return [...this.live].map(([host, { window, lane, rtt }]) => ({
      host,
      window: window.limit,
      in_flight: window.inFlight,
      attempts: lane.started,
      timeout_ms: Math.round(rtt.timeoutMs),
    }));
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

  /** Waits for the workers to come up (a few hundred ms); without them, every connect runs in this thread. */
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

  private async run(): Promise<HostScanResult[]> {
    const s = this.options.settings;
    const results: HostScanResult[] = [];
    await this.startWorkers();
    // Every host at once, each at its own rate; each needs at least its floor window of sockets, so never more
    // hosts than the budget can feed (the rest start as hosts finish).
    const slots = new Semaphore(Math.max(1, Math.floor(this.budget / s.window_floor)));
    const running: Promise<void>[] = [];
    const start = (host: string, rttMs: number | null | undefined) => {
      this.options.scope.assert(host);
      this.progress.hosts_total++;
      this.progress.probes_total += this.portsPerHost;
      running.push(
        (async () => {
          try {
            await slots.acquire(this.abort);
          } catch {
            // Cancelled before its turn: nothing was sent.
            const result = this.unscanned(host);
            this.progress.probes_done += result.unprobed;
            results.push(result);
            this.progress.hosts_done++;
            this.emit({ type: 'host', result });
            return;
          }
          try {
            const result = await this.scanHost(host, rttMs);
            results.push(result);
            this.progress.hosts_done++;
            this.emit({ type: 'host', result });
          } finally {
            slots.release();
          }
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
    await Promise.all(running);
    return results;
  }

  /** The summary of a host the scan never started (cancelled while it waited for a slot). */
  private unscanned(host: string): HostScanResult {
    return {
      host,
      status: 'cancelled',
      open: [],
      closed: 0,
      filtered: [],
      unprobed: this.portsPerHost,
      attempts: 0,
      srtt_ms: null,
      timeout_ms: this.options.settings.connect_timeout_ms,
      errors: 0,
      duration_ms: 0,
    };
  }

  private async scanHost(host: string, hint: number | null | undefined): Promise<HostScanResult> {
    const { settings: s, plan } = this.options;
    const signal = this.abort;
    const started = this.clock.now();
    const lane = this.pacer.lane(host);
    const window = new AimdWindow(
      { floor: s.window_floor, ceiling: s.port_scan_batch_size, cooldownMs: s.connect_timeout_ms },
      this.clock,
    );
    const rtt = new RttEstimator({ minMs: s.rtt_timeout_min_ms, maxMs: s.connect_timeout_ms }, this.scanRtt);
    // The round trip host discovery measured (a TCP answer), if any: the first sample of the host's timeout.
    if (hint !== undefined && hint !== null) rtt.sample(hint);
    const state: HostState = { window, lane, rtt, answered: false, retriesLost: 0, retriesAnswered: 0 };
    this.live.set(host, state);
    const open: number[] = [];
    const filtered: number[] = [];
    let closed = 0;
    let errors = 0;
    let stop: HostScanStatus | null = null;
    let failure: unknown = null;
    let launched = 0;
    const retry: number[] = [];
    const inflight = new Set<Promise<void>>();
    const ports = portOrder(plan);
    const nextPort = (): number | undefined => retry.shift() ?? ports.next().value;

    // The first attempt's start is taken by the launch loop (so the window counts probes on the wire, not
    // probes queued for a turn); a retry takes its own.
    const probe = async (port: number): Promise<void> => {
      let firstStart = true;
      try {
        const result = await probeTcpPort(host, port, {
          // A retry waits twice as long (RFC 6298 backoff): the round trip may have just grown.
          timeoutMs: (attempt) => Math.min(s.connect_timeout_ms, rtt.timeoutMs * 2 ** (attempt - 1)),
          retries: s.retries,
          shouldRetry: () => state.retriesAnswered > 0 || state.retriesLost < RETRY_TRIAL,
          retryDelayMs: s.retry_delay_ms,
          clock: this.clock,
          signal,
          localAddress: this.options.localAddress,
          attempt: this.options.attempt ?? this.pool?.attempt ?? connectAttempt,
          beforeAttempt: async () => {
            if (firstStart) firstStart = false;
            else await this.pace(host, lane, signal);
          },
          afterAttempt: (outcome, info) => this.observe(state, outcome, info),
        });
        switch (result.state) {
          case 'open':
            open.push(port);
            this.progress.open_found++;
            this.emit({ type: 'open', host, port });
            break;
          case 'closed':
            closed++;
            break;
          case 'filtered':
            filtered.push(port);
            if (!state.answered && filtered.length >= s.silent_host_limit) stop ??= 'silent';
            break;
          case 'unreachable':
            stop ??= 'unreachable';
            launched--;
            return;
        }
        this.progress.probes_done++;
      } catch (err) {
        if (err instanceof LocalProbeError && isResourceExhaustion(err.code)) {
          this.cutBudget();
          launched--;
          retry.push(port);
        } else if (err instanceof LocalProbeError) {
          errors++;
          this.progress.probes_done++;
        } else {
          // Cancelled: the port was not probed to the end. Anything else is a bug: stop the host and surface it.
          launched--;
          if (!signal.aborted) failure ??= err;
        }
      }
    };

    try {
      while (!stop && !failure) {
        const port = nextPort();
        if (port === undefined) {
          if (inflight.size === 0) break;
          // Wait for a probe to finish: it may re-queue its port after a local resource error.
          await Promise.race(inflight);
          continue;
        }
        await window.acquire(signal);
        try {
          await this.sockets.acquire(signal);
        } catch (err) {
          window.release();
          throw err;
        }
        try {
          await this.pace(host, lane, signal);
        } catch (err) {
          this.sockets.release();
          window.release();
          throw err;
        }
        if (stop || failure) {
          this.sockets.release();
          window.release();
          break;
        }
        launched++;
        const p = probe(port).finally(() => {
          this.sockets.release();
          window.release();
          inflight.delete(p);
        });
        inflight.add(p);
      }
    } catch (err) {
      if (!signal.aborted) throw err;
    }
    await Promise.all(inflight);
    this.live.delete(host);
    this.pool?.releaseHost(host);
    if (failure) throw failure;
    const status: HostScanStatus = signal.aborted ? 'cancelled' : (stop ?? 'complete');
    const unprobed = this.portsPerHost - launched;
    this.progress.probes_done += unprobed;
    return {
      host,
      status,
      open: open.sort((a, b) => a - b),
      closed,
      filtered: filtered.sort((a, b) => a - b),
      unprobed,
      attempts: lane.started,
      srtt_ms: rtt.samples > 0 ? Math.round(rtt.smoothedMs! * 100) / 100 : null,
      timeout_ms: Math.round(rtt.timeoutMs),
      errors,
      duration_ms: Math.round(this.clock.now() - started),
    };
  }

  /** Waits for this host's turn under both rates; the scope is checked right before every start. */
  private async pace(host: string, lane: PacerLane, signal: ScanSignal): Promise<void> {
    await this.pacer.start(lane, signal);
    this.options.scope.assert(host);
  }

  /**
   * One attempt's outcome: answers feed the host's round-trip estimate; an answer to a retry (its first SYN went
   * unanswered while the port answers) or round trips rising well above the host's best halve the window; a plain
   * timeout is a drop and lets the window grow like an answer.
   */
  private observe(h: HostState, outcome: AttemptOutcome, info: AttemptInfo): void {
    switch (outcome.kind) {
      case 'open':
      case 'closed':
        h.answered = true;
        h.rtt.sample(info.elapsedMs);
        this.scanRtt.sample(info.elapsedMs);
        if (info.attempt > 1) h.retriesAnswered++;
        if (info.attempt > 1 || h.rtt.rising) h.window.onOverload();
        else h.window.onAnswer();
        this.recoverBudget();
        break;
      case 'timeout':
        if (info.attempt > 1) h.retriesLost++;
        h.window.onDrop();
        this.recoverBudget();
        break;
      case 'unreachable':
      case 'error':
      case 'aborted':
        break;
    }
  }

  /** Ran out of descriptors or ephemeral ports despite the budget (other parts of the process use them too). */
  private cutBudget(): void {
    this.streak = 0;
    const now = this.clock.now();
    if (now - this.lastBudgetCut < BUDGET_CUT_COOLDOWN_MS) return;
    this.lastBudgetCut = now;
    this.sockets.setCapacity(Math.max(16, Math.floor(this.sockets.inUse / 2)));
  }

  private recoverBudget(): void {
    if (this.sockets.capacity >= this.budget || ++this.streak < BUDGET_RECOVERY_STREAK) return;
    this.streak = 0;
    this.sockets.setCapacity(Math.min(this.budget, Math.ceil(this.sockets.capacity * 1.25)));
  }
}

export function scanPorts(options: PortScanOptions): PortScan {
  return new PortScan(options);
}
