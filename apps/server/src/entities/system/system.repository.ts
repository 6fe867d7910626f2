import { sql } from 'kysely';
import type { Kdb } from '../../db/client.ts';

export class SystemRepository {
  constructor(private readonly db: Kdb) {}

  async ping(): Promise<void> {
    await sql`SELECT 1`.execute(this.db);
  }

  async anyUser(): Promise<boolean> {
    return (await this.db.selectFrom('users').select('id').limit(1).executeTakeFirst()) !== undefined;
  }
}
