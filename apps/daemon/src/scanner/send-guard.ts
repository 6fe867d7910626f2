import { systemClock, type Clock } from './clock.ts';
import { RateGate } from './pacer.ts';

/**
 * The last word on when a connect leaves a scan worker (connect-worker.ts). The main thread's pacer grants every
 * start under the per-host rate, but a grant travels to the worker by message: a busy worker (or a busy main
 * thread) can deliver a run of grants at once. Before any SYN goes out, the worker passes it through this guard,
 * which holds each host to the same `RateGate` (`scan_rate_pps`, never more than `windowCap` in any 100 ms) at the
 * moment of sending. Grants that arrive on schedule go straight through; a clump is spread out again. Each host is
 * handled by one worker only (connect-pool.ts), so one guard sees every start to its hosts.
 */

interface Pending {
  run: () => void;
  /** Cancelled while it waited (it then takes no slot), or already run. */
  cancelled: boolean;
  ran: boolean;
}

interface HostQueue {
  gate: RateGate;
  queue: Pending[];
}

export class SendGuard {
  private readonly hosts = new Map<string, HostQueue>();
  /** Hosts with starts waiting. */
  private readonly waiting = new Set<HostQueue>();
  private cancelTimer: (() => void) | null = null;
  private timerAt = Infinity;

  constructor(
    /** Starts per second per host; 0 = unlimited (the guard then never holds anything). */
    private hostPps: number,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Starts already let through to `host` in its 100 ms window are still counted after a rate change. */
  setRate(pps: number): void {
    this.hostPps = pps;
    for (const h of this.hosts.values()) h.gate.setRate(pps);
  }

  /**
   * Runs `run` as soon as a start to `host` conforms (at once when it does already; in arrival order per host).
   * Returns a handle whose `cancel` drops the start if it has not run yet (and returns whether it dropped it).
   */
  submit(host: string, run: () => void): { cancel: () => boolean } {
    let h = this.hosts.get(host);
    if (!h) {
      h = { gate: new RateGate(this.hostPps), queue: [] };
      this.hosts.set(host, h);
    }
    const pending: Pending = { run, cancelled: false, ran: false };
    const now = this.clock.now();
    if (h.queue.length === 0 && h.gate.readyAt(now) <= now) {
      h.gate.take(now);
      run();
      return { cancel: () => false };
    }
    h.queue.push(pending);
    this.waiting.add(h);
    this.schedule(h.gate.readyAt(now));
    return {
      cancel: () => {
        if (pending.cancelled || pending.ran) return false;
        pending.cancelled = true;
        return true;
      },
    };
  }

  /** Starts waiting for their turn, over all hosts. */
  get queued(): number {
    let n = 0;
    for (const h of this.waiting) n += h.queue.filter((p) => !p.cancelled).length;
    return n;
  }

  /** Drops every waiting start (a cancelled scan); none of them runs. */
  clear(): void {
    for (const h of this.waiting) h.queue.length = 0;
    this.waiting.clear();
    this.cancelTimer?.();
    this.cancelTimer = null;
    this.timerAt = Infinity;
  }

  private drain(): void {
    const now = this.clock.now();
    let next = Infinity;
    for (const h of this.waiting) {
      for (;;) {
        while (h.queue.length > 0 && h.queue[0].cancelled) h.queue.shift();
        if (h.queue.length === 0) break;
        const at = h.gate.readyAt(now);
        if (at > now) {
          next = Math.min(next, at);
          break;
        }
        h.gate.take(now);
        const p = h.queue.shift()!;
        p.ran = true;
        p.run();
      }
      if (h.queue.length === 0) this.waiting.delete(h);
    }
    if (next < Infinity) this.schedule(next);
  }

  private schedule(at: number): void {
    if (this.cancelTimer && this.timerAt <= at) return;
    this.cancelTimer?.();
    this.timerAt = at;
    this.cancelTimer = this.clock.setTimer(at - this.clock.now(), () => {
      this.cancelTimer = null;
      this.timerAt = Infinity;
      this.drain();
    });
  }
}
