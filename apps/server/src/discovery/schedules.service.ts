import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../db/client.ts';
import { nextRun, ScheduleError, type RunType } from './schedule.ts';
import type { SessionsService } from './sessions.service.ts';

type Scheduled = Extract<RunType, { type: 'Scheduled' }>;

export interface FiredRun {
  discovery_id: string;
  session_id: string;
  /** False when the previous run of the same discovery was still open, so none was queued. */
  created: boolean;
}

const BATCH = 100;

/**
 * Scheduled discoveries. `discovery.next_run_at` holds the next due instant; a due row is claimed under
 * FOR UPDATE SKIP LOCKED and moved to its following instant in the same transaction that queues the session, so
 * however many replicas tick at once, each due time starts one session. Due times missed while no server ran collapse
 * into one run.
 */
export class SchedulesService {
  constructor(
    private readonly db: Db,
    private readonly sessions: SessionsService,
    private readonly log: FastifyBaseLogger,
  ) {}

  async fireDue(): Promise<FiredRun[]> {
    await this.planUnscheduled();
    const due = await this.db.query<{ id: string }>(
      `SELECT id FROM discovery WHERE next_run_at <= now() ORDER BY next_run_at, id LIMIT ${BATCH}`,
    );
    const fired: FiredRun[] = [];
    for (const { id } of due) {
      try {
        const run = await this.fireOne(id);
        if (run) fired.push(run);
      } catch (err) {
        // Moving on keeps one broken configuration from blocking (or hot-looping) the others.
        this.log.error({ err, discovery_id: id }, 'scheduled discovery could not start');
        await this.db.query(
          `UPDATE discovery SET next_run_at = NULL, updated_at = now() WHERE id = $1 AND next_run_at <= now()`,
          [id],
        );
      }
    }
    return fired;
  }

  private async fireOne(id: string): Promise<FiredRun | null> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx.query<{ run_type: RunType; next_run_at: Date; now: Date }>(
        `SELECT run_type, next_run_at, now() AS now FROM discovery WHERE id = $1 AND next_run_at <= now()
         FOR UPDATE SKIP LOCKED`,
        [id],
      );
      // Another replica claimed it first (or it was rescheduled meanwhile).
      if (!row) return null;
      const rt = row.run_type;
      if (rt.type !== 'Scheduled' || !rt.enabled) {
        await tx.query('UPDATE discovery SET next_run_at = NULL WHERE id = $1', [id]);
        return null;
      }
      const now = new Date(row.now);
      const next = this.following(id, rt, now);
      await tx.query('UPDATE discovery SET next_run_at = $2 WHERE id = $1', [id, next]);
      const { session, created } = await this.sessions.enqueue(tx, id);
      if (created) {
        this.log.info(
          { discovery_id: id, session_id: session.id, next_run_at: next },
          'scheduled discovery due',
        );
      } else {
        this.log.warn(
          { discovery_id: id, session_id: session.id },
          'previous scheduled run still open; skipped',
        );
      }
      return { discovery_id: id, session_id: session.id, created };
    });
  }

  /** Enabled schedules without a due time (written before this existed, or by SQL) get one, counted from now. */
  private async planUnscheduled(): Promise<void> {
    const rows = await this.db.query<{ id: string; run_type: Scheduled; now: Date }>(
      `SELECT id, run_type, now() AS now FROM discovery
       WHERE next_run_at IS NULL AND run_type->>'type' = 'Scheduled' AND run_type->'enabled' = 'true'::jsonb
       LIMIT ${BATCH}`,
    );
    for (const r of rows) {
      const next = this.following(r.id, r.run_type, new Date(r.now));
      if (next) {
        await this.db.query('UPDATE discovery SET next_run_at = $2 WHERE id = $1 AND next_run_at IS NULL', [
          r.id,
          next,
        ]);
      } else {
        // As the reference does with a job it cannot schedule: keep it, disabled, so it is not retried forever.
        await this.db.query(
          `UPDATE discovery SET run_type = jsonb_set(run_type, '{enabled}', 'false'::jsonb), updated_at = now()
           WHERE id = $1`,
          [r.id],
        );
      }
    }
  }

  private following(id: string, rt: Scheduled, now: Date): Date | null {
    try {
      return nextRun(rt.cron_schedule, rt.timezone, now);
    } catch (err) {
      if (!(err instanceof ScheduleError)) throw err;
      this.log.warn({ discovery_id: id, err: err.message }, 'discovery schedule cannot be evaluated');
      return null;
    }
  }
}
