import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { ServerConfig } from '../config.ts';
import type { Db } from '../db/client.ts';
import { SchedulesService, type FiredRun } from './schedules.service.ts';
import { SERVER_POLL_DEFAULTS, ServerPoller, type ServerPollOptions } from './server-poll.service.ts';
import { SessionsService, type SessionRow } from './sessions.service.ts';

const STATE_KEY = 'discovery_loop';

export interface TickResult {
  /** Seconds of server downtime given back to running sessions (0 when the loop ran recently). */
  forgivenSeconds: number;
  fired: FiredRun[];
  stalled: SessionRow[];
  polled: number;
}

export interface DiscoveryLoopDeps {
  /** The built app: server_poll replays daemon reports through its routes. */
  app: FastifyInstance;
  db: Db;
  config: Pick<ServerConfig, 'schedulerIntervalSeconds' | 'discoveryStallSeconds'>;
  log: FastifyBaseLogger;
  serverPoll?: Partial<ServerPollOptions>;
}

/**
 * The server's discovery background work, on one timer: due schedules, the stall sweep, and server_poll daemons.
 * Every step is safe with several replicas on one database. main.ts starts it; tests call tick() directly.
 */
export class DiscoveryLoop {
  readonly sessions: SessionsService;
  readonly schedules: SchedulesService;
  readonly poller: ServerPoller;
  private timer?: NodeJS.Timeout;
  private housekeeping?: Promise<unknown>;
  private polling?: Promise<unknown>;

  constructor(private readonly deps: DiscoveryLoopDeps) {
    const { db, log, config } = deps;
    this.sessions = new SessionsService(db);
    this.schedules = new SchedulesService(db, this.sessions, log);
    this.poller = new ServerPoller({
      app: deps.app,
      db,
      sessions: this.sessions,
      log,
      options: {
        ...SERVER_POLL_DEFAULTS,
        holdSeconds: config.schedulerIntervalSeconds / 2,
        ...deps.serverPoll,
      },
    });
  }

  /** Runs one tick at once (the boot check of sessions left running) and then every interval. */
  async start(): Promise<TickResult> {
    const first = await this.tick();
    this.timer = setInterval(() => this.onTimer(), this.deps.config.schedulerIntervalSeconds * 1000);
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
    const [h, polled] = await Promise.all([this.runHousekeeping(), this.poller.pollAll()]);
    return { ...h, polled };
  }

  /** Schedules and the sweep must not wait behind a slow daemon, so each half has its own in-flight guard. */
  private onTimer(): void {
    const log = this.deps.log;
    this.housekeeping ??= this.runHousekeeping()
      .catch((err: unknown) => log.error({ err }, 'discovery housekeeping failed'))
      .finally(() => (this.housekeeping = undefined));
    this.polling ??= this.poller
      .pollAll()
      .catch((err: unknown) => log.error({ err }, 'server_poll pass failed'))
      .finally(() => (this.polling = undefined));
  }

  private async runHousekeeping(): Promise<Omit<TickResult, 'polled'>> {
    const forgivenSeconds = await this.forgiveOutage();
    const fired = await this.schedules.fireDue();
    const stalled = await this.sessions.sweepStalled(this.deps.config.discoveryStallSeconds);
    for (const s of stalled) {
      this.deps.log.warn(
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
    const interval = this.deps.config.schedulerIntervalSeconds;
    const gap = await this.deps.db.transaction(async (tx) => {
      const [prev] = await tx.query<{ gap: number }>(
        `SELECT EXTRACT(EPOCH FROM now() - (value->>'ticked_at')::timestamptz)::float8 AS gap
         FROM server_state WHERE key = $1 FOR UPDATE`,
        [STATE_KEY],
      );
      await tx.query(
        `INSERT INTO server_state (key, value) VALUES ($1, jsonb_build_object('ticked_at', now()))
         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
        [STATE_KEY],
      );
      return prev ? Number(prev.gap) : 0;
    });
    if (gap <= Math.max(3 * interval, 60)) return 0;
    const seconds = Math.round(gap);
    const n = await this.sessions.forgiveOutage(seconds);
    if (n)
      this.deps.log.info(
        { sessions: n, outage_seconds: seconds },
        'no server ran for a while; stall clocks moved',
      );
    return seconds;
  }
}
