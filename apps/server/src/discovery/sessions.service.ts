import { randomUUID } from 'node:crypto';
import type { Db, Queryable } from '../db/client.ts';
import { AppError } from '../http/errors.ts';

export const terminalPhases = ['Complete', 'Failed', 'Cancelled'];
const activePhases = ['Starting', 'Started', 'Scanning'];

interface SessionRow {
  id: string;
  daemon_id: string;
  network_id: string;
  discovery_type: Record<string, unknown>;
  phase: string;
  progress: number;
  error: string | null;
  cancel_requested: boolean;
  started_at: Date | null;
  finished_at: Date | null;
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

const toPayload = (s: SessionRow) => ({
  session_id: s.id,
  daemon_id: s.daemon_id,
  network_id: s.network_id,
  phase: s.phase,
  discovery_type: s.discovery_type,
  progress: s.progress,
  error: s.error,
  // Serialized here because the payload sits inside a union, where the serializer validates before it converts.
  started_at: s.started_at ? new Date(s.started_at).toISOString() : null,
  finished_at: s.finished_at ? new Date(s.finished_at).toISOString() : null,
});

/**
 * Discovery sessions, stored in the database: a per-daemon FIFO of Pending sessions, handed out once (Pending →
 * Starting) through request-work, then advanced by the daemon's progress updates.
 */
export class SessionsService {
  constructor(private readonly db: Db) {}

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
    if (runNow) {
      await tx.query(
        `INSERT INTO discovery_sessions (id, daemon_id, network_id, discovery_id, discovery_type) VALUES ($1, $2, $3, $4, $5)`,
        [randomUUID(), daemonId, networkId, id, JSON.stringify(discoveryType)],
      );
    }
    return id;
  }

  /** Next work for a daemon: nothing while one of its sessions is active; else the oldest Pending, marked Starting. */
  async requestWork(daemonId: string): Promise<[ReturnType<typeof toPayload> | null, boolean]> {
    return this.db.transaction(async (tx) => {
      const [active] = await tx.query<SessionRow>(
        `SELECT * FROM discovery_sessions WHERE daemon_id = $1 AND phase = ANY($2) ORDER BY created_at LIMIT 1 FOR UPDATE`,
        [daemonId, activePhases],
      );
      if (active) {
        if (active.cancel_requested) {
          await tx.query('UPDATE discovery_sessions SET cancel_requested = false WHERE id = $1', [active.id]);
          return [null, true];
        }
        return [null, false];
      }
      const [next] = await tx.query<SessionRow>(
        `UPDATE discovery_sessions SET phase = 'Starting', updated_at = now()
         WHERE id = (SELECT id FROM discovery_sessions WHERE daemon_id = $1 AND phase = 'Pending'
                     ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
         RETURNING *`,
        [daemonId],
      );
      return [next ? toPayload(next) : null, false];
    });
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
      // A late update for a finished session is ignored: terminal phases are final.
      if (cur && terminalPhases.includes(cur.phase)) return;
      const progress = Math.max(0, Math.min(100, Math.round(u.progress)));
      if (!cur) {
        await tx.query(
          `INSERT INTO discovery_sessions (id, daemon_id, network_id, discovery_type, phase, progress, error, started_at, finished_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
          [
            u.session_id,
            daemonId,
            networkId,
            JSON.stringify(u.discovery_type),
            u.phase,
            progress,
            u.error ?? null,
            u.started_at ?? null,
            u.finished_at ?? null,
          ],
        );
        return;
      }
      const terminal = terminalPhases.includes(u.phase);
      await tx.query(
        `UPDATE discovery_sessions SET phase = $2, progress = $3, error = $4,
           started_at = COALESCE(started_at, $5, CASE WHEN $2 IN ('Started', 'Scanning') THEN now() END),
           finished_at = CASE WHEN $6 THEN COALESCE($7, now()) ELSE finished_at END, updated_at = now()
         WHERE id = $1`,
        [
          u.session_id,
          u.phase,
          progress,
          u.error ?? null,
          u.started_at ?? null,
          terminal,
          u.finished_at ?? null,
        ],
      );
      if (terminal && cur.phase !== u.phase) {
        await tx.query(
          `UPDATE discovery SET run_type = jsonb_set(run_type, '{last_run}', to_jsonb(now())), updated_at = now()
           WHERE id = (SELECT discovery_id FROM discovery_sessions WHERE id = $1)`,
          [u.session_id],
        );
      }
    });
  }
}
