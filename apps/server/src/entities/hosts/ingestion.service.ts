import { randomUUID } from 'node:crypto';
import type { DiscoveryHostBody } from '@scanopy/contracts';
import type { Db, Queryable } from '../db/client.ts';
import { AppError } from '../http/errors.ts';
import { getVisible } from '../http/crud.ts';
import { hostDef } from '../entities/hosts/hosts.defs.ts';
import type { Principal } from '../auth/principal.ts';
import { portTypeOf } from '../entities/hosts/port-types.ts';
import { freshId, NIL } from '../entities/hosts/hosts.service.ts';
import { HostServiceMerger, mergeSource, type MappedBinding } from './service-merge.ts';

type Json = Record<string, unknown>;

const normMac = (m?: string | null) =>
  m && !/^(00[:-]?){5}00$/i.test(m) ? m.toLowerCase().replace(/-/g, ':') : null;

/**
 * Merges a host reported by a daemon into the inventory (daemon.md §7.1): match by (subnet, IP) or MAC on any
 * interface, fill only empty fields, never rename. Ingestion is serialized per network so concurrent reports of the
 * same host never create duplicates.
 */
export class IngestionService {
  constructor(private readonly db: Db) {}

  async discoverHost(p: Principal, body: DiscoveryHostBody): Promise<Json> {
    const networkId = body.host.network_id;
    if (!p.networkIds.includes(networkId)) {
      throw new AppError('entity_network_mismatch', {
        detail: 'host.network_id is not the network of this daemon',
      });
    }
    const hostId = await this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`ingest:${networkId}`]);
      return this.mergeHost(tx, networkId, body);
    });
    return getVisible(this.db, hostDef, p, hostId);
  }

  private async mergeHost(tx: Queryable, networkId: string, body: DiscoveryHostBody): Promise<string> {
    const incoming = body.interfaces ?? [];
    const subnetIds = [...new Set(incoming.map((i) => i.subnet_id))];
    if (subnetIds.length) {
      const found = await tx.query<{ id: string }>(
        'SELECT id FROM subnets WHERE id = ANY($1::uuid[]) AND network_id = $2',
        [subnetIds, networkId],
      );
      if (found.length !== subnetIds.length) throw new AppError('entity_reference_invalid');
    }
    for (const i of incoming) {
      const [inside] = await tx.query<{ ok: boolean; cidr: string }>(
        'SELECT ($1::inet <<= cidr) AS ok, cidr::text AS cidr FROM subnets WHERE id = $2',
        [i.ip_address, i.subnet_id],
      );
      if (!inside.ok)
        throw new AppError('interface_ip_out_of_range', { ip: i.ip_address, cidr: inside.cidr });
    }

    // 1. Identity: an existing interface with the same (subnet, IP), the same MAC, or the same id.
    let hostId: string | undefined;
    for (const i of incoming) {
      const [m] = await tx.query<{ host_id: string }>(
        `SELECT host_id FROM interfaces WHERE network_id = $1 AND (
           (subnet_id = $2 AND ip_address = $3::inet) OR ($4::macaddr IS NOT NULL AND mac_address = $4::macaddr) OR id = $5)
         ORDER BY created_at LIMIT 1`,
        [networkId, i.subnet_id, i.ip_address, normMac(i.mac_address), i.id],
      );
      if (m) {
        hostId = m.host_id;
        break;
      }
    }
    if (!hostId) {
      const [byId] = await tx.query<{ id: string; network_id: string }>(
        'SELECT id, network_id FROM hosts WHERE id = $1',
        [body.host.id],
      );
      if (byId && byId.network_id !== networkId) {
        throw new AppError('entity_network_mismatch', {
          detail: 'a host with this id exists on another network',
        });
      }
      hostId = byId?.id;
    }

    // 2. Create, or fill only the empty fields of the existing host; the name is never changed, except the
    // placeholder made at daemon registration, which takes the real name from the daemon's first self-report.
    const h = body.host;
    if (hostId) {
      const [cur] = await tx.query<{ source: Json; placeholder: boolean }>(
        `SELECT source, (created_at = updated_at AND NOT EXISTS (SELECT 1 FROM interfaces WHERE host_id = hosts.id)
           AND EXISTS (SELECT 1 FROM daemons WHERE host_id = hosts.id) AND edited_fields = '{}') AS placeholder
         FROM hosts WHERE id = $1 FOR UPDATE`,
        [hostId],
      );
      // Fields a user edited (edited_fields) are never filled or renamed by discovery, even when empty.
      await tx.query(
        `UPDATE hosts SET
           hostname = CASE WHEN 'hostname' = ANY(edited_fields) THEN hostname ELSE COALESCE(hostname, $2) END,
           description = CASE WHEN 'description' = ANY(edited_fields) THEN description
             ELSE COALESCE(description, $3) END,
           source = $4, name = CASE WHEN $5 THEN $6 ELSE name END, updated_at = now() WHERE id = $1`,
        [
          hostId,
          h.hostname || null,
          h.description || null,
          JSON.stringify(mergeSource(cur.source, h.source)),
          cur.placeholder,
          h.name,
        ],
      );
    } else {
      hostId = h.id && h.id !== NIL ? h.id : randomUUID();
      await tx.query(
        `INSERT INTO hosts (id, network_id, name, hostname, description, source, virtualization, hidden)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [
          hostId,
          networkId,
          h.name,
          h.hostname || null,
          h.description || null,
          JSON.stringify(h.source ?? { type: 'Discovery', metadata: [] }),
          h.virtualization ? JSON.stringify(h.virtualization) : null,
          h.hidden ?? false,
        ],
      );
    }

    // 3. Interfaces: same id, else same (subnet, IP), else same MAC (the address moved), else new.
    const ifaceMap = new Map<string, string>();
    for (const i of incoming) {
      const mac = normMac(i.mac_address);
      const [ex] = await tx.query<{ id: string }>(
        `SELECT id FROM interfaces WHERE host_id = $1 AND (id = $2 OR (subnet_id = $3 AND ip_address = $4::inet)
           OR ($5::macaddr IS NOT NULL AND mac_address = $5::macaddr))
         ORDER BY (id = $2) DESC, (subnet_id = $3 AND ip_address = $4::inet) DESC LIMIT 1`,
        [hostId, i.id, i.subnet_id, i.ip_address, mac],
      );
      if (ex) {
        await tx.query(
          `UPDATE interfaces SET subnet_id = $2, ip_address = $3::inet, mac_address = COALESCE(mac_address, $4::macaddr),
             name = COALESCE(name, $5), updated_at = now() WHERE id = $1`,
          [ex.id, i.subnet_id, i.ip_address, mac, i.name ?? null],
        );
        ifaceMap.set(i.id, ex.id);
      } else {
        const finalId = await freshId(tx, 'interfaces', i.id);
        await tx.query(
          `INSERT INTO interfaces (id, host_id, subnet_id, network_id, ip_address, mac_address, name, position)
           VALUES ($1, $2, $3, $4, $5::inet, $6::macaddr, $7,
             (SELECT COALESCE(max(position) + 1, 0) FROM interfaces WHERE host_id = $2))`,
          [finalId, hostId, i.subnet_id, networkId, i.ip_address, mac, i.name ?? null],
        );
        ifaceMap.set(i.id, finalId);
      }
    }

    // 4. Ports: same id, else same (number, protocol), else new.
    const portMap = new Map<string, string>();
    for (const pt of body.ports ?? []) {
      const [ex] = await tx.query<{ id: string }>(
        'SELECT id FROM ports WHERE host_id = $1 AND (id = $2 OR (port_number = $3 AND protocol = $4)) LIMIT 1',
        [hostId, pt.id, pt.number, pt.protocol],
      );
      if (ex) {
        portMap.set(pt.id, ex.id);
        continue;
      }
      const id = await freshId(tx, 'ports', pt.id);
      await tx.query(
        'INSERT INTO ports (id, host_id, network_id, port_number, protocol, port_type) VALUES ($1, $2, $3, $4, $5, $6)',
        [id, hostId, networkId, pt.number, pt.protocol, portTypeOf(pt.number, pt.protocol)],
      );
      portMap.set(pt.id, id);
    }

    // 5. Services: bindings mapped to the stored interfaces and ports, then deduplicated and conflict-checked.
    const merger = new HostServiceMerger(tx, hostId, networkId);
    await merger.load();
    for (const sv of body.services ?? []) {
      const bindings: MappedBinding[] = [];
      for (const b of sv.bindings ?? []) {
        const ifaceId = b.interface_id ? (ifaceMap.get(b.interface_id) ?? null) : null;
        const portId = b.port_id ? (portMap.get(b.port_id) ?? null) : null;
        // A binding to an interface or port this report did not include cannot be placed.
        if (b.type === 'Port' && (!portId || (b.interface_id && !ifaceId))) continue;
        if (b.type === 'Interface' && !ifaceId) continue;
        bindings.push({ type: b.type, interface_id: ifaceId, port_id: b.type === 'Port' ? portId : null });
      }
      await merger.merge({
        id: sv.id,
        name: sv.name,
        service_definition: sv.service_definition,
        source: sv.source,
        virtualization: sv.virtualization ?? null,
        bindings,
      });
    }
    return hostId;
  }
}
