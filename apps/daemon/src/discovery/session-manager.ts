import type { DiscoveryPhase, DiscoveryType, DiscoveryUpdatePayload } from '@scanopy/contracts';
import type { Logger } from '../logger.ts';
import type { DiscoverySink } from '../link/server-api.ts';
import { isTransportError } from '../link/api-client.ts';
import { BACKOFF, retry, type BackoffPolicy } from '../link/retry.ts';

/** What a runner gets for one session. */
export interface SessionContext {
  sessionId: string;
  daemonId: string;
  networkId: string;
  discoveryType: DiscoveryType;
  /** Aborted when the session is cancelled (by the server or at shutdown). */
  signal: AbortSignal;
  log: Logger;
  /** Posts phase Started (progress 0); runners call it after their pre-step (daemon.md §3.2). */
  started(): Promise<void>;
  /**
   * Reports progress (0–100) as phase Scanning, throttled as in daemon.md §3.3: sent when it rose,
   * reached 100 or a 30 s heartbeat is due, and never within 10 s of the previous report (except at
   * 100 or for the heartbeat). The latest value is kept for a Cancelled report either way.
   */
  progress(percent: number): Promise<void>;
}

/** daemon.md §3.3 progress throttle. */
export const PROGRESS_FLOOR_MS = 10_000;
export const PROGRESS_HEARTBEAT_MS = 30_000;

/** Whether a progress value is worth a Scanning report now (daemon.md §3.3). */
export function progressDue(percent: number, last: { percent: number; at: number }, now: number): boolean {
  const elapsed = now - last.at;
  const heartbeat = elapsed >= PROGRESS_HEARTBEAT_MS;
  if (percent >= 100 || heartbeat) return true;
  return percent > last.percent && elapsed >= PROGRESS_FLOOR_MS;
}

export interface DiscoveryRunner {
  run(ctx: SessionContext): Promise<void>;
}

export type Runners = Partial<Record<DiscoveryType['type'], DiscoveryRunner>>;

export interface SessionManagerDeps {
  sink: DiscoverySink;
  daemonId: () => string;
  runners: Runners;
  logger: Logger;
  /** Retry schedule for progress posts; tests shorten it. */
  updatePolicy?: BackoffPolicy;
}

const RESOURCE_EXHAUSTION = [
  'too many open files',
  'os error 24',
  'emfile',
  'cannot allocate memory',
  'out of memory',
  'enomem',
];

/** Failure text as the reference reports it, with advice when the machine ran out of sockets or memory. */
export function failureMessage(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  if (RESOURCE_EXHAUSTION.some((needle) => msg.toLowerCase().includes(needle))) {
    return `Discovery ran out of system resources (${msg}). Lower SCANOPY_CONCURRENT_SCANS or raise the open-file limit.`;
  }
  return `Critical error: ${msg}`;
}

/** One discovery session at a time, cooperative cancellation, and the terminal progress report. */
export class SessionManager {
  private current: { sessionId: string; controller: AbortController; done: Promise<void> } | null = null;

  constructor(private readonly deps: SessionManagerDeps) {}

  get activeSessionId(): string | null {
    return this.current?.sessionId ?? null;
  }

  /** Starts the session unless one is running (a payload that arrives while busy is ignored). */
  start(payload: DiscoveryUpdatePayload): boolean {
    if (this.current) {
      this.deps.logger.warn(
        { session_id: payload.session_id, running: this.current.sessionId },
        'ignoring new session while another one runs',
      );
      return false;
    }
    const controller = new AbortController();
    const done = this.execute(payload, controller).finally(() => {
      this.current = null;
    });
    this.current = { sessionId: payload.session_id, controller, done };
    return true;
  }

  cancel(reason = 'cancelled by the server'): boolean {
    if (!this.current) return false;
    this.deps.logger.info({ session_id: this.current.sessionId, reason }, 'cancelling discovery session');
    this.current.controller.abort(new Error(reason));
    return true;
  }

  /** Resolves when no session is running (after its terminal update was sent or given up on). */
  async idle(): Promise<void> {
    await this.current?.done;
  }

  private async execute(payload: DiscoveryUpdatePayload, controller: AbortController): Promise<void> {
    const log = this.deps.logger.child({
      session_id: payload.session_id,
      discovery_type: payload.discovery_type.type,
    });
    const base: DiscoveryUpdatePayload = {
      session_id: payload.session_id,
      daemon_id: this.deps.daemonId(),
      network_id: payload.network_id,
      discovery_type: payload.discovery_type,
      phase: 'Started',
      progress: 0,
      error: null,
      started_at: null,
      finished_at: null,
    };
    const send = async (
      phase: DiscoveryPhase,
      progress: number,
      extra: Partial<DiscoveryUpdatePayload> = {},
    ) => {
      Object.assign(base, extra, { phase, progress });
      try {
        await retry(() => this.deps.sink.updateSession({ ...base }), {
          policy: this.deps.updatePolicy ?? BACKOFF.entity,
          shouldRetry: isTransportError,
        });
        log.info({ phase, progress }, 'discovery progress reported');
      } catch (err) {
        // The server's stall sweep closes a session whose updates never arrive; keep going.
        log.warn({ phase, err: (err as Error).message }, 'could not report discovery progress');
      }
    };

    let lastReport = { percent: 0, at: Date.now() };
    const ctx: SessionContext = {
      sessionId: payload.session_id,
      daemonId: base.daemon_id,
      networkId: payload.network_id,
      discoveryType: payload.discovery_type,
      signal: controller.signal,
      log,
      started: () => {
        lastReport = { percent: 0, at: Date.now() };
        return send('Started', 0, { started_at: new Date().toISOString() });
      },
      progress: async (percent) => {
        const p = Math.max(0, Math.min(100, Math.floor(percent)));
        base.progress = Math.max(base.progress, p);
        const now = Date.now();
        if (!progressDue(p, lastReport, now)) return;
        // Claimed before the await, so concurrent callers (parallel containers) send it once.
        lastReport = { percent: p, at: now };
        await send('Scanning', base.progress);
      },
    };

    log.info('discovery session starting');
    try {
      const runner = this.deps.runners[payload.discovery_type.type];
      if (!runner)
        throw new Error(`${payload.discovery_type.type} discovery is not supported by this daemon yet`);
      await runner.run(ctx);
      if (controller.signal.aborted) {
        await send('Cancelled', base.progress, { finished_at: new Date().toISOString() });
      } else {
        await send('Complete', 100, { finished_at: new Date().toISOString() });
      }
      log.info({ phase: base.phase }, 'discovery session finished');
    } catch (err) {
      if (controller.signal.aborted) {
        await send('Cancelled', base.progress, { finished_at: new Date().toISOString() });
        log.info('discovery session cancelled');
        return;
      }
      controller.abort(err);
      const error = failureMessage(err);
      log.error({ err: (err as Error).message }, 'discovery session failed');
      await send('Failed', base.progress, { error, finished_at: new Date().toISOString() });
    }
  }
}
