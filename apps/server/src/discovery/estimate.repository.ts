import { sql } from 'kysely';
import type { Kdb } from '../db/client.ts';
import { anyOf } from '../db/entity-repository.ts';

export class EstimateRepository {
  constructor(private readonly db: Kdb) {}

  /** The subnets the daemon reported as its own (capabilities.interfaced_subnet_ids); undefined: no such daemon. */
  async interfacedSubnetIds(daemonId: string, networkId: string): Promise<string[] | undefined> {
    const daemon = await this.db
      .selectFrom('daemons')
      .select(
        sql<string[]>`ARRAY(SELECT jsonb_array_elements_text(capabilities->'interfaced_subnet_ids'))`.as(
          'ids',
        ),
      )
      .where('id', '=', daemonId)
      .where('network_id', '=', networkId)
      .executeTakeFirst();
    return daemon?.ids;
  }

  /** The network's subnets among `ids`, by CIDR. */
  async subnets(networkId: string, ids: string[]): Promise<{ cidr: string; subnet_type: string }[]> {
    return this.db
      .selectFrom('subnets')
      .select([sql<string>`cidr::text`.as('cidr'), 'subnet_type'])
      .where('network_id', '=', networkId)
      .where(anyOf('id', ids))
      .orderBy('cidr')
      .execute();
  }
}
