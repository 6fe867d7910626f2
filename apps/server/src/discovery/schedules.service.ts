import type { FastifyBaseLogger } from 'fastify';
import { nextRun, ScheduleError, type RunType } from './schedule.ts';
import type { SchedulesRepository } from './schedules.repository.ts';
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
    private readonly schedules: SchedulesRepository,
    private readonly sessions: SessionsService,
    private readonly log: FastifyBaseLogger,
  ) {}

  async fireDue(): Promise<FiredRun[]> {
    await this.planUnscheduled();
    const due = await this.schedules.dueIds(BATCH);
    const fired: FiredRun[] = [];
    for (const id of due) {
      try {
        const run = await this.fireOne(id);
        if (run) fired.push(run);
      } catch (err) {
        // Moving on keeps one broken configuration from blocking (or hot-looping) the others.
        this.log.error({ err, discovery_id: id }, 'scheduled discovery could not start');
        await this.schedules.unscheduleDue(id);
      }
    }
    return fired;
  }

  private async fireOne(id: string): Promise<FiredRun | null> {
    return this.schedules.transaction(async (trx) => {
      const row = await this.schedules.lockDue(trx, id);
      // Another replica claimed it first (or it was rescheduled meanwhile).
      if (!row) return null;
      const rt = row.run_type;
      if (rt.type !== 'Scheduled' || !rt.enabled) {
        await this.schedules.setNextRun(trx, id, null);
        return null;
      }
      const now = new Date(row.now);
      const next = this.following(id, rt, now);
      await this.schedules.setNextRun(trx, id, next);
      const { session, created } = await this.sessions.enqueue(trx, id);
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
    for (const r of await this.schedules.unplanned(BATCH)) {
      const next = this.following(r.id, r.run_type, new Date(r.now));
      // As the reference does with a job it cannot schedule: keep it, disabled, so it is not retried forever.
      if (next) await this.schedules.planIfUnplanned(r.id, next);
      else await this.schedules.disableSchedule(r.id);
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
