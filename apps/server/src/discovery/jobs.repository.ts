import { sql } from 'kysely';
import type { Kdb } from '../db/client.ts';
import { entitySpec, tagIds, variantOf } from '../db/entity-repository.ts';
import { freshId } from '../db/fresh-id.ts';

/** Discovery jobs (table `discovery`): what a daemon runs, when, and the Historical record of each finished run. */
export const discoverySpec = entitySpec({
  table: 'discovery',
  scope: 'network',
  tagType: 'Discovery',
  select: (eb) => [
    't.id',
    't.name',
    't.network_id',
    't.daemon_id',
    't.discovery_type',
    't.run_type',
    tagIds(eb, 'Discovery'),
    't.created_at',
    't.updated_at',
  ],
  filters: {
    network_id: 'network_id',
    daemon_id: 'daemon_id',
    ids: 'id',
    run_type: () => variantOf('run_type'),
  },
  search: ['name'],
  fieldValues: {
    name: 'name',
    network_id: 'network_id',
    daemon_id: 'daemon_id',
    discovery_type: () => variantOf('discovery_type'),
    run_type: () => variantOf('run_type'),
  },
  orderFields: {
    created_at: 'created_at',
    name: 'name',
    updated_at: 'updated_at',
    network_id: 'network_id',
  },
  csv: {
    columns: [
      'id',
      'name',
      'discovery_type',
      'run_type',
      'daemon_id',
      'network_id',
      'created_at',
      'updated_at',
    ],
    exprs: { discovery_type: () => variantOf('discovery_type'), run_type: () => variantOf('run_type') },
  },
});

export interface JobFields {
  name: string;
  daemon_id: string;
  discovery_type: object;
  run_type: object;
}

export class JobsRepository {
  constructor(private readonly db: Kdb) {}

  transaction<T>(fn: (trx: Kdb) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }

  /** Inserts a job; a client-chosen id is kept unless it is nil or taken. Returns the id. */
  async insert(on: Kdb, job: JobFields & { id?: string | null; network_id: string }): Promise<string> {
    const id = await freshId(on, 'discovery', job.id);
    await on
      .insertInto('discovery')
      .values({
        id,
        network_id: job.network_id,
        daemon_id: job.daemon_id,
        name: job.name,
        discovery_type: JSON.stringify(job.discovery_type),
        run_type: JSON.stringify(job.run_type),
      })
      .execute();
    return id;
  }

  async update(on: Kdb, id: string, job: JobFields): Promise<void> {
    await on
      .updateTable('discovery')
      .set({
        name: job.name,
        daemon_id: job.daemon_id,
        discovery_type: JSON.stringify(job.discovery_type),
        run_type: JSON.stringify(job.run_type),
        updated_at: sql`now()`,
      })
      .where('id', '=', id)
      .execute();
  }

  /** When the scheduler next starts the job; null = not scheduled. */
  async setNextRun(on: Kdb, id: string, next: Date | null): Promise<void> {
    await on.updateTable('discovery').set({ next_run_at: next }).where('id', '=', id).execute();
  }

  async networkName(on: Kdb, networkId: string): Promise<string> {
    const net = await on
      .selectFrom('networks')
      .select('name')
      .where('id', '=', networkId)
      .executeTakeFirstOrThrow();
    return net.name;
  }
}
