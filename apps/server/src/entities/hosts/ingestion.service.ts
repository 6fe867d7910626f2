import { randomUUID } from 'node:crypto';
import { normalizeMac, type DiscoveryHostBody } from '@scanopy/contracts';
import type { Principal } from '../../auth/principal.ts';
import type { Kdb } from '../../db/client.ts';
import { NIL_UUID } from '../../db/fresh-id.ts';
import type { EntityService } from '../../http/crud.ts';
import { AppError } from '../../http/errors.ts';
import type { HostsRepository } from './hosts.repository.ts';
import { HostServiceMerger, mergeSource, type MappedBinding } from './service-merge.ts';

/**
 * Merges a host reported by a daemon into the inventory (daemon.md §7.1): match by (subnet, IP) or MAC on any
 * interface, fill only empty fields, never rename. Ingestion takes the same per-network lock as manual host writes,
 * so concurrent reports of the same host never create duplicates.
 */
export class IngestionService {
  constructor(
    private readonly repo: HostsRepository,
    private readonly hosts: EntityService<'hosts'>,
  ) {}

  async discoverHost(p: Principal, body: DiscoveryHostBody) {
    const networkId = body.host.network_id;
    if (!p.networkIds.includes(networkId)) {
      throw new AppError('entity_network_mismatch', {
        detail: 'host.network_id is not the network of this daemon',
      });
    }
    const hostId = await this.repo.transaction(async (trx) => {
      await this.repo.lockNetwork(trx, networkId);
      return this.mergeHost(trx, networkId, body);
    });
    return this.hosts.get(p, hostId);
  }

  private async mergeHost(trx: Kdb, networkId: string, body: DiscoveryHostBody): Promise<string> {
    const repo = this.repo;
    const incoming = (body.interfaces ?? []).map((i) => ({ ...i, mac: normalizeMac(i.mac_address) }));
    const subnetIds = [...new Set(incoming.map((i) => i.subnet_id))];
    if (subnetIds.length && (await repo.countSubnets(trx, networkId, subnetIds)) !== subnetIds.length) {
      throw new AppError('entity_reference_invalid');
    }
    for (const i of incoming) {
      const cidr = await repo.subnetCidr(trx, i.subnet_id);
      if (!(await repo.contains(trx, cidr, i.ip_address))) {
        throw new AppError('interface_ip_out_of_range', { ip: i.ip_address, cidr });
      }
    }

    // 1. Identity: an existing interface with the same (subnet, IP), the same MAC, or the same id.
    let hostId: string | undefined;
    for (const i of incoming) {
      hostId = await repo.hostOfInterface(trx, networkId, i);
      if (hostId) break;
    }
    if (!hostId) {
      const byId = await repo.hostById(trx, body.host.id);
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
      const cur = await repo.lockHostForMerge(trx, hostId);
      // Fields a user edited (edited_fields) are never filled or renamed by discovery, even when empty.
      await repo.mergeHostFields(trx, hostId, {
        hostname: h.hostname || null,
        description: h.description || null,
        source: mergeSource(cur.source as Record<string, unknown>, h.source as Record<string, unknown>),
        name: cur.placeholder ? h.name : null,
      });
    } else {
      hostId = h.id && h.id !== NIL_UUID ? h.id : randomUUID();
      await repo.insertHost(trx, {
        id: hostId,
        network_id: networkId,
        name: h.name,
        hostname: h.hostname || null,
        description: h.description || null,
        source: h.source ?? { type: 'Discovery', metadata: [] },
        virtualization: h.virtualization ?? null,
        hidden: h.hidden ?? false,
      });
    }
    const host = { id: hostId, network_id: networkId };

    // 3. Interfaces: same id, else same (subnet, IP), else same MAC (the address moved), else new.
    const ifaceMap = new Map<string, string>();
    for (const i of incoming) {
      const row = {
        subnet_id: i.subnet_id,
        ip_address: i.ip_address,
        mac_address: i.mac,
        name: i.name ?? null,
      };
      const existing = await repo.matchInterface(trx, hostId, i);
      if (existing) {
        await repo.updateInterface(trx, existing, row, { keepName: true });
        ifaceMap.set(i.id, existing);
      } else {
        const id = await repo.freshId(trx, 'interfaces', i.id);
        await repo.insertInterface(trx, id, host, row, null);
        ifaceMap.set(i.id, id);
      }
    }

    // 4. Ports: same id, else same (number, protocol), else new.
    const portMap = new Map<string, string>();
    for (const pt of body.ports ?? []) {
      const existing = await repo.matchPort(trx, hostId, pt);
      if (existing) {
        portMap.set(pt.id, existing);
        continue;
      }
      const id = await repo.freshId(trx, 'ports', pt.id);
      await repo.insertPort(trx, id, host, pt);
      portMap.set(pt.id, id);
    }

    // 5. Services: bindings mapped to the stored interfaces and ports, then deduplicated and conflict-checked.
    const merger = new HostServiceMerger(repo, trx, host);
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
