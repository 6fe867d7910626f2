import { randomUUID } from 'node:crypto';
import type { Db, Queryable } from '../db/client.ts';
import type { Principal } from '../auth/principal.ts';
import { AppError, notFound } from '../http/errors.ts';

export const terminalPhases = ['Complete', 'Failed', 'Cancelled'];
/** Handed to a daemon and not finished: the stall sweep watches these. */
export const runningPhases = ['Starting', 'Started', 'Scanning'];
/** Queued or running: at most one per discovery configuration. */
export const openPhases = ['Pending', ...runningPhases];

export interface SessionRow {
  id: string;
  daemon_id: string;
  network_id: string;
  discovery_id: string | null;
  discovery_type: Record<string, unknown>;
  phase: string;
  progress: number;
  error: string | null;
  cancel_requested: boolean;
  started_at: Date | null;
  finished_at: Date | null;
  last_activity_at: Date;
  created_at: Date;
}

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
  constructor(private readonly db: Db) {}

  /** A discovery configuration for a daemon (AdHoc), optionally queued to run right away. */
  async createDiscovery(
    tx: Queryable,
    daemonId: string,
    networkId: string,
    name: string,
    discoveryType: Record<string, unknown>,
    runNow: boolean,
  ): Promise<string> {
    const id = randomUUID();
    await tx.query(
      'INSERT INTO discovery (id, network_id, daemon_id, name, discovery_type, run_type) VALUES ($1, $2, $3, $4, $5, $6)',
      [
        id,
        networkId,
        daemonId,
        name,
        JSON.stringify(discoveryType),
        JSON.stringify({ type: 'AdHoc', last_run: null }),
      ],
    );
    if (runNow) await this.enqueue(tx, id);
    return id;
  }

  /** POST /discovery/start-session: runs a configuration now, or returns its session that is already open. */
  async start(p: Principal, discoveryId: string): Promise<SessionPayload> {
    const { session } = await this.db.transaction(async (tx) => {
      const [visible] = await tx.query(
        'SELECT 1 FROM discovery WHERE id = $1 AND network_id = ANY($2::uuid[])',
        [discoveryId, p.networkIds],
      );
      if (!visible) throw notFound('Discovery');
      return this.enqueue(tx, discoveryId);
    });
    return toPayload(session);
  }

  /**
   * Queues a Pending session for the configuration and stamps its last_run. When one of its sessions is still open,
   * that one is returned instead (created = false): a double click or an overlapping schedule never runs it twice.
   */
  async enqueue(tx: Queryable, discoveryId: string): Promise<{ session: SessionRow; created: boolean }> {
    const [d] = await tx.query<{
      network_id: string;
      daemon_id: string;
      daemon_network_id: string;
      discovery_type: Record<string, unknown>;
      run_type: { type: string };
    }>(
      `SELECT d.network_id, d.daemon_id, d.discovery_type, d.run_type, dm.network_id AS daemon_network_id
       FROM discovery d JOIN daemons dm ON dm.id = d.daemon_id WHERE d.id = $1 FOR UPDATE OF d`,
      [discoveryId],
    );
    if (!d) throw notFound('Discovery');
    if (d.run_type.type === 'Historical') throw new AppError('discovery_historical_read_only');
    if (d.daemon_network_id !== d.network_id) throw new AppError('daemon_network_mismatch');
    const [open] = await tx.query<SessionRow>(
      'SELECT * FROM discovery_sessions WHERE discovery_id = $1 AND phase = ANY($2) LIMIT 1',
      [discoveryId, openPhases],
    );
    if (open) return { session: open, created: false };
    const [session] = await tx.query<SessionRow>(
      `INSERT INTO discovery_sessions (id, daemon_id, network_id, discovery_id, discovery_type)
       VALUES ($1, $2, $3, $4, $5) RETURNING *`,
      [randomUUID(), d.daemon_id, d.network_id, discoveryId, JSON.stringify(d.discovery_type)],
    );
    await tx.query(
      `UPDATE discovery SET run_type = jsonb_set(run_type, '{last_run}', to_jsonb(now())), updated_at = now()
       WHERE id = $1`,
      [discoveryId],
    );
    return { session, created: true };
  }

  /**
   * Cancel: a Pending session closes at once; a running one is flagged and the daemon learns it on its next
   * request-work (or server_poll poll) and reports Cancelled. Unknown, invisible and finished sessions are a no-op
   * (null or the finished session), so the answer says nothing about other organizations' sessions.
   */
  async cancel(p: Principal, sessionId: string): Promise<SessionPayload | null> {
    const row = await this.db.transaction(async (tx) => {
      const [s] = await tx.query<SessionRow>(
        'SELECT * FROM discovery_sessions WHERE id = $1 AND network_id = ANY($2::uuid[]) FOR UPDATE',
        [sessionId, p.networkIds],
      );
      if (!s || terminalPhases.includes(s.phase)) return s ?? null;
      if (s.phase === 'Pending') return this.finish(tx, s, 'Cancelled', null);
      const [flagged] = await tx.query<SessionRow>(
        'UPDATE discovery_sessions SET cancel_requested = true, updated_at = now() WHERE id = $1 RETURNING *',
        [s.id],
      );
      return flagged;
    });
    return row ? toPayload(row) : null;
  }

  /** Queued and running sessions in the caller's networks, oldest first. */
  async active(p: Principal): Promise<SessionPayload[]> {
    const rows = await this.db.query<SessionRow>(
      `SELECT * FROM discovery_sessions WHERE network_id = ANY($1::uuid[]) AND phase = ANY($2)
       ORDER BY created_at, id`,
      [p.networkIds, openPhases],
    );
    return rows.map((r) => toPayload(r));
  }

  /**
   * request-work: [session to run, cancel flag]. Nothing new while one of the daemon's sessions runs (the flag says
   * whether to cancel it); a cancel for a session the server already closed but the daemon still reports on is
   * delivered alone; otherwise the oldest Pending session, marked Starting so it is handed out once.
   */
  async requestWork(daemonId: string): Promise<[SessionPayload | null, boolean]> {
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`daemon-work:${daemonId}`]);
      const [running] = await tx.query<SessionRow>(
        `SELECT * FROM discovery_sessions WHERE daemon_id = $1 AND phase = ANY($2) ORDER BY created_at LIMIT 1`,
        [daemonId, runningPhases],
      );
      if (running) {
        // Polling while it runs is the daemon's sign of life for the stall sweep (progress reports are sparse).
        await tx.query('UPDATE discovery_sessions SET last_activity_at = now() WHERE id = $1', [running.id]);
        return [null, running.cancel_requested];
      }
      const stale = await tx.query(
        `UPDATE discovery_sessions SET cancel_requested = false
         WHERE daemon_id = $1 AND cancel_requested AND phase = ANY($2) RETURNING id`,
        [daemonId, terminalPhases],
      );
      if (stale.length) return [null, true];
      const next = await this.claimNext(tx, daemonId);
      return [next ? toPayload(next, true) : null, false];
    });
  }

  /** The daemon's oldest Pending session, now Starting (dispatched); null when nothing is queued. */
  async claimNext(tx: Queryable, daemonId: string): Promise<SessionRow | null> {
    const [next] = await tx.query<SessionRow>(
      `UPDATE discovery_sessions SET phase = 'Starting', last_activity_at = now(), updated_at = now()
       WHERE id = (SELECT id FROM discovery_sessions WHERE daemon_id = $1 AND phase = 'Pending'
                   ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      [daemonId],
    );
    return next ?? null;
  }

  /** A dispatch that did not reach the daemon: back to the head of the queue. */
  async release(sessionId: string): Promise<void> {
    await this.db.query(
      `UPDATE discovery_sessions SET phase = 'Pending', updated_at = now() WHERE id = $1 AND phase = 'Starting'`,
      [sessionId],
    );
  }

  /** Applies a daemon's progress report; an unknown session (e.g. after a server wipe) is recorded as new. */
  async update(daemonId: string, networkId: string, u: DiscoveryUpdate): Promise<void> {
    if (u.daemon_id !== daemonId) throw new AppError('daemon_identity_mismatch');
    if (u.network_id !== networkId) throw new AppError('daemon_network_mismatch');
    await this.db.transaction(async (tx) => {
      const [cur] = await tx.query<SessionRow>('SELECT * FROM discovery_sessions WHERE id = $1 FOR UPDATE', [
        u.session_id,
      ]);
      if (cur && cur.daemon_id !== daemonId) throw new AppError('daemon_identity_mismatch');
      const terminal = terminalPhases.includes(u.phase);
      if (cur && terminalPhases.includes(cur.phase)) {
        // Terminal phases are final. A daemon still reporting progress on a closed session (it was stalled or
        // failed while the daemon kept going) is told to stop on its next poll.
        if (!terminal) {
          await tx.query('UPDATE discovery_sessions SET cancel_requested = true WHERE id = $1', [cur.id]);
        }
        return;
      }
      const progress = Math.max(0, Math.min(100, Math.round(u.progress)));
      // Pending and Starting are the server's phases: a daemon reporting them is running the session.
      const phase = u.phase === 'Pending' || u.phase === 'Starting' ? 'Started' : u.phase;
      let row: SessionRow;
      if (!cur) {
        [row] = await tx.query<SessionRow>(
          `INSERT INTO discovery_sessions (id, daemon_id, network_id, discovery_type, phase, progress, error, started_at,
             finished_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, COALESCE($8, CASE WHEN $5 IN ('Started', 'Scanning') THEN now() END),
             CASE WHEN $10 THEN COALESCE($9, now()) END)
           RETURNING *`,
          [
            u.session_id,
            daemonId,
            networkId,
            JSON.stringify(u.discovery_type),
            phase,
            progress,
            u.error ?? null,
            u.started_at ?? null,
            u.finished_at ?? null,
            terminal,
          ],
        );
      } else {
        [row] = await tx.query<SessionRow>(
          `UPDATE discovery_sessions SET phase = $2, progress = $3, error = $4,
             started_at = COALESCE(started_at, $5, CASE WHEN $2 IN ('Started', 'Scanning') THEN now() END),
             finished_at = CASE WHEN $6 THEN COALESCE($7, now()) ELSE finished_at END,
             cancel_requested = cancel_requested AND NOT $6,
             last_activity_at = now(), updated_at = now()
           WHERE id = $1 RETURNING *`,
          [
            u.session_id,
            phase,
            progress,
            u.error ?? null,
            u.started_at ?? null,
            terminal,
            u.finished_at ?? null,
          ],
        );
      }
      if (terminal) await this.recordHistory(tx, row);
    });
  }

  /** The daemon restarted (startup): whatever it was running is gone with the old process. */
  async failRunning(daemonId: string, reason: string): Promise<number> {
    return this.db.transaction(async (tx) => {
      const rows = await tx.query<SessionRow>(
        'SELECT * FROM discovery_sessions WHERE daemon_id = $1 AND phase = ANY($2) FOR UPDATE',
        [daemonId, runningPhases],
      );
      for (const r of rows) await this.finish(tx, r, r.cancel_requested ? 'Cancelled' : 'Failed', reason);
      return rows.length;
    });
  }

  /** Closes one running session the server knows its daemon is not running (server_poll reconciliation). */
  async abandon(sessionId: string, reason: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const [s] = await tx.query<SessionRow>(
        'SELECT * FROM discovery_sessions WHERE id = $1 AND phase = ANY($2) FOR UPDATE',
        [sessionId, runningPhases],
      );
      if (s) await this.finish(tx, s, s.cancel_requested ? 'Cancelled' : 'Failed', reason);
    });
  }

  /**
   * The stall sweep: running sessions whose daemon sent nothing for `stallSeconds` are Failed (Cancelled when a
   * cancel was already asked for). Replicas sweep concurrently without closing a session twice (SKIP LOCKED).
   */
  async sweepStalled(stallSeconds: number): Promise<SessionRow[]> {
    return this.db.transaction(async (tx) => {
      const rows = await tx.query<SessionRow>(
        `SELECT * FROM discovery_sessions
         WHERE phase = ANY($1) AND last_activity_at < now() - make_interval(secs => $2)
         ORDER BY last_activity_at LIMIT 500 FOR UPDATE SKIP LOCKED`,
        [runningPhases, stallSeconds],
      );
      const out: SessionRow[] = [];
      for (const r of rows) {
        const reason = r.cancel_requested
          ? `The daemon did not confirm the cancellation within ${stallSeconds} seconds`
          : `Session stalled: the daemon sent no update for ${stallSeconds} seconds`;
        out.push(await this.finish(tx, r, r.cancel_requested ? 'Cancelled' : 'Failed', reason));
      }
      return out;
    });
  }

  /**
   * Time when no server ran is not the daemons' fault: after an outage of `gapSeconds`, running sessions get that
   * time back before the stall sweep looks at them.
   */
  async forgiveOutage(gapSeconds: number): Promise<number> {
    const rows = await this.db.query(
      `UPDATE discovery_sessions
       SET last_activity_at = LEAST(now(), last_activity_at + make_interval(secs => $2))
       WHERE phase = ANY($1) RETURNING id`,
      [runningPhases, gapSeconds],
    );
    return rows.length;
  }

  /** Closes a session on the server's side (cancel of Pending, stall, restart) and writes its history. */
  private async finish(
    tx: Queryable,
    s: SessionRow,
    phase: string,
    error: string | null,
  ): Promise<SessionRow> {
    const [row] = await tx.query<SessionRow>(
      `UPDATE discovery_sessions SET phase = $2, error = COALESCE($3, error), finished_at = COALESCE(finished_at, now()),
         cancel_requested = false, updated_at = now()
       WHERE id = $1 RETURNING *`,
      [s.id, phase, error],
    );
    await this.recordHistory(tx, row);
    return row;
  }

  /** A finished session becomes a read-only Historical discovery holding its final payload (daemon.md §3.5). */
  private async recordHistory(tx: Queryable, s: SessionRow): Promise<void> {
    const type = String(s.discovery_type.type);
    await tx.query(
      `INSERT INTO discovery (id, network_id, daemon_id, name, discovery_type, run_type)
       SELECT $1, s.network_id, s.daemon_id, COALESCE(d.name, $3 || ' — ' || n.name), $5::jsonb,
         jsonb_build_object('type', 'Historical', 'results', $4::jsonb)
       FROM discovery_sessions s JOIN networks n ON n.id = s.network_id LEFT JOIN discovery d ON d.id = s.discovery_id
       WHERE s.id = $2`,
      [
        randomUUID(),
        s.id,
        typeNames[type] ?? type,
        JSON.stringify(toPayload(s)),
        JSON.stringify(redactDiscoveryType(s.discovery_type)),
      ],
    );
  }
}
