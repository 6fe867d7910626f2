import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import type { Queryable } from '../../db/client.ts';
import type { Principal } from '../../auth/principal.ts';
import { setTags } from '../../http/crud.ts';
import { AppError, badRequest } from '../../http/errors.ts';
import { portTypeOf } from './port-types.ts';

/**
 * Write rules shared by the host aggregate (POST/PUT /hosts) and the child routes (/interfaces, /ports, /services,
 * /bindings). Every function takes the transaction it runs in.
 */

/** The id the reference UI sends for "not created yet". */
export const NIL = '00000000-0000-0000-0000-000000000000';
type Row = Record<string, unknown>;

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
export interface BindingSpec {
  id?: string;
  type: 'Interface' | 'Port';
  interface_id?: string | null;
  port_id?: string | null;
}
export interface Virtualization {
  type: string;
  details: { service_id: string } & Row;
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
interface Binding {
  id?: string;
  type: 'Interface' | 'Port';
  interface_id: string | null;
  port_id: string | null;
}

/** The reference keeps a client-chosen id; a nil id or one already used by another row gets a fresh one. */
export async function freshId(tx: Queryable, table: string, id?: string): Promise<string> {
  if (!id || id === NIL) return randomUUID();
  const [taken] = await tx.query(`SELECT 1 FROM ${table} WHERE id = $1`, [id]);
  return taken ? randomUUID() : id;
}

/**
 * Loads a row a write refers to. An id the caller cannot see is indistinguishable from a missing one; a visible row
 * on another network than the entity being written is a mismatch.
 */
export async function loadRef<T extends object>(
  tx: Queryable,
  p: Principal,
  table: string,
  id: string,
  networkId: string,
  label: string,
  columns = 'id, network_id',
): Promise<T> {
  const [row] = await tx.query<T & { network_id: string }>(`SELECT ${columns} FROM ${table} WHERE id = $1`, [
    id,
  ]);
  if (!row || !p.networkIds.includes(row.network_id)) throw new AppError('entity_reference_invalid');
  if (row.network_id !== networkId) {
    throw new AppError('entity_network_mismatch', { detail: `${label} ${id} belongs to another network` });
  }
  return row;
}

export function normalizeMac(mac: string | null | undefined): string | null {
  const m = mac?.trim().toLowerCase();
  if (!m) return null;
  if (!/^([0-9a-f]{2}[:-]){5}[0-9a-f]{2}$/.test(m)) {
    throw new AppError('validation_invalid_format', { detail: `mac_address "${mac}" is not a MAC address` });
  }
  const norm = m.replace(/-/g, ':');
  // Some stacks report an all-zero MAC for interfaces without one; storing it would make every such host "the same".
  return norm === '00:00:00:00:00:00' ? null : norm;
}

/** An interface lives in a subnet of its host's network and its address lies inside that subnet. */
export async function checkInterface(tx: Queryable, p: Principal, networkId: string, i: InterfaceSpec) {
  if (!isIP(i.ip_address)) {
    throw new AppError('validation_invalid_format', {
      detail: `ip_address "${i.ip_address}" is not an IP address`,
    });
  }
  const mac = normalizeMac(i.mac_address);
  const subnet = await loadRef<{ cidr: string }>(
    tx,
    p,
    'subnets',
    i.subnet_id,
    networkId,
    'Subnet',
    'network_id, cidr::text AS cidr',
  );
  const [r] = await tx.query<{ inside: boolean }>('SELECT $1::inet <<= $2::cidr AS inside', [
    i.ip_address,
    subnet.cidr,
  ]);
  if (!r.inside) throw new AppError('interface_ip_out_of_range', { ip: i.ip_address, cidr: subnet.cidr });
  return { mac };
}

export async function assertInterfaceFree(
  tx: Queryable,
  hostId: string,
  i: InterfaceSpec,
  exceptId: string | null,
) {
  const [dup] = await tx.query(
    `SELECT 1 FROM interfaces WHERE host_id = $1 AND subnet_id = $2 AND ip_address = $3::inet
       AND id IS DISTINCT FROM $4::uuid`,
    [hostId, i.subnet_id, i.ip_address, exceptId],
  );
  if (dup)
    throw new AppError('entity_already_exists', {
      entity: `Interface ${i.ip_address} in this subnet on this host`,
    });
}

export async function assertPortFree(tx: Queryable, hostId: string, pt: PortSpec, exceptId: string | null) {
  const [dup] = await tx.query(
    'SELECT 1 FROM ports WHERE host_id = $1 AND port_number = $2 AND protocol = $3 AND id IS DISTINCT FROM $4::uuid',
    [hostId, pt.number, pt.protocol, exceptId],
  );
  if (dup)
    throw new AppError('entity_already_exists', { entity: `Port ${pt.number}/${pt.protocol} on this host` });
}

/** Moves one interface to a position (or just closes gaps) so a host's interfaces are numbered 0..n-1. */
export async function renumberInterfaces(
  tx: Queryable,
  hostId: string,
  move?: { id: string; position: number },
) {
  const rows = await tx.query<{ id: string }>(
    'SELECT id FROM interfaces WHERE host_id = $1 ORDER BY position, created_at, id',
    [hostId],
  );
  const ids = rows.map((r) => r.id).filter((id) => id !== move?.id);
  if (move) ids.splice(Math.min(move.position, ids.length), 0, move.id);
  for (const [position, id] of ids.entries()) {
    await tx.query('UPDATE interfaces SET position = $2 WHERE id = $1 AND position <> $2', [id, position]);
  }
}

/** Virtualization points at the hypervisor's or container runtime's service, which must be on the same network. */
export async function resolveVirtualization<V extends Virtualization>(
  tx: Queryable,
  p: Principal,
  networkId: string,
  v: V | null | undefined,
  local: Map<string, string> = new Map(),
): Promise<V | null> {
  if (!v) return null;
  const mapped = local.get(v.details.service_id);
  if (!mapped) await loadRef(tx, p, 'services', v.details.service_id, networkId, 'Virtualization service');
  return { ...v, details: { ...v.details, service_id: mapped ?? v.details.service_id } };
}

const bindingKey = (b: Binding) => `${b.type}|${b.port_id ?? ''}|${b.interface_id ?? '*'}`;

/** The interfaces and ports of a host, the only things its services may bind to. */
async function hostTargets(tx: Queryable, hostId: string) {
  // One after the other: a transaction is a single connection.
  const ifaces = await tx.query<{ id: string }>('SELECT id FROM interfaces WHERE host_id = $1', [hostId]);
  const ports = await tx.query<{ id: string }>('SELECT id FROM ports WHERE host_id = $1', [hostId]);
  return { ifaces: new Set(ifaces.map((r) => r.id)), ports: new Set(ports.map((r) => r.id)) };
}

/**
 * Validates the complete binding set of one service: every target is on the service's host, exact duplicates
 * collapse, a port bound on all interfaces absorbs its interface-specific bindings, and an Interface binding may not
 * share an interface with a Port binding.
 */
async function normalizeBindings(tx: Queryable, hostId: string, specs: BindingSpec[]): Promise<Binding[]> {
  const targets = await hostTargets(tx, hostId);
  const all: Binding[] = specs.map((b) => {
    const interface_id = b.interface_id ?? null;
    const port_id = b.type === 'Port' ? (b.port_id ?? null) : null;
    if (b.type === 'Port' && (!port_id || !targets.ports.has(port_id))) {
      throw badRequest(`Binding port ${port_id} is not a port of the service's host`);
    }
    if (b.type === 'Interface' && !interface_id)
      throw badRequest('An Interface binding needs an interface_id');
    if (interface_id && !targets.ifaces.has(interface_id)) {
      throw badRequest(`Binding interface ${interface_id} is not an interface of the service's host`);
    }
    return { id: b.id, type: b.type, interface_id, port_id };
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

/** Makes the stored bindings of a service exactly `desired`: ids already on the service are updated in place. */
async function writeBindings(tx: Queryable, serviceId: string, networkId: string, desired: Binding[]) {
  const existing = new Set(
    (await tx.query<{ id: string }>('SELECT id FROM bindings WHERE service_id = $1', [serviceId])).map(
      (r) => r.id,
    ),
  );
  const keep: string[] = [];
  for (const b of desired) {
    if (b.id && existing.has(b.id)) {
      await tx.query(
        'UPDATE bindings SET binding_type = $2, interface_id = $3, port_id = $4, updated_at = now() WHERE id = $1',
        [b.id, b.type, b.interface_id, b.port_id],
      );
      keep.push(b.id);
    } else {
      const id = await freshId(tx, 'bindings', b.id);
      await tx.query(
        'INSERT INTO bindings (id, service_id, network_id, binding_type, interface_id, port_id) VALUES ($1, $2, $3, $4, $5, $6)',
        [id, serviceId, networkId, b.type, b.interface_id, b.port_id],
      );
      keep.push(id);
    }
  }
  await tx.query('DELETE FROM bindings WHERE service_id = $1 AND NOT (id = ANY($2::uuid[]))', [
    serviceId,
    keep,
  ]);
}

/** Replaces the binding set of a service (service create/update and host sync). */
export async function syncBindings(
  tx: Queryable,
  svc: { id: string; host_id: string; network_id: string },
  specs: BindingSpec[],
) {
  await writeBindings(tx, svc.id, svc.network_id, await normalizeBindings(tx, svc.host_id, specs));
}

/**
 * Adds or replaces one binding of a service (POST/PUT /bindings). Unlike a whole set sent by a client, a single
 * binding that duplicates or is absorbed by an existing one is refused, so the caller learns nothing was added.
 */
export async function putBinding(
  tx: Queryable,
  svc: { id: string; host_id: string; network_id: string },
  b: BindingSpec & { id: string },
) {
  const others = (
    await tx.query<Binding>(
      'SELECT id, binding_type AS type, interface_id, port_id FROM bindings WHERE service_id = $1 AND id <> $2 ORDER BY created_at, id',
      [svc.id, b.id],
    )
  ).map((o) => ({ ...o, port_id: o.type === 'Port' ? o.port_id : null }));
  const mine: Binding = {
    id: b.id,
    type: b.type,
    interface_id: b.interface_id ?? null,
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
  await syncBindings(tx, svc, [...others, mine]);
}

/** Inserts or updates a service of a host, with its tags and (when given) its complete binding set. */
export async function saveService(
  tx: Queryable,
  p: Principal,
  host: HostRef,
  s: ServiceSpec & { id: string },
  opts: { exists: boolean; position?: number; localServices?: Map<string, string> },
) {
  const hasVirt = s.virtualization !== undefined;
  const virt = await resolveVirtualization(tx, p, host.network_id, s.virtualization, opts.localServices);
  if (opts.exists) {
    await tx.query(
      `UPDATE services SET name = $2, service_definition = $3, position = COALESCE($4, position),
         virtualization = CASE WHEN $5 THEN $6::jsonb ELSE virtualization END, updated_at = now() WHERE id = $1`,
      [s.id, s.name, s.service_definition, opts.position ?? null, hasVirt, virt && JSON.stringify(virt)],
    );
  } else {
    await tx.query(
      `INSERT INTO services (id, host_id, network_id, name, service_definition, position, source, virtualization)
       VALUES ($1, $2, $3, $4, $5, COALESCE($6, (SELECT COALESCE(max(position) + 1, 0) FROM services WHERE host_id = $2)),
         '{"type":"Manual"}', $7)`,
      [
        s.id,
        host.id,
        host.network_id,
        s.name,
        s.service_definition,
        opts.position ?? null,
        virt && JSON.stringify(virt),
      ],
    );
  }
  if (s.tags) await setTags(tx, 'Service', p.organizationId, s.id, s.tags);
  if (s.bindings)
    await syncBindings(tx, { id: s.id, host_id: host.id, network_id: host.network_id }, s.bindings);
}

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

export interface HostChildren {
  interfaces?: (InterfaceSpec & { id: string })[] | null;
  ports?: (PortSpec & { id: string })[] | null;
  services?: (ServiceSpec & { id: string })[] | null;
}

/**
 * Full sync of a host's children: for each array given, ids already on the host are updated, other ids are created
 * and children not listed are deleted (their bindings go with them). A null or absent array leaves that kind alone.
 * Bindings may name children by the ids the client sent in the same request.
 * `newHost` makes an interface already known on another host of the network a conflict (POST /hosts dedup).
 */
export async function syncHostChildren(
  tx: Queryable,
  p: Principal,
  host: HostRef,
  body: HostChildren,
  newHost: boolean,
) {
  const clientIds = new Map<string, string>();
  const existingIds = async (table: string) =>
    new Set(
      (await tx.query<{ id: string }>(`SELECT id FROM ${table} WHERE host_id = $1`, [host.id])).map(
        (r) => r.id,
      ),
    );

  if (body.interfaces) {
    const list = body.interfaces;
    assertUniqueIds(list, 'interfaces');
    const macs = new Map<string, string | null>();
    const addresses = new Set<string>();
    for (const i of list) {
      const { mac } = await checkInterface(tx, p, host.network_id, i);
      macs.set(i.id, mac);
      const addr = `${i.subnet_id}|${i.ip_address}`;
      if (addresses.has(addr))
        throw new AppError('entity_already_exists', { entity: `Interface ${i.ip_address} in this subnet` });
      addresses.add(addr);
      if (newHost) {
        const [other] = await tx.query<{ name: string }>(
          `SELECT h.name FROM interfaces i JOIN hosts h ON h.id = i.host_id
           WHERE i.network_id = $1 AND ((i.subnet_id = $2 AND i.ip_address = $3::inet) OR i.mac_address = $4::macaddr) LIMIT 1`,
          [host.network_id, i.subnet_id, i.ip_address, mac],
        );
        if (other) {
          throw new AppError('entity_already_exists', {
            entity: `Host "${other.name}" with the IP or MAC of ${i.ip_address}`,
          });
        }
      }
    }
    const existing = await existingIds('interfaces');
    const kept = list.filter((i) => existing.has(i.id)).map((i) => i.id);
    await tx.query('DELETE FROM interfaces WHERE host_id = $1 AND NOT (id = ANY($2::uuid[]))', [
      host.id,
      kept,
    ]);
    for (const [position, i] of ordered(list).entries()) {
      if (existing.has(i.id)) {
        // A MAC, once known, identifies the interface: it is never overwritten.
        await tx.query(
          `UPDATE interfaces SET subnet_id = $2, ip_address = $3::inet, mac_address = COALESCE(mac_address, $4::macaddr),
             name = $5, position = $6, updated_at = now() WHERE id = $1`,
          [i.id, i.subnet_id, i.ip_address, macs.get(i.id), i.name ?? null, position],
        );
        clientIds.set(i.id, i.id);
      } else {
        const id = await freshId(tx, 'interfaces', i.id);
        await tx.query(
          `INSERT INTO interfaces (id, host_id, subnet_id, network_id, ip_address, mac_address, name, position)
           VALUES ($1, $2, $3, $4, $5::inet, $6::macaddr, $7, $8)`,
          [id, host.id, i.subnet_id, host.network_id, i.ip_address, macs.get(i.id), i.name ?? null, position],
        );
        clientIds.set(i.id, id);
      }
    }
  }

  if (body.ports) {
    const list = body.ports;
    assertUniqueIds(list, 'ports');
    const seen = new Set<string>();
    for (const pt of list) {
      const k = `${pt.number}/${pt.protocol}`;
      if (seen.has(k)) throw new AppError('entity_already_exists', { entity: `Port ${k}` });
      seen.add(k);
    }
    const existing = await existingIds('ports');
    const kept = list.filter((pt) => existing.has(pt.id)).map((pt) => pt.id);
    await tx.query('DELETE FROM ports WHERE host_id = $1 AND NOT (id = ANY($2::uuid[]))', [host.id, kept]);
    for (const pt of list) {
      if (existing.has(pt.id)) {
        await tx.query(
          'UPDATE ports SET port_number = $2, protocol = $3, port_type = $4, updated_at = now() WHERE id = $1',
          [pt.id, pt.number, pt.protocol, portTypeOf(pt.number, pt.protocol)],
        );
        clientIds.set(pt.id, pt.id);
      } else {
        const id = await freshId(tx, 'ports', pt.id);
        await tx.query(
          'INSERT INTO ports (id, host_id, network_id, port_number, protocol, port_type) VALUES ($1, $2, $3, $4, $5, $6)',
          [id, host.id, host.network_id, pt.number, pt.protocol, portTypeOf(pt.number, pt.protocol)],
        );
        clientIds.set(pt.id, id);
      }
    }
  }

  if (body.services) {
    const list = body.services;
    assertUniqueIds(list, 'services');
    const existing = await existingIds('services');
    const kept = list.filter((s) => existing.has(s.id)).map((s) => s.id);
    const gone = await tx.query<{ id: string }>(
      'DELETE FROM services WHERE host_id = $1 AND NOT (id = ANY($2::uuid[])) RETURNING id',
      [host.id, kept],
    );
    if (gone.length)
      await tx.query('DELETE FROM entity_tags WHERE entity_id = ANY($1::uuid[])', [gone.map((g) => g.id)]);
    // Final ids first, so a service's virtualization may point at a sibling created in the same request.
    const serviceIds = new Map<string, string>();
    for (const s of list)
      serviceIds.set(s.id, existing.has(s.id) ? s.id : await freshId(tx, 'services', s.id));
    const ref = (id: string | null | undefined) => (id ? (clientIds.get(id) ?? id) : id);
    for (const [position, s] of ordered(list).entries()) {
      const bindings = s.bindings?.map((b) => ({
        ...b,
        interface_id: ref(b.interface_id),
        port_id: ref(b.port_id),
      }));
      await saveService(
        tx,
        p,
        host,
        { ...s, id: serviceIds.get(s.id) as string, bindings },
        { exists: existing.has(s.id), position, localServices: serviceIds },
      );
    }
  }
}
