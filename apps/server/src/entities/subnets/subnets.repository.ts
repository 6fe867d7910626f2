import { sql } from 'kysely';
import type { Kdb } from '../../db/client.ts';
import { entitySpec, tagIds, variantOf } from '../../db/entity-repository.ts';
import { freshId } from '../../db/fresh-id.ts';

export const subnetSpec = entitySpec({
  table: 'subnets',
  scope: 'network',
  tagType: 'Subnet',
  select: (eb) => [
    't.id',
    't.network_id',
    eb.cast<string>('t.cidr', 'text').as('cidr'),
    't.name',
    't.description',
    't.subnet_type',
    't.source',
    tagIds(eb, 'Subnet'),
    't.created_at',
    't.updated_at',
  ],
  filters: { network_id: 'network_id', ids: 'id', tag_ids: 'id', subnet_type: 'subnet_type' },
  search: ['name', 'cidr', 'description'],
  orderFields: {
    created_at: 'created_at',
    name: 'name',
    cidr: 'cidr',
    subnet_type: 'subnet_type',
    updated_at: 'updated_at',
    network_id: 'network_id',
  },
  csv: {
    columns: [
      'id',
      'name',
      'cidr',
      'subnet_type',
      'description',
      'network_id',
      'source',
      'created_at',
      'updated_at',
    ],
    exprs: { cidr: (eb) => eb.cast('t.cidr', 'text'), source: () => variantOf('source') },
  },
});

export interface SubnetRow {
  id?: string;
  network_id: string;
  cidr: string;
  name: string;
  description: string | null;
  subnet_type: string;
  source: unknown;
}

export class SubnetsRepository {
  constructor(private readonly db: Kdb) {}

  transaction<T>(fn: (trx: Kdb) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }

  /** Serializes subnet creation per network, so two reports of one CIDR never make two rows. */
  async lockNetwork(trx: Kdb, networkId: string): Promise<void> {
    await sql`SELECT pg_advisory_xact_lock(hashtext(${`subnet:${networkId}`}))`.execute(trx);
  }

  /** Non-system subnets of the network with this CIDR (host bits dropped), oldest first. */
  async withCidr(on: Kdb, networkId: string, cidr: string) {
    return on
      .selectFrom('subnets')
      .select(['id', 'subnet_type', 'source'])
      .where('network_id', '=', networkId)
      .where('cidr', '=', sql<string>`network(${cidr}::inet)`)
      .where(sql<string>`source->>'type'`, '<>', 'System')
      .orderBy('created_at')
      .execute();
  }

  async insert(on: Kdb, row: SubnetRow): Promise<string> {
    const id = await freshId(on, 'subnets', row.id);
    await on
      .insertInto('subnets')
      .values({
        id,
        network_id: row.network_id,
        cidr: sql<string>`network(${row.cidr}::inet)`,
        name: row.name,
        description: row.description,
        subnet_type: row.subnet_type,
        source: JSON.stringify(row.source),
      })
      .execute();
    return id;
  }

  async update(
    on: Kdb,
    id: string,
    fields: { cidr: string; name: string; description: string | null; subnet_type: string },
  ): Promise<void> {
    await on
      .updateTable('subnets')
      .set({
        cidr: sql<string>`network(${fields.cidr}::inet)`,
        name: fields.name,
        description: fields.description,
        subnet_type: fields.subnet_type,
        updated_at: sql`now()`,
      })
      .where('id', '=', id)
      .execute();
  }
}
