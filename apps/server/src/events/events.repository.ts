import { TOPOLOGY_SUMMARY_FIELDS } from '@scanopy/contracts';
import { sql } from 'kysely';
import type { Kdb } from '../db/client.ts';
import { anyOf } from '../db/entity-repository.ts';

/** What event delivery reads back from the database. */
export class EventsRepository {
  constructor(private readonly db: Kdb) {}

  /** The discovery_type of sessions whose event payload left it out (too large for NOTIFY). */
  async discoveryTypes(sessionIds: string[]) {
    return this.db
      .selectFrom('discovery_sessions')
      .select([sql<string>`id::text`.as('id'), 'discovery_type'])
      .where(anyOf('id', sessionIds))
      .execute();
  }

  /**
   * What the topology stream tells open editors about changed topologies: their state without the graph and
   * snapshot (megabytes for a large network), and what last changed them (migration 0017's last_action).
   */
  async topologySummaries(ids: string[]) {
    if (ids.length === 0) return [];
    return this.db
      .selectFrom('topologies')
      .select([
        sql<string>`id::text`.as('id'),
        sql<string>`network_id::text`.as('network_id'),
        // The fields the stream's messages carry (the wire contract's list), and what last changed the row.
        ...TOPOLOGY_SUMMARY_FIELDS,
        'last_action',
      ])
      .where(anyOf('id', ids))
      .execute();
  }
}
