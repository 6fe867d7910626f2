import { sql } from 'kysely';
import type { Kdb } from '../db/client.ts';

const STATE_KEY = 'discovery_loop';

/** The discovery loop's mark in server_state: when any replica last ticked. */
export class DiscoveryLoopRepository {
  constructor(private readonly db: Kdb) {}

  /** Notes a tick now; returns the seconds since the previous one (0 for the first tick ever). */
  async noteTick(): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      const prev = await trx
        .selectFrom('server_state')
        .select(sql<number>`EXTRACT(EPOCH FROM now() - (value->>'ticked_at')::timestamptz)::float8`.as('gap'))
        .where('key', '=', STATE_KEY)
        .forUpdate()
        .executeTakeFirst();
      await trx
        .insertInto('server_state')
        .values({ key: STATE_KEY, value: sql`jsonb_build_object('ticked_at', now())` })
        .onConflict((oc) =>
          oc.column('key').doUpdateSet({ value: (eb) => eb.ref('excluded.value'), updated_at: sql`now()` }),
        )
        .execute();
      return prev ? Number(prev.gap) : 0;
    });
  }
}
