import type { Kdb } from '../../db/client.ts';
import { entitySpec } from '../../db/entity-repository.ts';
import { freshId } from '../../db/fresh-id.ts';
import { removedNames, snapshotNames } from '@scanopy/contracts';

export const topologySpec = entitySpec({
  table: 'topologies',
  scope: 'network',
  select: () => [
    't.id',
    't.network_id',
    't.name',
    't.options',
    ...[...snapshotNames, ...removedNames].map((n) => `t.${n}` as const),
    't.is_stale',
    't.last_refreshed',
    't.is_locked',
    't.locked_at',
    't.locked_by',
    't.parent_id',
    't.tags',
    't.created_at',
    't.updated_at',
  ],
  filters: { network_id: 'network_id', ids: 'id' },
  csv: {
    columns: [
      'id',
      'name',
      'network_id',
      'is_stale',
      'is_locked',
      'locked_by',
      'locked_at',
      'last_refreshed',
      'parent_id',
      'created_at',
      'updated_at',
    ],
  },
});

export class TopologiesRepository {
  constructor(private readonly db: Kdb) {}

  transaction<T>(fn: (trx: Kdb) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }

  /** A stored topology; without options the column default (the UI's defaults) applies. */
  async insert(
    on: Kdb,
    t: {
      id?: string;
      network_id: string;
      name: string;
      parent_id: string | null;
      tags: string[];
      options?: object;
    },
  ): Promise<string> {
    const id = await freshId(on, 'topologies', t.id);
    await on
      .insertInto('topologies')
      .values({
        id,
        network_id: t.network_id,
        name: t.name,
        parent_id: t.parent_id,
        tags: t.tags,
        ...(t.options ? { options: JSON.stringify(t.options) } : {}),
      })
      .execute();
    return id;
  }
}
