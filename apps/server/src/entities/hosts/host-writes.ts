import { isIP } from 'node:net';
import { normalizeMac } from '@scanopy/contracts';
import type { Principal } from '../../auth/principal.ts';
import type { Kdb } from '../../db/client.ts';
import type { EntityService } from '../../http/crud.ts';
import { AppError, badRequest } from '../../http/errors.ts';
import type { EntityTagsService } from '../tags/entity-tags.service.ts';
import type { BindingRow, HostsRepository } from './hosts.repository.ts';

/**
 * Write rules shared by the host aggregate (POST/PUT /hosts) and the child routes (/interfaces, /ports, /services,
 * /bindings). Every method takes the transaction it runs in; the SQL is in HostsRepository.
 */

export interface HostRef {
  id: string;
  network_id: string;
}
export interface InterfaceSpec {
  id?: string;
  subnet_id: string;
  ip_address: string;
  mac_address?: string | null;
  name?: string | null;
  position?: number | null;
}
export interface PortSpec {
  id?: string;
  number: number;
  protocol: 'Tcp' | 'Udp';
}
/** type "IPAddress" and ip_address_id are the v0.17 names of "Interface" and interface_id (see v014Binding). */
export interface BindingSpec {
  id?: string;
  type: 'Interface' | 'Port' | 'IPAddress';
  interface_id?: string | null;
  ip_address_id?: string | null;
  port_id?: string | null;
}

/** A binding as stored: the v0.17 names become the v0.14 ones (interface_id wins when a client sends both). */
export function v014Binding(b: BindingSpec): { type: 'Interface' | 'Port'; interface_id: string | null } {
  return {
    type: b.type === 'IPAddress' ? 'Interface' : b.type,
    interface_id: b.interface_id ?? b.ip_address_id ?? null,
  };
}
export interface Virtualization {
  type: string;
  details: { service_id: string } & Record<string, unknown>;
}
export interface ServiceSpec {
  id?: string;
  name: string;
  service_definition: string;
  position?: number | null;
  tags?: string[];
  virtualization?: Virtualization | null;
  bindings?: BindingSpec[];
}
export interface HostChildren {
  interfaces?: (InterfaceSpec & { id: string })[] | null;
  ports?: (PortSpec & { id: string })[] | null;
  services?: (ServiceSpec & { id: string })[] | null;
}
interface Binding extends BindingRow {
  id?: string;
}

/** The related entities a host write checks references against (scoped reads). */
export interface HostEntities {
  hosts: EntityService<'hosts'>;
  subnets: EntityService<'subnets'>;
  services: EntityService<'services'>;
}

const ZERO_MAC = /^0{2}([:-]?0{2}){5}$/;

/**
 * A MAC a user typed: empty or all-zero means none (some stacks report all zeros for interfaces without one, and
 * storing it would make every such host "the same"); anything else must be a MAC address.
 */
export function userMac(mac: string | null | undefined): string | null {
  const text = mac?.trim();
  if (!text || ZERO_MAC.test(text)) return null;
  const normalized = normalizeMac(text);
  if (!normalized) {
    throw new AppError('validation_invalid_format', { detail: `mac_address "${mac}" is not a MAC address` });
  }
  return normalized;
}

const bindingKey = (b: Binding) => `${b.type}|${b.port_id ?? ''}|${b.interface_id ?? '*'}`;

/** Client order, unless the client gave explicit positions; callers number the result 0..n-1. */
function ordered<T extends { position?: number | null }>(items: T[]): T[] {
  return items
    .map((item, i) => ({ item, key: item.position ?? i, i }))
    .sort((a, b) => a.key - b.key || a.i - b.i)
    .map((x) => x.item);
}

function assertUniqueIds(items: { id: string }[], label: string) {
  const ids = new Set(items.map((i) => i.id));
  if (ids.size !== items.length) throw badRequest(`${label} contain the same id twice`);
}

export class HostWrites {
  constructor(
    readonly repo: HostsRepository,
    private readonly entities: HostEntities,
    private readonly tags: EntityTagsService,
  ) {}

  /** A host, subnet or service a write names: visible to the caller and on the network of the entity written. */
  reference(on: Kdb, p: Principal, kind: keyof HostEntities, id: string, networkId: string, label: string) {
    return this.entities[kind].reference(p, id, networkId, label, on);
  }

  setTags(on: Kdb, entityType: 'Host' | 'Service', p: Principal, id: string, tagIds: string[]) {
    return this.tags.set(on, entityType, p.organizationId, id, tagIds);
  }

  /** An interface lives in a subnet of its host's network and its address lies inside that subnet. */
  async checkInterface(on: Kdb, p: Principal, networkId: string, i: InterfaceSpec) {
    if (!isIP(i.ip_address)) {
      throw new AppError('validation_invalid_format', {
        detail: `ip_address "${i.ip_address}" is not an IP address`,
      });
    }
    const mac = userMac(i.mac_address);
    const subnet = await this.reference(on, p, 'subnets', i.subnet_id, networkId, 'Subnet');
    const cidr = subnet.cidr as string;
    if (!(await this.repo.contains(on, cidr, i.ip_address))) {
      throw new AppError('interface_ip_out_of_range', { ip: i.ip_address, cidr });
    }
    return { mac };
  }

  async assertInterfaceFree(on: Kdb, hostId: string, i: InterfaceSpec, exceptId: string | null) {
    if (await this.repo.interfaceTaken(on, hostId, i, exceptId)) {
      throw new AppError('entity_already_exists', {
        entity: `Interface ${i.ip_address} in this subnet on this host`,
      });
    }
  }

  async assertPortFree(on: Kdb, hostId: string, pt: PortSpec, exceptId: string | null) {
    if (await this.repo.portTaken(on, hostId, pt, exceptId)) {
      throw new AppError('entity_already_exists', {
        entity: `Port ${pt.number}/${pt.protocol} on this host`,
      });
    }
  }

  /** Virtualization points at the hypervisor's or container runtime's service, which must be on the same network. */
  async resolveVirtualization<V extends Virtualization>(
    on: Kdb,
    p: Principal,
    networkId: string,
    v: V | null | undefined,
    local: Map<string, string> = new Map(),
  ): Promise<V | null> {
    if (!v) return null;
    const mapped = local.get(v.details.service_id);
    if (!mapped) {
      await this.reference(on, p, 'services', v.details.service_id, networkId, 'Virtualization service');
    }
    return { ...v, details: { ...v.details, service_id: mapped ?? v.details.service_id } };
  }

  /**
   * Validates the complete binding set of one service: every target is on the service's host, exact duplicates
   * collapse, a port bound on all interfaces absorbs its interface-specific bindings, and an Interface binding may
   * not share an interface with a Port binding.
   */
  private async normalizeBindings(on: Kdb, hostId: string, specs: BindingSpec[]): Promise<Binding[]> {
    const targets = await this.repo.bindTargets(on, hostId);
    const all: Binding[] = specs.map((b) => {
      const { type, interface_id } = v014Binding(b);
      const port_id = type === 'Port' ? (b.port_id ?? null) : null;
      if (type === 'Port' && (!port_id || !targets.ports.has(port_id))) {
        throw badRequest(`Binding port ${port_id} is not a port of the service's host`);
      }
      if (type === 'Interface' && !interface_id)
        throw badRequest('An Interface binding needs an interface_id');
      if (interface_id && !targets.ifaces.has(interface_id)) {
        throw badRequest(`Binding interface ${interface_id} is not an interface of the service's host`);
      }
      return { id: b.id, type, interface_id, port_id };
    });
    const seen = new Set<string>();
    const allInterfacePorts = new Set(
      all.filter((b) => b.type === 'Port' && !b.interface_id).map((b) => b.port_id),
    );
    const out = all.filter((b) => {
      const k = bindingKey(b);
      if (seen.has(k) || (b.type === 'Port' && b.interface_id && allInterfacePorts.has(b.port_id)))
        return false;
      seen.add(k);
      return true;
    });
    const portIfaces = new Set(out.filter((b) => b.type === 'Port').map((b) => b.interface_id));
    const clash = out.find((b) => b.type === 'Interface' && portIfaces.has(b.interface_id));
    if (clash) {
      throw badRequest(
        `Interface ${clash.interface_id} has both an Interface binding and a Port binding in this service; keep one of them`,
      );
    }
    return out;
  }

  /** Replaces the binding set of a service: ids already on the service are updated in place. */
  async syncBindings(
    on: Kdb,
    svc: { id: string; host_id: string; network_id: string },
    specs: BindingSpec[],
  ): Promise<void> {
    const desired = await this.normalizeBindings(on, svc.host_id, specs);
    const existing = new Set((await this.repo.bindingsOf(on, svc.id)).map((b) => b.id));
    const keep: string[] = [];
    for (const b of desired) {
      if (b.id && existing.has(b.id)) {
        await this.repo.updateBinding(on, b.id, b);
        keep.push(b.id);
      } else {
        const id = await this.repo.freshId(on, 'bindings', b.id);
        await this.repo.insertBinding(on, id, svc, b);
        keep.push(id);
      }
    }
    await this.repo.deleteBindingsExcept(on, svc.id, keep);
  }

  /**
   * Adds or replaces one binding of a service (POST/PUT /bindings). Unlike a whole set sent by a client, a single
   * binding that duplicates or is absorbed by an existing one is refused, so the caller learns nothing was added.
   */
  async putBinding(
    on: Kdb,
    svc: { id: string; host_id: string; network_id: string },
    b: BindingSpec & { id: string },
  ): Promise<void> {
    const others = await this.repo.bindingsOf(on, svc.id, b.id);
    const mine: Binding = {
      id: b.id,
      ...v014Binding(b),
      port_id: b.type === 'Port' ? (b.port_id ?? null) : null,
    };
    if (others.some((o) => bindingKey(o) === bindingKey(mine))) {
      throw new AppError('entity_already_exists', { entity: 'This binding' });
    }
    if (
      mine.type === 'Port' &&
      mine.interface_id &&
      others.some((o) => o.type === 'Port' && o.port_id === mine.port_id && !o.interface_id)
    ) {
      throw new AppError('entity_already_exists', { entity: 'A binding of this port on all interfaces' });
    }
    await this.syncBindings(on, svc, [...others, mine]);
  }

  /** Inserts or updates a service of a host, with its tags and (when given) its complete binding set. */
  async saveService(
    on: Kdb,
    p: Principal,
    host: HostRef,
    s: ServiceSpec & { id: string },
    opts: { exists: boolean; position?: number; localServices?: Map<string, string> },
  ): Promise<void> {
    const virtualization = {
      set: s.virtualization !== undefined,
      value: await this.resolveVirtualization(on, p, host.network_id, s.virtualization, opts.localServices),
    };
    if (opts.exists) {
      await this.repo.updateService(
        on,
        s.id,
        { name: s.name, service_definition: s.service_definition, position: opts.position ?? null },
        virtualization,
      );
    } else {
      await this.repo.insertService(
        on,
        s.id,
        host,
        {
          name: s.name,
          service_definition: s.service_definition,
          source: { type: 'Manual' },
          virtualization: virtualization.value,
        },
        opts.position ?? null,
      );
    }
    if (s.tags) await this.setTags(on, 'Service', p, s.id, s.tags);
    if (s.bindings) {
      await this.syncBindings(on, { id: s.id, host_id: host.id, network_id: host.network_id }, s.bindings);
    }
  }

  /**
   * Full sync of a host's children: for each array given, ids already on the host are updated, other ids are
   * created and children not listed are deleted (their bindings go with them). A null or absent array leaves that
   * kind alone. Bindings may name children by the ids the client sent in the same request. `newHost` makes an
   * interface already known on another host of the network a conflict (POST /hosts dedup).
   */
  async syncChildren(
    on: Kdb,
    p: Principal,
    host: HostRef,
    body: HostChildren,
    newHost: boolean,
  ): Promise<void> {
    const clientIds = new Map<string, string>();
    if (body.interfaces) await this.syncInterfaces(on, p, host, body.interfaces, newHost, clientIds);
    if (body.ports) await this.syncPorts(on, host, body.ports, clientIds);
    if (body.services) await this.syncServices(on, p, host, body.services, clientIds);
  }

  private async syncInterfaces(
    on: Kdb,
    p: Principal,
    host: HostRef,
    list: (InterfaceSpec & { id: string })[],
    newHost: boolean,
    clientIds: Map<string, string>,
  ) {
    assertUniqueIds(list, 'interfaces');
    const macs = new Map<string, string | null>();
    const addresses = new Set<string>();
    for (const i of list) {
      const { mac } = await this.checkInterface(on, p, host.network_id, i);
      macs.set(i.id, mac);
      const addr = `${i.subnet_id}|${i.ip_address}`;
      if (addresses.has(addr)) {
        throw new AppError('entity_already_exists', { entity: `Interface ${i.ip_address} in this subnet` });
      }
      addresses.add(addr);
      if (newHost) {
        const other = await this.repo.hostWithAddress(on, host.network_id, i.subnet_id, i.ip_address, mac);
        if (other !== undefined) {
          throw new AppError('entity_already_exists', {
            entity: `Host "${other}" with the IP or MAC of ${i.ip_address}`,
          });
        }
      }
    }
    const existing = await this.repo.childIds(on, 'interfaces', host.id);
    const kept = list.filter((i) => existing.has(i.id)).map((i) => i.id);
    await this.repo.deleteChildrenExcept(on, 'interfaces', host.id, kept);
    for (const [position, i] of ordered(list).entries()) {
      const row = {
        subnet_id: i.subnet_id,
        ip_address: i.ip_address,
        mac_address: macs.get(i.id) ?? null,
        name: i.name ?? null,
      };
      if (existing.has(i.id)) {
        await this.repo.updateInterface(on, i.id, row, { position });
        clientIds.set(i.id, i.id);
      } else {
        const id = await this.repo.freshId(on, 'interfaces', i.id);
        await this.repo.insertInterface(on, id, host, row, position);
        clientIds.set(i.id, id);
      }
    }
  }

  private async syncPorts(
    on: Kdb,
    host: HostRef,
    list: (PortSpec & { id: string })[],
    clientIds: Map<string, string>,
  ) {
    assertUniqueIds(list, 'ports');
    const seen = new Set<string>();
    for (const pt of list) {
      const k = `${pt.number}/${pt.protocol}`;
      if (seen.has(k)) throw new AppError('entity_already_exists', { entity: `Port ${k}` });
      seen.add(k);
    }
    const existing = await this.repo.childIds(on, 'ports', host.id);
    const kept = list.filter((pt) => existing.has(pt.id)).map((pt) => pt.id);
    await this.repo.deleteChildrenExcept(on, 'ports', host.id, kept);
    for (const pt of list) {
      if (existing.has(pt.id)) {
        await this.repo.updatePort(on, pt.id, pt);
        clientIds.set(pt.id, pt.id);
      } else {
        const id = await this.repo.freshId(on, 'ports', pt.id);
        await this.repo.insertPort(on, id, host, pt);
        clientIds.set(pt.id, id);
      }
    }
  }

  private async syncServices(
    on: Kdb,
    p: Principal,
    host: HostRef,
    list: (ServiceSpec & { id: string })[],
    clientIds: Map<string, string>,
  ) {
    assertUniqueIds(list, 'services');
    const existing = await this.repo.childIds(on, 'services', host.id);
    const gone = [...existing].filter((id) => !list.some((s) => s.id === id));
    await this.repo.deleteServices(on, gone);
    // Final ids first, so a service's virtualization may point at a sibling created in the same request.
    const serviceIds = new Map<string, string>();
    for (const s of list) {
      serviceIds.set(s.id, existing.has(s.id) ? s.id : await this.repo.freshId(on, 'services', s.id));
    }
    const ref = (id: string | null | undefined) => (id ? (clientIds.get(id) ?? id) : id);
    for (const [position, s] of ordered(list).entries()) {
      const bindings = s.bindings?.map((b) => {
        const stored = v014Binding(b);
        return { ...b, ...stored, interface_id: ref(stored.interface_id), port_id: ref(b.port_id) };
      });
      await this.saveService(
        on,
        p,
        host,
        { ...s, id: serviceIds.get(s.id) as string, bindings },
        { exists: existing.has(s.id), position, localServices: serviceIds },
      );
    }
  }
}
