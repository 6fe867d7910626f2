import { randomUUID } from 'node:crypto';
import type { Queryable } from '../../db/client.ts';

/**
 * Every network starts with the two system subnets the topology uses for off-network endpoints, and a default
 * "My Topology" (options take the column defaults).
 */
export async function createNetwork(tx: Queryable, organizationId: string, name: string, id = randomUUID()) {
  const [row] = await tx.query<{ id: string }>(
    'INSERT INTO networks (id, organization_id, name) VALUES ($1, $2, $3) RETURNING id',
    [id, organizationId, name],
  );
  const system = JSON.stringify({ type: 'System' });
  await tx.query(
    `INSERT INTO subnets (id, network_id, cidr, name, description, subnet_type, source) VALUES
       ($1, $3, '0.0.0.0/0', 'Internet', 'Hosts and services reached over the public internet', 'Internet', $4),
       ($2, $3, '0.0.0.0/0', 'Remote Network', 'Hosts on networks no daemon is attached to', 'Remote', $4)`,
    [randomUUID(), randomUUID(), row.id, system],
  );
  await tx.query("INSERT INTO topologies (id, network_id, name) VALUES ($1, $2, 'My Topology')", [
    randomUUID(),
    row.id,
  ]);
  return row.id;
}
