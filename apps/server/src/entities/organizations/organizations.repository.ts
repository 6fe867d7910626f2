import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Kdb } from '../../db/client.ts';

/** Organizations; a reset wipes what belongs to one. */
export class OrganizationsRepository {
  constructor(private readonly db: Kdb) {}

  transaction<T>(fn: (trx: Kdb) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }

  /** The organization as it goes on the wire (no billing here: no payment method, no trial). */
  async find(id: string) {
    return this.db
      .selectFrom('organizations')
      .select([
        'id',
        'name',
        'plan',
        'plan_status',
        'onboarding',
        sql<boolean>`false`.as('has_payment_method'),
        sql<Date | null>`NULL::timestamptz`.as('trial_end_date'),
        'created_at',
        'updated_at',
      ])
      .where('id', '=', id)
      .executeTakeFirst();
  }

  async name(id: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('organizations')
      .select('name')
      .where('id', '=', id)
      .executeTakeFirst();
    return row?.name;
  }

  async insert(on: Kdb, name: string): Promise<string> {
    const id = randomUUID();
    await on.insertInto('organizations').values({ id, name }).execute();
    return id;
  }

  async rename(id: string, name: string): Promise<void> {
    await this.db
      .updateTable('organizations')
      .set({ name, updated_at: sql`now()` })
      .where('id', '=', id)
      .execute();
  }

  /** Deletes everything of the organization but the organization itself and the user `keep` (left with no grants). */
  async wipe(trx: Kdb, id: string, keep: string): Promise<void> {
    // Networks first: their cascade removes every network-scoped row, including daemons of the users below.
    await trx.deleteFrom('networks').where('organization_id', '=', id).execute();
    await trx.deleteFrom('tags').where('organization_id', '=', id).execute();
    await trx.deleteFrom('invites').where('organization_id', '=', id).execute();
    await trx.deleteFrom('user_api_keys').where('organization_id', '=', id).execute();
    await trx.deleteFrom('users').where('organization_id', '=', id).where('id', '<>', keep).execute();
    await trx.deleteFrom('user_network_access').where('user_id', '=', keep).execute();
  }
}
