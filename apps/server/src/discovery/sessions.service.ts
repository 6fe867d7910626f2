import type { Kdb } from '../db/client.ts';
import type { Principal } from '../auth/principal.ts';
import { AppError, notFound } from '../http/errors.ts';
import type { SessionRow, SessionsRepository } from './sessions.repository.ts';

export type { SessionRow } from './sessions.repository.ts';

export const terminalPhases = ['Complete', 'Failed', 'Cancelled'];
/** Handed to a daemon and not finished: the stall sweep watches these. */
export const runningPhases = ['Starting', 'Started', 'Scanning'];
/** Queued or running: at most one per discovery configuration. */
export const openPhases = ['Pending', ...runningPhases];

export interface DiscoveryUpdate {
  session_id: string;
  daemon_id: string;
  network_id: string;
  phase: string;
  discovery_type: Record<string, unknown>;
  progress: number;
  error?: string | null;
  started_at?: string | null;
  finished_at?: string | null;
}

export type SessionPayload = ReturnType<typeof toPayload>;

const iso = (t: Date | string | null) => (t ? new Date(t).toISOString() : null);

/**
 * SNMP communities travel in plaintext only to the daemon that uses them; users see them masked (daemon.md §2.2).
 */
export function redactDiscoveryType(dt: Record<string, unknown>): Record<string, unknown> {
  const snmp = dt.snmp_credentials as
    | {
        default_credential?: { community?: string } | null;
        ip_overrides?: { credential?: { community?: string } }[];
      }
    | undefined;
  if (!snmp) return dt;
  const mask = <T extends { community?: string } | null | undefined>(c: T): T =>
    c ? { ...c, community: '********' } : c;
  return {
    ...dt,
    snmp_credentials: {
      ...snmp,
      default_credential: mask(snmp.default_credential),
      ...(snmp.ip_overrides
        ? { ip_overrides: snmp.ip_overrides.map((o) => ({ ...o, credential: mask(o.credential) })) }
        : {}),
    },
  };
}

/** The wire shape (DiscoveryUpdatePayload). `forDaemon` keeps secrets the daemon needs to run the session. */
export function toPayload(s: SessionRow, forDaemon = false) {
  return {
    session_id: s.id,
    daemon_id: s.daemon_id,
    network_id: s.network_id,
    phase: s.phase,
    discovery_type: forDaemon ? s.discovery_type : redactDiscoveryType(s.discovery_type),
    progress: s.progress,
    error: s.error,
    // Serialized here because the payload sits inside a union, where the serializer validates before it converts.
    started_at: iso(s.started_at),
    finished_at: iso(s.finished_at),
  };
}

const typeNames: Record<string, string> = { SelfReport: 'Self Report', Docker: 'Docker', Network: 'Network' };

/**
 * Discovery sessions, stored in the database so replicas share them and a restart loses nothing: a per-daemon FIFO of
 * Pending sessions, handed out once (Pending → Starting), advanced by the daemon's reports, and closed by the daemon,
 * a user's cancel, or the stall sweep. Every finished session leaves a Historical discovery record.
 */
export class SessionsService {
  constructor(private readonly sessions: SessionsRepository) {}

  /** POST /discovery/start-session: runs a configuration now, or returns its session that is already open. */
  async start(p: Principal, discoveryId: string): Promise<SessionPayload> {
    const { session } = await this.sessions.transaction(async (trx) => {
      if (!(await this.sessions.jobVisible(trx, discoveryId, p.networkIds))) throw notFound('Discovery');
      return this.enqueue(trx, discoveryId);
    });
    return toPayload(session);
  }

  /**
   * Queues a Pending session for the configuration and stamps its last_run. When one of its sessions is still open,
   * that one is returned instead (created = false): a double click or an overlapping schedule never runs it twice.
   */
  async enqueue(trx: Kdb, discoveryId: string): Promise<{ session: SessionRow; created: boolean }> {
    const job = await this.sessions.lockJob(trx, discoveryId);
    if (!job) throw notFound('Discovery');
    if (job.run_type.type === 'Historical') throw new AppError('discovery_historical_read_only');
    if (job.daemon_network_id !== job.network_id) throw new AppError('daemon_network_mismatch');
    const open = await this.sessions.openSessionOf(trx, discoveryId, openPhases);
    if (open) return { session: open, created: false };
    const session = await this.sessions.insertPending(trx, job, discoveryId);
    await this.sessions.stampLastRun(trx, discoveryId);
    return { session, created: true };
  }

  /**
   * Cancel: a Pending session closes at once; a running one is flagged and the daemon learns it on its next
   * request-work (or server_poll poll) and reports Cancelled. Unknown, invisible and finished sessions are a no-op
   * (null or the finished session), so the answer says nothing about other organizations' sessions.
   */
  async cancel(p: Principal, sessionId: string): Promise<SessionPayload | null> {
    const row = await this.sessions.transaction(async (trx) => {
      const s = await this.sessions.lockInScope(trx, sessionId, p.networkIds);
      if (!s || terminalPhases.includes(s.phase)) return s ?? null;
      if (s.phase === 'Pending') return this.finish(trx, s, 'Cancelled', null);
      return this.sessions.flagCancel(trx, s.id);
    });
    return row ? toPayload(row) : null;
  }

  /** Queued and running sessions in the caller's networks, oldest first. */
  async active(p: Principal): Promise<SessionPayload[]> {
    const rows = await this.sessions.inPhases(p.networkIds, openPhases);
    return rows.map((r) => toPayload(r));
  }

  /**
   * request-work: [session to run, cancel flag]. Nothing new while one of the daemon's sessions runs (the flag says
   * whether to cancel it); a cancel for a session the server already closed but the daemon still reports on is
   * delivered alone; otherwise the oldest Pending session, marked Starting so it is handed out once.
   */
  async requestWork(daemonId: string): Promise<[SessionPayload | null, boolean]> {
    return this.sessions.transaction(async (trx) => {
      await this.sessions.lockDaemonWork(trx, daemonId);
      const running = await this.sessions.runningOf(trx, daemonId, runningPhases);
      if (running) {
        // Polling while it runs is the daemon's sign of life for the stall sweep (progress reports are sparse).
        await this.sessions.touchActivity(trx, running.id);
        return [null, running.cancel_requested];
      }
      if (await this.sessions.clearStaleCancels(trx, daemonId, terminalPhases)) return [null, true];
      const next = await this.claimNext(trx, daemonId);
      return [next ? toPayload(next, true) : null, false];
    });
  }

  /** The daemon's oldest Pending session, now Starting (dispatched); null when nothing is queued. */
  async claimNext(on: Kdb, daemonId: string): Promise<SessionRow | null> {
    return (await this.sessions.claimNext(on, daemonId)) ?? null;
  }

  /** server_poll: the oldest Pending session of the daemon, in its own transaction. */
  async dispatchNext(daemonId: string): Promise<SessionRow | null> {
    return this.sessions.transaction((trx) => this.claimNext(trx, daemonId));
  }

  /** A dispatch that did not reach the daemon: back to the head of the queue. */
  async release(sessionId: string): Promise<void> {
    await this.sessions.release(sessionId);
  }

  /** server_poll: the daemon's running sessions and those with a cancel still to deliver, oldest first. */
  async openOrCancelling(daemonId: string): Promise<SessionRow[]> {
    return this.sessions.openOrCancelling(daemonId, runningPhases);
  }

  /** server_poll: a cancel delivered to the daemon for a session already closed here needs no more delivering. */
  async cancelDelivered(sessionId: string): Promise<void> {
    await this.sessions.clearCancel(sessionId, terminalPhases);
  }

  /** Applies a daemon's progress report; an unknown session (e.g. after a server wipe) is recorded as new. */
  async update(daemonId: string, networkId: string, u: DiscoveryUpdate): Promise<void> {
    if (u.daemon_id !== daemonId) throw new AppError('daemon_identity_mismatch');
    if (u.network_id !== networkId) throw new AppError('daemon_network_mismatch');
    await this.sessions.transaction(async (trx) => {
      const cur = await this.sessions.lock(trx, u.session_id);
      if (cur && cur.daemon_id !== daemonId) throw new AppError('daemon_identity_mismatch');
      const terminal = terminalPhases.includes(u.phase);
      if (cur && terminalPhases.includes(cur.phase)) {
        // Terminal phases are final. A daemon still reporting progress on a closed session (it was stalled or
        // failed while the daemon kept going) is told to stop on its next poll.
        if (!terminal) await this.sessions.requestCancel(trx, cur.id);
        return;
      }
      const report = {
        progress: Math.max(0, Math.min(100, Math.round(u.progress))),
        // Pending and Starting are the server's phases: a daemon reporting them is running the session.
        phase: u.phase === 'Pending' || u.phase === 'Starting' ? 'Started' : u.phase,
        error: clipError(u.error),
        started_at: u.started_at ?? null,
        finished_at: u.finished_at ?? null,
        terminal,
      };
      const row = cur
        ? await this.sessions.applyReport(trx, u.session_id, report)
        : await this.sessions.insertReported(
            trx,
            {
              id: u.session_id,
              daemon_id: daemonId,
              network_id: networkId,
              discovery_type: u.discovery_type,
            },
            report,
          );
      if (terminal) await this.recordHistory(trx, row);
    });
  }

  /** The daemon restarted (startup): whatever it was running is gone with the old process. */
  async failRunning(daemonId: string, reason: string): Promise<number> {
    return this.sessions.transaction(async (trx) => {
      const rows = await this.sessions.lockOfDaemon(trx, daemonId, runningPhases);
      for (const r of rows) await this.finish(trx, r, r.cancel_requested ? 'Cancelled' : 'Failed', reason);
      return rows.length;
    });
  }

  /** Closes one running session the server knows its daemon is not running (server_poll reconciliation). */
  async abandon(sessionId: string, reason: string): Promise<void> {
    await this.sessions.transaction(async (trx) => {
      const s = await this.sessions.lock(trx, sessionId, runningPhases);
      if (s) await this.finish(trx, s, s.cancel_requested ? 'Cancelled' : 'Failed', reason);
    });
  }

  /**
   * The stall sweep: running sessions whose daemon sent nothing for `stallSeconds` are Failed (Cancelled when a
   * cancel was already asked for). Replicas sweep concurrently without closing a session twice (SKIP LOCKED).
   */
  async sweepStalled(stallSeconds: number): Promise<SessionRow[]> {
    return this.sessions.transaction(async (trx) => {
      const rows = await this.sessions.lockStalled(trx, runningPhases, stallSeconds);
      const out: SessionRow[] = [];
      for (const r of rows) {
        const reason = r.cancel_requested
          ? `The daemon did not confirm the cancellation within ${stallSeconds} seconds`
          : `Session stalled: the daemon sent no update for ${stallSeconds} seconds`;
        out.push(await this.finish(trx, r, r.cancel_requested ? 'Cancelled' : 'Failed', reason));
      }
      return out;
    });
  }

  /**
   * Time when no server ran is not the daemons' fault: after an outage of `gapSeconds`, running sessions get that
   * time back before the stall sweep looks at them.
   */
  async forgiveOutage(gapSeconds: number): Promise<number> {
    return this.sessions.postponeActivity(runningPhases, gapSeconds);
  }

  /** Closes a session on the server's side (cancel of Pending, stall, restart) and writes its history. */
  private async finish(trx: Kdb, s: SessionRow, phase: string, error: string | null): Promise<SessionRow> {
    const row = await this.sessions.finish(trx, s.id, phase, error);
    await this.recordHistory(trx, row);
    return row;
  }

  /** A finished session becomes a read-only Historical discovery holding its final payload (daemon.md §3.5). */
  private async recordHistory(trx: Kdb, s: SessionRow): Promise<void> {
    const type = String(s.discovery_type.type);
    await this.sessions.insertHistory(trx, s.id, {
      fallbackName: typeNames[type] ?? type,
      results: toPayload(s),
      discoveryType: redactDiscoveryType(s.discovery_type),
    });
  }
}

/**
 * A daemon's error message is for people: the first few thousand characters say what went wrong. Longer ones (a whole
 * stack or a dump) are cut, since the session's live event carries the message and a NOTIFY payload holds 8000 bytes.
 */
export const MAX_ERROR_CHARS = 2000;
function clipError(error: string | null | undefined): string | null {
  if (error === null || error === undefined) return null;
  return error.length > MAX_ERROR_CHARS ? `${error.slice(0, MAX_ERROR_CHARS)}… (cut)` : error;
}
