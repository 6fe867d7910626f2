import { randomUUID } from 'node:crypto';
import type { CreateHostRequest, UpdateHostRequest } from '@scanopy/contracts';
import type { Principal } from '../../auth/principal.ts';
import type { Kdb } from '../../db/client.ts';
import type { Row } from '../../db/entity-repository.ts';
import { assertNetwork, type EntityService } from '../../http/crud.ts';
import { AppError, badRequest, notFound } from '../../http/errors.ts';
import type { HostWrites } from './host-writes.ts';
import { renumberInterfaces, type HostsRepository } from './hosts.repository.ts';

const emptyToNull = (s: string | null | undefined) => (s ? s : null);

type IpList = UpdateHostRequest['interfaces'];

/** Whether a client's IP list says exactly what the host has now (it echoed what it read). */
function echoes(list: NonNullable<IpList>, stored: Row[]): boolean {
  const key = (r: Record<string, unknown>, i: number) =>
    JSON.stringify([r.id, r.subnet_id, r.ip_address, r.mac_address ?? null, r.name ?? null, r.position ?? i]);
  return list.length === stored.length && list.every((r, i) => key(r, i) === key(stored[i], i));
}

/** The host aggregate: create and update with children, and consolidation of two hosts into one. */
export class HostsService {
  private readonly repo: HostsRepository;

  constructor(
    private readonly writes: HostWrites,
    private readonly hosts: EntityService<'hosts'>,
  ) {
    this.repo = writes.repo;
  }

  /** A manual host (the reference lets daemons create hosts here too; the source is Manual either way). */
  async create(p: Principal, b: CreateHostRequest) {
    assertNetwork(p, b.network_id);
    const id = await this.repo.transaction(async (trx) => {
      await this.repo.lockNetwork(trx, b.network_id);
      const hostId = randomUUID();
      const virtualization = await this.writes.resolveVirtualization(trx, p, b.network_id, b.virtualization);
      await this.repo.insertHost(trx, {
        id: hostId,
        network_id: b.network_id,
        name: b.name,
        hostname: emptyToNull(b.hostname),
        description: emptyToNull(b.description),
        source: { type: 'Manual' },
        virtualization,
        hidden: b.hidden ?? false,
      });
      await this.writes.setTags(trx, 'Host', p, hostId, b.tags);
      // ip_addresses is the v0.17 name of interfaces (the host's IPs); interfaces wins when both are sent.
      const interfaces = b.interfaces ?? b.ip_addresses ?? [];
      const children = { interfaces, ports: b.ports ?? [], services: b.services ?? [] };
      await this.writes.syncChildren(trx, p, { id: hostId, network_id: b.network_id }, children, true);
      return hostId;
    });
    return this.hosts.get(p, id);
  }

  /**
   * The IP list an update means: `interfaces` (v0.14) or `ip_addresses` (v0.17). A client that sends both echoed one
   * of them from a GET, so the one that differs from the stored list is the edit; when both differ, v0.14 wins.
   */
  private async ipList(p: Principal, id: string, b: UpdateHostRequest): Promise<IpList> {
    const v14 = b.interfaces;
    const v17 = b.ip_addresses;
    if (v14 === undefined || v14 === null) return v17;
    if (v17 === undefined || v17 === null) return v14;
    const stored = (await this.hosts.get(p, id)).interfaces as Row[];
    return echoes(v14, stored) && !echoes(v17, stored) ? v17 : v14;
  }

  async update(p: Principal, id: string, b: UpdateHostRequest) {
    if (b.id !== id) throw badRequest('Body id does not match the host id in the path');
    const interfaces = await this.ipList(p, id, b);
    await this.repo.transaction(async (trx) => {
      const networkId = await this.repo.visibleNetworkOf(trx, id, p.networkIds);
      if (!networkId) throw notFound('Host');
      await this.repo.lockNetwork(trx, networkId);
      // Optimistic lock. The reference answers a stale write with 400; we use 409 Conflict, which is what a client
      // should treat as "reload and retry". Timestamps reach clients with millisecond precision, so that is the
      // precision compared.
      const cur = await this.repo.lockHostForUpdate(trx, id, b.expected_updated_at ?? null);
      if (b.expected_updated_at && !cur.same)
        throw new AppError('entity_update_conflict', { entity: 'Host' });
      // Optional fields the client left out keep their value; null or "" clears them.
      const keep = <T>(v: T | undefined, old: T) => (v === undefined ? old : v);
      const next = {
        name: b.name,
        hostname: emptyToNull(keep(b.hostname, cur.hostname)),
        description: emptyToNull(keep(b.description, cur.description)),
      };
      // Provenance: fields the user changed are never overwritten by a later discovery (see ingestion).
      const edited = (['name', 'hostname', 'description'] as const).filter((f) => next[f] !== cur[f]);
      const virtualization = {
        set: b.virtualization !== undefined,
        value: await this.writes.resolveVirtualization(trx, p, networkId, b.virtualization),
      };
      // source is immutable: it records how the host came to exist.
      await this.repo.updateHostByUser(trx, id, { ...next, hidden: b.hidden }, virtualization, edited);
      await this.writes.setTags(trx, 'Host', p, id, b.tags);
      await this.writes.syncChildren(trx, p, { id, network_id: networkId }, { ...b, interfaces }, false);
    });
    return this.hosts.get(p, id);
  }

  /** Merges `otherId` into `destId` (daemon.md §7.4); both must be visible hosts on the same network. */
  async consolidate(p: Principal, destId: string, otherId: string) {
    if (destId === otherId) throw badRequest('A host cannot be consolidated into itself');
    const dest = await this.hosts.get(p, destId);
    const other = await this.hosts.get(p, otherId);
    if (dest.network_id !== other.network_id) {
      throw new AppError('entity_network_mismatch', { detail: 'Both hosts must be on the same network' });
    }
    await this.repo.transaction(async (trx) => {
      await this.repo.lockNetwork(trx, dest.network_id as string);
      const daemon = await this.repo.daemonOn(trx, otherId);
      if (daemon !== undefined) {
        throw new AppError('entity_in_use', {
          entity: 'Host',
          detail: `daemon "${daemon}" runs on it; consolidate in the other direction`,
        });
      }
      await this.merge(trx, destId, otherId);
    });
    return this.hosts.get(p, destId);
  }

  private async merge(trx: Kdb, destId: string, otherId: string) {
    const repo = this.repo;
    // Interfaces: a duplicate (same subnet+IP or MAC) is replaced by the destination's; the rest move, after it.
    const destIfaces = await repo.interfacesOf(trx, destId);
    for (const o of await repo.interfacesOf(trx, otherId)) {
      const match = destIfaces.find(
        (d) => (d.subnet_id === o.subnet_id && d.ip === o.ip) || (d.mac !== null && d.mac === o.mac),
      );
      if (match) {
        await repo.retargetBindings(trx, 'interface_id', o.id, match.id);
      } else {
        await repo.moveInterface(trx, o.id, destId);
        destIfaces.push(o);
      }
    }
    await renumberInterfaces(trx, destId);

    const destPorts = await repo.portsOf(trx, destId);
    for (const o of await repo.portsOf(trx, otherId)) {
      const match = destPorts.find((d) => d.port_number === o.port_number && d.protocol === o.protocol);
      if (match) await repo.retargetBindings(trx, 'port_id', o.id, match.id);
      else await repo.movePort(trx, o.id, destId);
    }

    // Services: one with the same name and definition absorbs the other's bindings; the rest are re-homed.
    const destServices = await repo.servicesWithBindings(trx, destId);
    let position = destServices.length;
    for (const o of await repo.servicesWithBindings(trx, otherId)) {
      const match = destServices.find(
        (d) => d.name === o.name && d.service_definition === o.service_definition,
      );
      if (!match) {
        await repo.moveService(trx, o.id, destId, position++);
        continue;
      }
      // Bindings as stored now: the interface and port moves above may have re-pointed them.
      const kept = await repo.bindingsOf(trx, match.id);
      for (const b of await repo.bindingsOf(trx, o.id)) {
        const dup = kept.find(
          (k) => k.type === b.type && k.interface_id === b.interface_id && k.port_id === b.port_id,
        );
        if (dup) {
          await repo.repointGroupBindings(trx, b.id, dup.id);
          continue;
        }
        await repo.moveBinding(trx, b.id, match.id);
        kept.push(b);
      }
      await repo.repointGroupServices(trx, o.id, match.id);
      await repo.deleteServices(trx, [o.id]);
    }

    // The destination keeps its own fields and only fills the empty ones; tags are the union.
    await repo.absorbHostFields(trx, destId, otherId);
    await repo.deleteHost(trx, otherId);
  }
}
