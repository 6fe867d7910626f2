/**
 * Per-host connect timeout from measured round trips, the way TCP (RFC 6298) and nmap do it: the first sample R
 * sets SRTT = R and RTTVAR = R/2; each later one moves RTTVAR by a quarter of |SRTT − R| and SRTT by an eighth of
 * R − SRTT. The timeout is SRTT + 4 × RTTVAR, clamped to [minMs, maxMs]; until a host has given a sample it is
 * `maxMs` (the preset's `connect_timeout_ms`), or what a fallback estimator (the whole scan's) says.
 */

export interface RttLimits {
  /** Lowest timeout, whatever the samples say (event-loop turns and a busy target need some slack). */
  minMs: number;
  /** Highest timeout, and the timeout before any sample. */
  maxMs: number;
}

export class RttEstimator {
  private srtt: number | null = null;
  private rttvar = 0;
  private best = Infinity;
  private count = 0;

  constructor(
    readonly limits: RttLimits,
    /** Asked while this estimator has no sample of its own (e.g. the scan-wide estimate for a new host). */
    private readonly fallback: RttEstimator | null = null,
  ) {
    if (limits.minMs <= 0 || limits.maxMs < limits.minMs)
      throw new RangeError(`RTT limits ${limits.minMs}–${limits.maxMs} ms are inconsistent`);
  }

  /** Records one measured round trip (connect to SYN-ACK or RST), in ms. */
  sample(ms: number): void {
    const r = Math.max(0, ms);
    if (this.srtt === null) {
      this.srtt = r;
      this.rttvar = r / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - r);
      this.srtt = 0.875 * this.srtt + 0.125 * r;
    }
    this.best = Math.min(this.best, r);
    this.count++;
  }

  get samples(): number {
    return this.count;
  }

  /** Smoothed round trip, or null before the first sample. */
  get smoothedMs(): number | null {
    return this.srtt;
  }

  /** The timeout to use for the next attempt. */
  get timeoutMs(): number {
    const { minMs, maxMs } = this.limits;
    if (this.srtt === null) return this.fallback ? this.fallback.timeoutMs : maxMs;
    return Math.min(maxMs, Math.max(minMs, this.srtt + 4 * this.rttvar));
  }

  /**
   * Round trips have grown well past the best this host has shown (a filling listen or SYN queue, a busy CPU): a
   * sign of overload. Needs a few samples, and a rise of at least half the minimum timeout, so event-loop jitter on
   * a sub-millisecond LAN is not taken for it.
   */
  get rising(): boolean {
    return this.srtt !== null && this.count >= 8 && this.srtt > 3 * this.best + this.limits.minMs / 2;
  }
}
