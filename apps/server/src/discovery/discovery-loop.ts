import type { Services } from '../services.ts';
import type { FiredRun } from './schedules.service.ts';
import type { SessionRow } from './sessions.service.ts';

export interface TickResult {
  /** Seconds of server downtime given back to running sessions (0 when the loop ran recently). */
  forgivenSeconds: number;
  fired: FiredRun[];
  stalled: SessionRow[];
  polled: number;
}

/**
 * The server's discovery background work, on one timer: due schedules, the stall sweep, and server_poll daemons.
 * Every step is safe with several replicas on one database. main.ts starts it; tests call tick() directly.
 */
export class DiscoveryLoop {
  private timer?: NodeJS.Timeout;
  private housekeeping?: Promise<unknown>;
  private polling?: Promise<unknown>;

  constructor(
    private readonly services: Pick<
      Services,
      'config' | 'log' | 'discoverySessions' | 'schedules' | 'serverPoll' | 'discoveryLoopState'
    >,
  ) {}

  /** Runs one tick at once (the boot check of sessions left running) and then every interval. */
  async start(): Promise<TickResult> {
    const first = await this.tick();
    this.timer = setInterval(() => this.onTimer(), this.services.config.schedulerIntervalSeconds * 1000);
    this.timer.unref();
    return first;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await Promise.allSettled([this.housekeeping, this.polling]);
  }

  /** One full pass; errors propagate (the timer logs them instead). */
  async tick(): Promise<TickResult> {
    const [h, polled] = await Promise.all([this.runHousekeeping(), this.services.serverPoll.pollAll()]);
    return { ...h, polled };
  }

  /** Schedules and the sweep must not wait behind a slow daemon, so each half has its own in-flight guard. */
  private onTimer(): void {
    const log = this.services.log;
    this.housekeeping ??= this.runHousekeeping()
      .catch((err: unknown) => log.error({ err }, 'discovery housekeeping failed'))
      .finally(() => (this.housekeeping = undefined));
    this.polling ??= this.services.serverPoll
      .pollAll()
      .catch((err: unknown) => log.error({ err }, 'server_poll pass failed'))
      .finally(() => (this.polling = undefined));
  }

  private async runHousekeeping(): Promise<Omit<TickResult, 'polled'>> {
    const forgivenSeconds = await this.forgiveOutage();
    const fired = await this.services.schedules.fireDue();
    const stalled = await this.services.discoverySessions.sweepStalled(
      this.services.config.discoveryStallSeconds,
    );
    for (const s of stalled) {
      this.services.log.warn(
        { session_id: s.id, daemon_id: s.daemon_id, phase: s.phase },
        s.error ?? 'session stalled',
      );
    }
    return { forgivenSeconds, fired, stalled };
  }

  /**
   * Notes this tick in server_state. When no replica ticked for well over an interval, no server was running:
   * daemons could not report then, so running sessions get that time back before the sweep judges them.
   */
  private async forgiveOutage(): Promise<number> {
    const interval = this.services.config.schedulerIntervalSeconds;
    const gap = await this.services.discoveryLoopState.noteTick();
    if (gap <= Math.max(3 * interval, 60)) return 0;
    const seconds = Math.round(gap);
    const n = await this.services.discoverySessions.forgiveOutage(seconds);
    if (n)
      this.services.log.info(
        { sessions: n, outage_seconds: seconds },
        'no server ran for a while; stall clocks moved',
      );
    return seconds;
  }
}
