import { sql } from 'kysely';
import type { Kdb } from '../db/client.ts';
import type { RunType } from './schedule.ts';

type Scheduled = Extract<RunType, { type: 'Scheduled' }>;

const now = () => sql<Date>`now()`;

/** The SQL of scheduled jobs: `discovery.next_run_at` is when a job is next due. */
export class SchedulesRepository {
  constructor(private readonly db: Kdb) {}

  transaction<T>(fn: (trx: Kdb) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }

  async dueIds(limit: number): Promise<string[]> {
    const due = await this.db
      .selectFrom('discovery')
      .select('id')
      .where('next_run_at', '<=', now())
      .orderBy('next_run_at')
      .orderBy('id')
      .limit(limit)
      .execute();
    return due.map((d) => d.id);
  }

  /** A due job, locked; undefined when another replica holds it or it is no longer due. */
  async lockDue(trx: Kdb, id: string): Promise<{ run_type: RunType; now: Date } | undefined> {
    const row = await trx
      .selectFrom('discovery')
      .select(['run_type', now().as('now')])
      .where('id', '=', id)
      .where('next_run_at', '<=', now())
      .forUpdate()
      .skipLocked()
      .executeTakeFirst();
    return row as { run_type: RunType; now: Date } | undefined;
  }

  async setNextRun(on: Kdb, id: string, next: Date | null): Promise<void> {
    await on.updateTable('discovery').set({ next_run_at: next }).where('id', '=', id).execute();
  }

  /** A due job that could not start is left unscheduled, so it neither blocks nor hot-loops the others. */
  async unscheduleDue(id: string): Promise<void> {
    await this.db
      .updateTable('discovery')
      .set({ next_run_at: null, updated_at: now() })
      .where('id', '=', id)
      .where('next_run_at', '<=', now())
      .execute();
  }

  /** Enabled schedules without a due time. */
  async unplanned(limit: number): Promise<{ id: string; run_type: Scheduled; now: Date }[]> {
    const rows = await this.db
      .selectFrom('discovery')
      .select(['id', 'run_type', now().as('now')])
      .where('next_run_at', 'is', null)
      .where(sql<string>`run_type->>'type'`, '=', 'Scheduled')
      .where(sql<boolean>`run_type->'enabled' = 'true'::jsonb`)
      .limit(limit)
      .execute();
    return rows as { id: string; run_type: Scheduled; now: Date }[];
  }

  async planIfUnplanned(id: string, next: Date): Promise<void> {
    await this.db
      .updateTable('discovery')
      .set({ next_run_at: next })
      .where('id', '=', id)
      .where('next_run_at', 'is', null)
      .execute();
  }

  async disableSchedule(id: string): Promise<void> {
    await this.db
      .updateTable('discovery')
      .set({ run_type: sql`jsonb_set(run_type, '{enabled}', 'false'::jsonb)`, updated_at: now() })
      .where('id', '=', id)
      .execute();
  }
}
