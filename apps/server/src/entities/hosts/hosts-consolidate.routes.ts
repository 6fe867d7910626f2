import type { FastifyInstance } from 'fastify';
import { ConsolidateHostsParams, HostResponse } from '@scanopy/contracts';
import type { Db, Queryable } from '../../db/client.ts';
import { getVisible, principal } from '../../http/crud.ts';
import { ok } from '../../http/envelope.ts';
import { AppError, badRequest } from '../../http/errors.ts';
import { ItemResponse } from '../../http/schemas.ts';
import { hostDef } from './hosts.defs.ts';
import { renumberInterfaces } from './hosts.service.ts';

interface Iface {
  id: string;
  subnet_id: string;
  ip: string;
  mac: string | null;
}
interface PortRow {
  id: string;
  port_number: number;
  protocol: string;
}
interface ServiceRow {
  id: string;
  name: string;
  service_definition: string;
}
interface BindingRow {
  id: string;
  binding_type: string;
  interface_id: string | null;
  port_id: string | null;
}

const ifaceSql =
  'SELECT id, subnet_id, host(ip_address) AS ip, mac_address::text AS mac FROM interfaces WHERE host_id = $1';
const sameIface = (a: Iface, b: Iface) =>
  (a.subnet_id === b.subnet_id && a.ip === b.ip) || (a.mac !== null && a.mac === b.mac);

/** Merges `otherId` into `destId` (daemon.md §7.4); both are visible hosts on the same network. */
async function consolidate(tx: Queryable, destId: string, otherId: string) {
  // Interfaces: a duplicate (same subnet+IP or MAC) is replaced by the destination's; the rest move, after it.
  const destIfaces = await tx.query<Iface>(ifaceSql, [destId]);
  for (const o of await tx.query<Iface>(ifaceSql, [otherId])) {
    const match = destIfaces.find((d) => sameIface(d, o));
    if (match) {
      await tx.query('UPDATE bindings SET interface_id = $2 WHERE interface_id = $1', [o.id, match.id]);
    } else {
      await tx.query(
        'UPDATE interfaces SET host_id = $2, position = position + 1000000, updated_at = now() WHERE id = $1',
        [o.id, destId],
      );
      destIfaces.push(o);
    }
  }
  await renumberInterfaces(tx, destId);

  const portSql = 'SELECT id, port_number, protocol FROM ports WHERE host_id = $1';
  const destPorts = await tx.query<PortRow>(portSql, [destId]);
  for (const o of await tx.query<PortRow>(portSql, [otherId])) {
    const match = destPorts.find((d) => d.port_number === o.port_number && d.protocol === o.protocol);
    if (match) await tx.query('UPDATE bindings SET port_id = $2 WHERE port_id = $1', [o.id, match.id]);
    else await tx.query('UPDATE ports SET host_id = $2, updated_at = now() WHERE id = $1', [o.id, destId]);
  }

  // Services: one with the same name and definition absorbs the other's bindings; the rest are re-homed.
  const svcSql = 'SELECT id, name, service_definition FROM services WHERE host_id = $1 ORDER BY position, id';
  const destServices = await tx.query<ServiceRow>(svcSql, [destId]);
  let position = destServices.length;
  for (const o of await tx.query<ServiceRow>(svcSql, [otherId])) {
    const match = destServices.find(
      (d) => d.name === o.name && d.service_definition === o.service_definition,
    );
    if (!match) {
      await tx.query('UPDATE services SET host_id = $2, position = $3, updated_at = now() WHERE id = $1', [
        o.id,
        destId,
        position++,
      ]);
      continue;
    }
    const bindSql = 'SELECT id, binding_type, interface_id, port_id FROM bindings WHERE service_id = $1';
    const kept = await tx.query<BindingRow>(bindSql, [match.id]);
    for (const b of await tx.query<BindingRow>(bindSql, [o.id])) {
      const dup = kept.find(
        (k) =>
          k.binding_type === b.binding_type && k.interface_id === b.interface_id && k.port_id === b.port_id,
      );
      if (dup) {
        // Groups that listed the duplicate keep their place by pointing at the surviving binding.
        await tx.query(
          `UPDATE group_bindings gb SET binding_id = $2 WHERE binding_id = $1
             AND NOT EXISTS (SELECT 1 FROM group_bindings x WHERE x.group_id = gb.group_id AND x.binding_id = $2)`,
          [b.id, dup.id],
        );
        continue;
      }
      await tx.query('UPDATE bindings SET service_id = $2, updated_at = now() WHERE id = $1', [
        b.id,
        match.id,
      ]);
      kept.push(b);
    }
    await tx.query('DELETE FROM entity_tags WHERE entity_id = $1', [o.id]);
    await tx.query('DELETE FROM services WHERE id = $1', [o.id]);
  }

  // The destination keeps its own fields and only fills the empty ones; tags are the union.
  await tx.query(
    `UPDATE hosts d SET hostname = COALESCE(d.hostname, o.hostname), description = COALESCE(d.description, o.description),
       updated_at = now() FROM hosts o WHERE d.id = $1 AND o.id = $2`,
    [destId, otherId],
  );
  await tx.query(
    `INSERT INTO entity_tags (entity_id, entity_type, tag_id)
     SELECT $1, entity_type, tag_id FROM entity_tags WHERE entity_id = $2 AND entity_type = 'Host'
     ON CONFLICT DO NOTHING`,
    [destId, otherId],
  );
  await tx.query('DELETE FROM entity_tags WHERE entity_id = $1', [otherId]);
  await tx.query('DELETE FROM hosts WHERE id = $1', [otherId]);
}

export async function hostConsolidateRoutes(app: FastifyInstance, opts: { db: Db }) {
  const { db } = opts;

  app.put(
    '/hosts/:destination_host/consolidate/:other_host',
    {
      config: { access: 'member' },
      schema: {
        operationId: 'consolidate_hosts',
        tags: ['hosts'],
        params: ConsolidateHostsParams,
        response: { 200: ItemResponse(HostResponse) },
      },
    },
    async (req) => {
      const p = principal(req);
      const { destination_host: destId, other_host: otherId } = req.params as {
        destination_host: string;
        other_host: string;
      };
      if (destId === otherId) throw badRequest('A host cannot be consolidated into itself');
      const [dest, other] = [
        await getVisible(db, hostDef, p, destId),
        await getVisible(db, hostDef, p, otherId),
      ];
      if (dest.network_id !== other.network_id) {
        throw new AppError('entity_network_mismatch', { detail: 'Both hosts must be on the same network' });
      }
      await db.transaction(async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`ingest:${dest.network_id as string}`]);
        const [d] = await tx.query<{ name: string }>('SELECT name FROM daemons WHERE host_id = $1 LIMIT 1', [
          otherId,
        ]);
        if (d) {
          throw new AppError('entity_in_use', {
            entity: 'Host',
            detail: `daemon "${d.name}" runs on it; consolidate in the other direction`,
          });
        }
        await consolidate(tx, destId, otherId);
      });
      return ok(await getVisible(db, hostDef, p, destId));
    },
  );
}
