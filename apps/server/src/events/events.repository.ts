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
}
