import { sql } from 'kysely';
import type { Kdb } from '../../db/client.ts';

export class DashboardRepository {
  constructor(private readonly db: Kdb) {}

  /** Each network with its host, service, subnet and daemon counts, oldest first. */
  async networkCounts(networkIds: string[]) {
    if (!networkIds.length) return [];
    const n = sql<number>`count(*)::int`.as('n');
    return this.db
      .selectFrom('networks as net')
      .select((eb) => [
        'net.id',
        'net.name',
        eb.selectFrom('hosts as x').select(n).whereRef('x.network_id', '=', 'net.id').as('host_count'),
        eb.selectFrom('services as x').select(n).whereRef('x.network_id', '=', 'net.id').as('service_count'),
        eb.selectFrom('subnets as x').select(n).whereRef('x.network_id', '=', 'net.id').as('subnet_count'),
        eb.selectFrom('daemons as x').select(n).whereRef('x.network_id', '=', 'net.id').as('daemon_count'),
      ])
      .where('net.id', 'in', networkIds)
      .orderBy('net.created_at')
      .orderBy('net.id')
      .execute();
  }

  /** Hosts, networks and users of an organization. */
  async usage(organizationId: string) {
    return this.db
      .selectNoFrom((eb) => [
        eb
          .selectFrom('hosts as h')
          .innerJoin('networks as n', 'n.id', 'h.network_id')
          .select(sql<number>`count(*)::int`.as('n'))
          .where('n.organization_id', '=', organizationId)
          .as('host_count'),
        eb
          .selectFrom('networks')
          .select(sql<number>`count(*)::int`.as('n'))
          .where('organization_id', '=', organizationId)
          .as('network_count'),
        eb
          .selectFrom('users')
          .select(sql<number>`count(*)::int`.as('n'))
          .where('organization_id', '=', organizationId)
          .as('seat_count'),
      ])
      .executeTakeFirstOrThrow() as Promise<{
      host_count: number;
      network_count: number;
      seat_count: number;
    }>;
  }
}
