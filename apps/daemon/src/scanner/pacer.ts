import { readdirSync, readFileSync } from 'node:fs';
import { abortReason, systemClock, type Clock } from './clock.ts';
import type { AbortLike } from './signal.ts';

/**
 * Pacing for the TCP scanner (ARCHITECTURE.md §6 "Pacing", reference issue #455):
 *  - each target host gets probe starts at most at `hostPps` (a listen queue is per host);
 *  - all hosts together get at most `globalPps` (the scanner's own link and the firewalls in between);
 *  - each host has an AIMD window of probes in flight: it starts at a floor, grows while probes complete without
 *    a sign of overload (answers, and drops: a firewall that drops a SYN spends nothing on it) and halves on signs
 *    of overload (port-scan.ts decides what those are), never above `port_scan_batch_size`;
 *  - open sockets never exceed a budget derived from the process's file-descriptor limit.
 * Everything takes a `Clock`, so the decisions are exact under `ManualClock`.
 */

/** Timers fire with about a millisecond of granularity; a rate gate must tolerate that much lateness. */
const TIMER_GRANULARITY_MS = 1;

/**
 * How far behind its schedule a gate may catch up at once (ms): a wake that comes late (timer granularity, a busy
 * event loop) may start the starts it missed, up to this much of them, instead of losing them for good. Never more
 * than the 100 ms window cap below allows.
 */
export const CATCH_UP_MS = 10;

/** The window of the politeness cap: no gate ever starts more than `windowCap(pps)` in any 100 ms. */
export const CAP_WINDOW_MS = 100;

/**
 * The spacing tolerance of the strict schedule: half an interval (at least one timer tick), so that no 100 ms ever
 * holds more than ⌊(100 + τ)/T⌋ + 1 starts (51 at 500/s).
 */
export function toleranceMs(pps: number): number {
  return pps > 0 ? Math.max(500 / pps, TIMER_GRANULARITY_MS) : 0;
}

function gcraBound(pps: number, windowMs: number, tau: number): number {
  return Math.floor((windowMs + tau) / (1000 / pps)) + 1;
}

/** Starts a gate at `pps` lets through in any 100 ms, ends included: 51 at 500/s (scan_rate_pps × 0.1, plus one). */
export function windowCap(pps: number): number {
  return pps > 0 ? gcraBound(pps, CAP_WINDOW_MS, toleranceMs(pps)) : Infinity;
}

/**
 * The most starts a gate at `pps` lets through in any window of `windowMs` (ends included): the GCRA bound with the
 * catch-up tolerance, and never more than `windowCap` per 100 ms. At 500 pps: 51 per 100 ms, 506 per second.
 */
export function maxStartsInWindow(pps: number, windowMs: number): number {
  if (pps <= 0) return Infinity;
  const tau = Math.max(toleranceMs(pps), CATCH_UP_MS);
  const gcra = gcraBound(pps, windowMs, tau);
  if (windowMs <= CAP_WINDOW_MS) return Math.min(gcra, windowCap(pps));
  return Math.min(gcra, windowCap(pps) + gcraBound(pps, windowMs - CAP_WINDOW_MS, tau));
}

/**
 * Generic cell rate algorithm with a sliding cap: a start at time t conforms when t ≥ TAT − τ (τ lets a late wake
 * catch up on up to `CATCH_UP_MS` of missed starts) and fewer than `windowCap(pps)` starts fall in the 100 ms before
 * it; a start moves the theoretical arrival time TAT to max(TAT, t) + T. `pps` 0 means unlimited.
 */
export class RateGate {
  private tat = -Infinity;
  interval = 0;
  tolerance = 0;
  /** The last `cap` start times, oldest at `head` (a ring). */
  private recent = new Float64Array(0);
  private head = 0;

  constructor(public pps: number) {
    this.setRate(pps);
  }

  /** Changes the rate from the next start on (starts already granted keep their spacing). */
  setRate(pps: number): void {
    this.pps = pps;
    this.interval = pps > 0 ? 1000 / pps : 0;
    this.tolerance = pps > 0 ? Math.max(toleranceMs(pps), CATCH_UP_MS) : 0;
    const cap = windowCap(pps);
    if (Number.isFinite(cap) && cap !== this.recent.length) {
      this.recent = new Float64Array(cap).fill(-Infinity);
      this.head = 0;
    }
  }

  /** Earliest time ≥ now at which a start conforms. */
  readyAt(now: number): number {
    if (this.pps <= 0) return now;
    // Strictly more than 100 ms after the oldest of the last `cap` starts, so a closed 100 ms holds at most `cap`.
    const windowFree = this.recent[this.head] + CAP_WINDOW_MS + 1e-6;
    return Math.max(now, this.tat - this.tolerance, windowFree);
  }

  take(now: number): void {
    if (this.pps <= 0) return;
    this.tat = Math.max(this.tat, now) + this.interval;
    this.recent[this.head] = now;
    this.head = (this.head + 1) % this.recent.length;
  }
}

interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
  signal?: AbortLike;
  onAbort?: () => void;
}

function enqueue(queue: Waiter[], signal: AbortLike | undefined, drop: (w: Waiter) => void): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  return new Promise((resolve, reject) => {
    const waiter: Waiter = { resolve, reject, signal };
    if (signal) {
      waiter.onAbort = () => {
        drop(waiter);
        reject(abortReason(signal));
      };
      signal.addEventListener('abort', waiter.onAbort, { once: true });
    }
    queue.push(waiter);
  });
}

function settle(waiter: Waiter): void {
  if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort);
  waiter.resolve();
}

/** A FIFO counting semaphore whose capacity can change while in use (the socket budget). */
export class Semaphore {
  private used = 0;
  private readonly waiters: Waiter[] = [];

  constructor(private cap: number) {}

  get inUse(): number {
    return this.used;
  }

  get capacity(): number {
    return this.cap;
  }

  setCapacity(cap: number): void {
    this.cap = Math.max(1, Math.floor(cap));
    this.wake();
  }

  acquire(signal?: AbortLike): Promise<void> {
    if (this.used < this.cap && this.waiters.length === 0 && !signal?.aborted) {
      this.used++;
      return Promise.resolve();
    }
    const p = enqueue(this.waiters, signal, (w) => this.drop(w));
    this.wake();
    return p;
  }

  release(): void {
    this.used = Math.max(0, this.used - 1);
    this.wake();
  }

  private drop(w: Waiter): void {
    const i = this.waiters.indexOf(w);
    if (i >= 0) this.waiters.splice(i, 1);
  }

  private wake(): void {
    while (this.used < this.cap && this.waiters.length > 0) {
      this.used++;
      settle(this.waiters.shift()!);
    }
  }
}

export interface WindowOptions {
  /** Smallest window, and the starting size. */
  floor: number;
  /** Largest window (`port_scan_batch_size`). */
  ceiling: number;
  /** At most one halving per this many ms: a burst of overload signs from one window is one signal. */
  cooldownMs: number;
}

/**
 * Per-host window of probes in flight. Like TCP congestion control: +1 per completed probe until the first halving
 * (slow start), then +1/size per probe; a sign of overload halves it (once per cooldown), never below the floor.
 * Drops are not overload: a host whose firewall drops most ports keeps growing its window, so its scan is bounded
 * by the start rate, not by timeouts.
 */
export class AimdWindow {
  private size: number;
  private threshold: number;
  private lastCut = -Infinity;
  private flying = 0;
  private readonly waiters: Waiter[] = [];

  constructor(
    readonly options: WindowOptions,
    private readonly clock: Clock = systemClock,
  ) {
    if (options.floor < 1 || options.ceiling < options.floor)
      throw new RangeError(`window floor ${options.floor} / ceiling ${options.ceiling} are inconsistent`);
    this.size = options.floor;
    this.threshold = options.ceiling;
  }

  /** Current number of probes allowed in flight. */
  get limit(): number {
    return Math.floor(this.size);
  }

  get inFlight(): number {
    return this.flying;
  }

  /** A probe was answered (SYN-ACK or RST) promptly. */
  onAnswer(): void {
    this.size = Math.min(this.options.ceiling, this.size + (this.size < this.threshold ? 1 : 1 / this.size));
    this.wake();
  }

  /** A probe timed out on a host that shows no sign of overload: filtering, which costs the host nothing. */
  onDrop(): void {
    this.onAnswer();
  }

  /** A sign of overload; returns whether the window was halved (false inside the cooldown of the last halving). */
  onOverload(): boolean {
    const now = this.clock.now();
    if (now - this.lastCut < this.options.cooldownMs) return false;
    this.lastCut = now;
    this.size = Math.max(this.options.floor, this.size / 2);
    this.threshold = this.size;
    return true;
  }

  acquire(signal?: AbortLike): Promise<void> {
    if (this.flying < this.limit && this.waiters.length === 0 && !signal?.aborted) {
      this.flying++;
      return Promise.resolve();
    }
    const p = enqueue(this.waiters, signal, (w) => {
      const i = this.waiters.indexOf(w);
      if (i >= 0) this.waiters.splice(i, 1);
    });
    this.wake();
    return p;
  }

  release(): void {
    this.flying = Math.max(0, this.flying - 1);
    this.wake();
  }

  private wake(): void {
    while (this.flying < this.limit && this.waiters.length > 0) {
      this.flying++;
      settle(this.waiters.shift()!);
    }
  }
}

interface StartRequest extends Waiter {
  since: number;
}

/** One target host's share of the pacer: its own rate gate and queue of starts waiting for a turn. */
export class PacerLane {
  readonly gate: RateGate;
  readonly queue: StartRequest[] = [];
  /** Starts granted so far. */
  started = 0;

  constructor(
    readonly key: string,
    pps: number,
  ) {
    this.gate = new RateGate(pps);
  }
}

export interface PacerOptions {
  /** Starts per second per host (`scan_rate_pps`); 0 = unlimited. */
  hostPps: number;
  /** Starts per second across all hosts; 0 = unlimited. */
  globalPps: number;
  clock?: Clock;
}

/**
 * Grants probe starts so that every lane keeps to its host rate and all lanes together keep to the global rate.
 * When the global rate is the bottleneck, the lane that has been ready the longest goes first, so no host
 * starves and a slow host never holds up the others.
 */
export class Pacer {
  private readonly global: RateGate;
  private readonly clock: Clock;
  private readonly active = new Set<PacerLane>();
  private cancelTimer: (() => void) | null = null;
  private timerAt = Infinity;

  constructor(readonly options: PacerOptions) {
    this.global = new RateGate(options.globalPps);
    this.clock = options.clock ?? systemClock;
  }

  lane(key: string): PacerLane {
    return new PacerLane(key, this.options.hostPps);
  }

  /** The global start rate in force (≤ `globalPps`; lower while `LoopGovernor` holds it back). */
  get globalRate(): number {
    return this.global.pps;
  }

  /** Sets the global start rate, never above `globalPps` (0 = unlimited stays unlimited). */
  setGlobalRate(pps: number): void {
    if (this.options.globalPps <= 0) return;
    this.global.setRate(Math.min(this.options.globalPps, Math.max(1, pps)));
  }

  /** Resolves at the moment this lane may start one probe (the start is counted against both rates). */
  start(lane: PacerLane, signal?: AbortLike): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    const p = new Promise<void>((resolve, reject) => {
      const req: StartRequest = { resolve, reject, signal, since: this.clock.now() };
      if (signal) {
        req.onAbort = () => {
          const i = lane.queue.indexOf(req);
          if (i >= 0) lane.queue.splice(i, 1);
          if (lane.queue.length === 0) this.active.delete(lane);
          reject(abortReason(signal));
        };
        signal.addEventListener('abort', req.onAbort, { once: true });
      }
      lane.queue.push(req);
      this.active.add(lane);
    });
    this.pump();
    return p;
  }

  private pump(): void {
    for (;;) {
      const now = this.clock.now();
      const globalAt = this.global.readyAt(now);
      if (globalAt > now) return this.wakeAt(globalAt);
      let best: PacerLane | null = null;
      let bestKey = Infinity;
      let nextAt = Infinity;
      for (const lane of this.active) {
        const at = lane.gate.readyAt(now);
        if (at > now) {
          nextAt = Math.min(nextAt, at);
          continue;
        }
        // Ready since the later of: when its head request arrived, when its own rate allowed it.
        const key = Math.max(lane.queue[0].since, lane.gate.readyAt(-Infinity));
        if (key < bestKey) {
          best = lane;
          bestKey = key;
        }
      }
      if (!best) return nextAt < Infinity ? this.wakeAt(nextAt) : undefined;
      best.gate.take(now);
      this.global.take(now);
      best.started++;
      const req = best.queue.shift()!;
      if (best.queue.length === 0) this.active.delete(best);
      settle(req);
    }
  }

  private wakeAt(at: number): void {
    if (this.cancelTimer && this.timerAt <= at) return;
    this.cancelTimer?.();
    this.timerAt = at;
    this.cancelTimer = this.clock.setTimer(at - this.clock.now(), () => {
      this.cancelTimer = null;
      this.timerAt = Infinity;
      this.pump();
    });
  }
}

/** Soft RLIMIT_NOFILE of this process (Linux: /proc/self/limits); 1024 where it cannot be read. */
export function fdSoftLimit(limitsText?: string): number {
  try {
    const text = limitsText ?? readFileSync('/proc/self/limits', 'utf8');
    const m = /^Max open files\s+(\d+|unlimited)\s+/m.exec(text);
    if (!m) return 1024;
    return m[1] === 'unlimited' ? 1_048_576 : Number(m[1]);
  } catch {
    return 1024;
  }
}

/** File descriptors this process has open right now (Linux); 0 where it cannot be counted. */
export function openFdCount(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return 0;
  }
}

/**
 * Sockets the scanner may hold open at once: the fd limit minus what is already open minus a safety margin
 * (10 % of the limit, at least 256) for the daemon's own files, HTTP connections and logs. Never below 8.
 */
export function socketBudget(fdLimit: number = fdSoftLimit(), openNow: number = openFdCount()): number {
  const margin = Math.max(256, Math.ceil(fdLimit * 0.1));
  return Math.max(8, fdLimit - openNow - margin);
}

/**
 * Holds the global start rate back while this process's event loop lags: the machine, not the network, is then the
 * limit, and starting more connects only delays every answer (false timeouts), the HTTP probes and the daemon's
 * own heartbeats. Every `periodMs` it measures how late its timer fired: more than `highMs` late cuts the rate by a
 * quarter (never below `floorPps`), less than `lowMs` lets it grow by a tenth back towards `globalPps`.
 */
export class LoopGovernor {
  private cancel: (() => void) | null = null;
  private due = 0;

  constructor(
    private readonly pacer: Pacer,
    private readonly clock: Clock = systemClock,
    readonly options = { periodMs: 100, highMs: 50, lowMs: 25, floorPps: 1000 },
  ) {}

  start(): void {
    if (this.pacer.options.globalPps <= 0 || this.cancel) return;
    this.schedule();
  }

  stop(): void {
    this.cancel?.();
    this.cancel = null;
  }

  private schedule(): void {
    this.due = this.clock.now() + this.options.periodMs;
    this.cancel = this.clock.setTimer(this.options.periodMs, () => this.tick());
  }

  private tick(): void {
    const late = this.clock.now() - this.due;
    const { highMs, lowMs, floorPps } = this.options;
    const rate = this.pacer.globalRate;
    const ceiling = this.pacer.options.globalPps;
    if (late > highMs) this.pacer.setGlobalRate(Math.max(Math.min(floorPps, ceiling), rate * 0.75));
    else if (late < lowMs && rate < ceiling) this.pacer.setGlobalRate(rate * 1.1);
    this.schedule();
  }
}
