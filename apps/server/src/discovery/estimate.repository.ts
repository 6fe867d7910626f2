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

  /** Distinct addresses of the network's host interfaces in the subnets `ids`: the live hosts known so far. */
  async knownAddresses(networkId: string, ids: string[]): Promise<number> {
    const row = await this.db
      .selectFrom('interfaces')
      .select(sql<string>`count(DISTINCT ip_address)`.as('n'))
      .where('network_id', '=', networkId)
      .where(anyOf('subnet_id', ids))
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** The network's subnets among `ids`, by CIDR. */
  async subnets(
    networkId: string,
    ids: string[],
  ): Promise<{ id: string; cidr: string; subnet_type: string }[]> {
    return this.db
      .selectFrom('subnets')
      .select(['id', sql<string>`cidr::text`.as('cidr'), 'subnet_type'])
      .where('network_id', '=', networkId)
      .where(anyOf('id', ids))
      .orderBy('cidr')
      .execute();
  }
}
