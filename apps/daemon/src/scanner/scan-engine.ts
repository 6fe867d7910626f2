import { systemClock, type Clock } from './clock.ts';
import { AimdWindow, LoopGovernor, Pacer, Semaphore, type PacerLane } from './pacer.ts';
import { planSize, portOrder, type PortPlan } from './ports.ts';
import type { ScanSettings } from './presets.ts';
import { defaultConnectAttempt } from './native-connect.ts';
import { RttEstimator } from './rtt.ts';
import type { ScanSignal } from './signal.ts';
import {
  connectAttempt,
  isResourceExhaustion,
  LocalProbeError,
  probeTcpPort,
  type AttemptInfo,
  type ProbeOptions,
  type AttemptOutcome,
  type ConnectAttempt,
} from './tcp.ts';

/**
 * The port scan's work in one thread (issue 12): every host this thread holds is scanned at once under its own
 * pacer (per-host and global start rate, pacer.ts), AIMD window, socket budget and round-trip timeouts (rtt.ts).
 * A scan runs one engine in the daemon's main thread, or one per scan worker (scan-worker.ts), each with its share
 * of the global rate and of the socket budget; a host belongs to one engine for its whole scan, so its per-host rate
 * is decided, and each SYN sent, in the same thread.
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

/** What the engine knows about one host while it runs. */
interface HostState {
  window: AimdWindow;
  lane: PacerLane;
  rtt: RttEstimator;
  answered: boolean;
  /** Retries that timed out too, and retries that got an answer. */
  retriesLost: number;
  retriesAnswered: number;
}

export interface ScanEngineOptions {
  plan: PortPlan;
  settings: ScanSettings;
  /** Checked right before every start. */
  scope: { assert(ip: string): void };
  /** The scan's cancellation: every socket and waiter listens to it. */
  signal: ScanSignal;
  clock?: Clock;
  attempt?: ConnectAttempt;
  localAddress?: string;
  /** Sockets this engine may hold open at once (its share of the process's budget). */
  socketBudget: number;
  /** Starts per second across this engine's hosts (its share of `global_pps`; 0 = unlimited). */
  globalPps: number;
  /** An open port, the moment it is found. */
  onOpen?: (host: string, port: number) => void;
  /** `n` more ports of `host` probed to the end or given up. */
  onProbes?: (host: string, n: number) => void;
}

/** Hysteresis for the socket-budget controller (like the reference's FD controller, daemon.md §4.2). */
const BUDGET_CUT_COOLDOWN_MS = 500;
const BUDGET_RECOVERY_STREAK = 50;

export class ScanEngine {
  private readonly clock: Clock;
  private readonly pacer: Pacer;
  private readonly governor: LoopGovernor;
  private readonly sockets: Semaphore;
  /** Hosts scanned at once: each needs at least its floor window of sockets. */
  private readonly slots: Semaphore;
  private readonly budget: number;
  private readonly portsPerHost: number;
  private readonly attempt: ConnectAttempt;
  private lastBudgetCut = -Infinity;
  private streak = 0;
  /** Addresses the scope has allowed (see `pace`). */
  private readonly inScope = new Set<string>();
  /** Hosts handed to `run` and not finished (waiting for a slot included). */
  private hosts = 0;
  private readonly live = new Map<string, HostState>();
  /** Every host's samples: the timeout of a host that has not answered yet (as nmap does for a new host). */
  private readonly scanRtt: RttEstimator;

  constructor(private readonly options: ScanEngineOptions) {
    const s = options.settings;
    this.clock = options.clock ?? systemClock;
    this.pacer = new Pacer({ hostPps: s.scan_rate_pps, globalPps: options.globalPps, clock: this.clock });
    this.governor = new LoopGovernor(this.pacer, this.clock);
    this.budget = Math.max(1, Math.floor(options.socketBudget));
    this.sockets = new Semaphore(this.budget);
    this.slots = new Semaphore(Math.max(1, Math.floor(this.budget / s.window_floor)));
    this.scanRtt = new RttEstimator({ minMs: s.rtt_timeout_min_ms, maxMs: s.connect_timeout_ms });
    this.portsPerHost = planSize(options.plan);
    this.attempt = options.attempt ?? defaultConnectAttempt(connectAttempt);
  }

  /** Stops the loop governor's timer (it also stops by itself whenever no host is being scanned). */
  stop(): void {
    this.governor.stop();
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

  /**
   * Scans one host once a slot is free (the socket budget feeds every running host at least its floor window);
   * resolves with its summary, also when the scan is cancelled before or during it. Rejects only on a bug.
   */
  async run(host: string, hint?: number | null): Promise<HostScanResult> {
    // The governor watches this thread's event loop while it has hosts to scan.
    if (this.hosts++ === 0) this.governor.start();
    try {
      try {
        await this.slots.acquire(this.options.signal);
      } catch {
        // Cancelled before its turn: nothing was sent.
        this.options.onProbes?.(host, this.portsPerHost);
        return unscannedResult(host, this.portsPerHost, this.options.settings);
      }
      try {
        return await this.scanHost(host, hint);
      } finally {
        this.slots.release();
      }
    } finally {
      if (--this.hosts === 0) this.governor.stop();
    }
  }

  private async scanHost(host: string, hint: number | null | undefined): Promise<HostScanResult> {
    const { settings: s, plan, onOpen, onProbes } = this.options;
    const signal = this.options.signal;
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

    // The same options for every port of the host (nothing per probe to allocate). The first attempt's start is
    // taken by the launch loop (so the window counts probes on the wire, not probes queued for a turn); a retry
    // takes its own.
    const probeOptions: ProbeOptions = {
      // A retry waits twice as long (RFC 6298 backoff): the round trip may have just grown.
      timeoutMs: (attempt) => Math.min(s.connect_timeout_ms, rtt.timeoutMs * 2 ** (attempt - 1)),
      retries: s.retries,
      shouldRetry: () => state.retriesAnswered > 0 || state.retriesLost < RETRY_TRIAL,
      retryDelayMs: s.retry_delay_ms,
      clock: this.clock,
      signal,
      localAddress: this.options.localAddress,
      attempt: this.attempt,
      beforeRetry: () => this.pace(host, lane, signal),
      afterAttempt: (outcome, info) => this.observe(state, outcome, info),
    };
    const probe = async (port: number): Promise<void> => {
      try {
        const result = await probeTcpPort(host, port, probeOptions);
        switch (result.state) {
          case 'open':
            open.push(port);
            onOpen?.(host, port);
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
        onProbes?.(host, 1);
      } catch (err) {
        if (err instanceof LocalProbeError && isResourceExhaustion(err.code)) {
          this.cutBudget();
          launched--;
          retry.push(port);
        } else if (err instanceof LocalProbeError) {
          errors++;
          onProbes?.(host, 1);
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
    if (failure) throw failure;
    const status: HostScanStatus = signal.aborted ? 'cancelled' : (stop ?? 'complete');
    const unprobed = this.portsPerHost - launched;
    onProbes?.(host, unprobed);
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

  /**
   * Waits for this host's turn under both rates; the scope is checked right before every start. A scope never
   * changes, so its answer for an address is remembered after the first check (parsing the address on every start
   * cost more than the pacing).
   */
  private async pace(host: string, lane: PacerLane, signal: ScanSignal): Promise<void> {
    await this.pacer.start(lane, signal);
    if (this.inScope.has(host)) return;
    this.options.scope.assert(host);
    this.inScope.add(host);
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

/** The summary of a host the scan never started (cancelled while it waited for its turn). */
export function unscannedResult(host: string, portsPerHost: number, settings: ScanSettings): HostScanResult {
  return {
    host,
    status: 'cancelled',
    open: [],
    closed: 0,
    filtered: [],
    unprobed: portsPerHost,
    attempts: 0,
    srtt_ms: null,
    timeout_ms: settings.connect_timeout_ms,
    errors: 0,
    duration_ms: 0,
  };
}
