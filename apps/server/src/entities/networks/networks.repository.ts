import { randomUUID } from 'node:crypto';
import type { Kdb } from '../../db/client.ts';
import { entitySpec, tagIds } from '../../db/entity-repository.ts';

export const networkSpec = entitySpec({
  table: 'networks',
  scope: 'networks',
  tagType: 'Network',
  select: (eb) => [
    't.id',
    't.name',
    't.organization_id',
    tagIds(eb, 'Network'),
    't.created_at',
    't.updated_at',
  ],
  filters: { ids: 'id' },
  search: ['name'],
  orderFields: { created_at: 'created_at', name: 'name', updated_at: 'updated_at' },
  csv: { columns: ['id', 'name', 'organization_id', 'created_at', 'updated_at'] },
});

export class NetworksRepository {
  constructor(private readonly db: Kdb) {}

  /**
   * A network with the two system subnets the topology uses for off-network endpoints, and a default "My Topology"
   * (options take the column defaults).
   */
  async exists(on: Kdb, id: string): Promise<boolean> {
    return (
      (await on.selectFrom('networks').select('id').where('id', '=', id).executeTakeFirst()) !== undefined
    );
  }

  async create(on: Kdb, organizationId: string, name: string, id: string = randomUUID()): Promise<string> {
    await on.insertInto('networks').values({ id, organization_id: organizationId, name }).execute();
    const source = JSON.stringify({ type: 'System' });
    await on
      .insertInto('subnets')
      .values([
        {
          id: randomUUID(),
          network_id: id,
          cidr: '0.0.0.0/0',
          name: 'Internet',
          description: 'Hosts and services reached over the public internet',
          subnet_type: 'Internet',
          source,
        },
        {
          id: randomUUID(),
          network_id: id,
          cidr: '0.0.0.0/0',
          name: 'Remote Network',
          description: 'Hosts on networks no daemon is attached to',
          subnet_type: 'Remote',
          source,
        },
      ])
      .execute();
    await on
      .insertInto('topologies')
      .values({ id: randomUUID(), network_id: id, name: 'My Topology' })
      .execute();
    return id;
  }

  async rename(on: Kdb, id: string, name: string): Promise<void> {
    await on.updateTable('networks').set({ name, updated_at: new Date() }).where('id', '=', id).execute();
  }

  transaction<T>(fn: (trx: Kdb) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }
}
