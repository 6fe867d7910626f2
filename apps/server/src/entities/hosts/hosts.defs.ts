import { HostResponse, Interface, Port, Service, Binding } from '@scanopy/contracts';
import type { Queryable } from '../../db/client.ts';
import { AppError } from '../../http/errors.ts';
import { tagsColumn, type EntityDef } from '../../http/crud.ts';
import { renumberInterfaces } from './hosts.service.ts';
import { Uuid, UuidArray } from '../../http/schemas.ts';
import type { CsvSpec } from '../../http/csv.ts';

type Row = Record<string, unknown>;

export const interfaceColumns = `t.id, t.host_id, t.subnet_id, t.network_id, host(t.ip_address) AS ip_address,
  t.mac_address::text AS mac_address, t.name, t.position, t.created_at, t.updated_at`;
export const portColumns = `t.id, t.host_id, t.network_id, t.port_number AS number, t.protocol, t.port_type AS type,
  t.created_at, t.updated_at`;
export const serviceColumns = `t.id, t.host_id, t.network_id, t.name, t.service_definition, t.position, t.source,
  t.virtualization, ${tagsColumn('Service')}, t.created_at, t.updated_at`;
export const bindingColumns = `t.id, t.service_id, t.network_id, t.binding_type AS type, t.interface_id, t.port_id,
  t.created_at, t.updated_at`;

/** ifTable entries have no table yet; the hosts ZIP still carries their (empty) CSV, as the reference does. */
export const ifEntryCsv: CsvSpec = {
  file: 'ifTable Entries',
  columns: [
    'id',
    'host_id',
    'network_id',
    'if_index',
    'if_descr',
    'if_name',
    'if_alias',
    'if_type',
    'speed_bps',
    'admin_status',
    'oper_status',
    'mac_address',
    'interface_id',
    'neighbor',
    'lldp_chassis_id',
    'lldp_port_id',
    'lldp_sys_name',
    'lldp_port_desc',
    'lldp_mgmt_addr',
    'lldp_sys_desc',
    'cdp_device_id',
    'cdp_port_id',
    'cdp_platform',
    'cdp_address',
    'created_at',
    'updated_at',
  ],
};

/** Bindings are a tagged union on the wire: an Interface binding has no port_id. */
export function shapeBinding(b: Row): Row {
  if (b.type === 'Interface') {
    const { port_id: _p, ...rest } = b;
    return rest;
  }
  return b;
}

export async function hydrateServices(db: Queryable, services: Row[]): Promise<Row[]> {
  if (!services.length) return services;
  const bindings = await db.query<Row>(
    `SELECT ${bindingColumns} FROM bindings t WHERE t.service_id = ANY($1::uuid[]) ORDER BY t.created_at, t.id`,
    [services.map((s) => s.id)],
  );
  return attachBindings(services, bindings);
}

function attachBindings(services: Row[], bindings: Row[]): Row[] {
  const by = new Map<unknown, Row[]>();
  for (const b of bindings) {
    const list = by.get(b.service_id);
    if (list) list.push(shapeBinding(b));
    else by.set(b.service_id, [shapeBinding(b)]);
  }
  return services.map((s) => ({ ...s, bindings: by.get(s.id) ?? [] }));
}

/** Embeds children in a page of hosts with one query per child type, never one per host. */
export async function hydrateHosts(db: Queryable, hosts: Row[]): Promise<Row[]> {
  if (!hosts.length) return hosts;
  const ids = [hosts.map((h) => h.id)];
  // Four independent queries (bindings are found through their services' host), so one round trip in all.
  const [ifaces, ports, services, bindings] = await Promise.all([
    db.query<Row>(
      `SELECT ${interfaceColumns} FROM interfaces t WHERE t.host_id = ANY($1::uuid[]) ORDER BY t.position, t.id`,
      ids,
    ),
    db.query<Row>(
      `SELECT ${portColumns} FROM ports t WHERE t.host_id = ANY($1::uuid[]) ORDER BY t.port_number, t.protocol`,
      ids,
    ),
    db.query<Row>(
      `SELECT ${serviceColumns} FROM services t WHERE t.host_id = ANY($1::uuid[]) ORDER BY t.position, t.id`,
      ids,
    ),
    db.query<Row>(
      `SELECT ${bindingColumns} FROM bindings t JOIN services s ON s.id = t.service_id
       WHERE s.host_id = ANY($1::uuid[]) ORDER BY t.created_at, t.id`,
      ids,
    ),
  ]);
  const withBindings = attachBindings(services, bindings);
  const group = (rows: Row[]) => {
    const m = new Map<unknown, Row[]>();
    for (const r of rows) {
      const list = m.get(r.host_id);
      if (list) list.push(r);
      else m.set(r.host_id, [r]);
    }
    return m;
  };
  const gi = group(ifaces);
  const gp = group(ports);
  const gs = group(withBindings);
  return hosts.map((h) => ({
    ...h,
    interfaces: gi.get(h.id) ?? [],
    ports: gp.get(h.id) ?? [],
    services: gs.get(h.id) ?? [],
    if_entries: [],
  }));
}

export const hostDef: EntityDef = {
  name: 'Host',
  path: 'hosts',
  table: 'hosts',
  scope: 'network',
  tagType: 'Host',
  columns: `t.id, t.name, t.hostname, t.description, t.network_id, t.source, t.virtualization, t.hidden,
    ${tagsColumn('Host')}, t.created_at, t.updated_at`,
  filters: { network_id: 't.network_id', ids: 't.id', tag_ids: '' },
  filterSchema: { network_id: Uuid, ids: UuidArray, tag_ids: UuidArray },
  orderFields: {
    created_at: 't.created_at',
    updated_at: 't.updated_at',
    name: 't.name',
    hostname: 't.hostname',
    network_id: 't.network_id',
  },
  hydrate: hydrateHosts,
  beforeDelete: async (db, ids) => {
    const [d] = await db.query<{ name: string }>(
      'SELECT name FROM daemons WHERE host_id = ANY($1::uuid[]) LIMIT 1',
      [ids],
    );
    if (d)
      throw new AppError('entity_in_use', {
        entity: 'Host',
        detail: `daemon "${d.name}" runs on it; delete the daemon first`,
      });
    // Services go with their host by cascade; their tag rows are polymorphic (no FK) and must go explicitly.
    await db.query(
      `DELETE FROM entity_tags WHERE entity_type = 'Service'
       AND entity_id IN (SELECT id FROM services WHERE host_id = ANY($1::uuid[]))`,
      [ids],
    );
  },
  csv: {
    file: 'Hosts',
    columns: [
      'id',
      'name',
      'hostname',
      'description',
      'network_id',
      'source',
      'hidden',
      'created_at',
      'updated_at',
    ],
    exprs: { source: "t.source->>'type'" },
  },
  schema: HostResponse,
  access: { read: 'viewer', write: 'member' },
};

export const interfaceDef: EntityDef = {
  name: 'Interface',
  path: 'interfaces',
  table: 'interfaces',
  scope: 'network',
  columns: interfaceColumns,
  filters: { network_id: 't.network_id', host_id: 't.host_id', subnet_id: 't.subnet_id', ids: 't.id' },
  filterSchema: { network_id: Uuid, host_id: Uuid, subnet_id: Uuid, ids: UuidArray },
  // Positions stay 0..n-1 per host after deletes.
  afterDelete: async (db, deleted) => {
    for (const hostId of new Set(deleted.map((r) => r.host_id as string)))
      await renumberInterfaces(db, hostId);
  },
  csv: {
    file: 'Interfaces',
    columns: [
      'id',
      'ip_address',
      'mac_address',
      'name',
      'host_id',
      'subnet_id',
      'network_id',
      'position',
      'created_at',
      'updated_at',
    ],
    exprs: { ip_address: 'host(t.ip_address)', mac_address: 't.mac_address::text' },
  },
  schema: Interface,
  access: { read: 'viewer', write: 'member' },
};

export const portDef: EntityDef = {
  name: 'Port',
  path: 'ports',
  table: 'ports',
  scope: 'network',
  columns: portColumns,
  filters: { network_id: 't.network_id', host_id: 't.host_id', ids: 't.id' },
  filterSchema: { network_id: Uuid, host_id: Uuid, ids: UuidArray },
  csv: {
    file: 'Ports',
    columns: [
      'id',
      'port_number',
      'protocol',
      'port_type',
      'host_id',
      'network_id',
      'created_at',
      'updated_at',
    ],
  },
  schema: Port,
  access: { read: 'viewer', write: 'member' },
};

export const serviceDef: EntityDef = {
  name: 'Service',
  path: 'services',
  table: 'services',
  scope: 'network',
  tagType: 'Service',
  columns: serviceColumns,
  filters: { network_id: 't.network_id', host_id: 't.host_id', ids: 't.id', tag_ids: '' },
  filterSchema: { network_id: Uuid, host_id: Uuid, ids: UuidArray, tag_ids: UuidArray },
  orderFields: {
    created_at: 't.created_at',
    updated_at: 't.updated_at',
    name: 't.name',
    position: 't.position',
    network_id: 't.network_id',
  },
  hydrate: hydrateServices,
  csv: {
    file: 'Services',
    columns: [
      'id',
      'name',
      'service_definition',
      'host_id',
      'network_id',
      'source',
      'position',
      'created_at',
      'updated_at',
    ],
    exprs: { source: "t.source->>'type'" },
  },
  schema: Service,
  access: { read: 'viewer', write: 'member' },
};

export const bindingDef: EntityDef = {
  name: 'Binding',
  path: 'bindings',
  table: 'bindings',
  scope: 'network',
  columns: bindingColumns,
  filters: {
    network_id: 't.network_id',
    service_id: 't.service_id',
    port_id: 't.port_id',
    interface_id: 't.interface_id',
    ids: 't.id',
  },
  filterSchema: { network_id: Uuid, service_id: Uuid, port_id: Uuid, interface_id: Uuid, ids: UuidArray },
  hydrate: async (_db, rows) => rows.map(shapeBinding),
  csv: {
    file: 'Bindings',
    columns: [
      'id',
      'service_id',
      'binding_type',
      'interface_id',
      'port_id',
      'network_id',
      'created_at',
      'updated_at',
    ],
  },
  schema: Binding,
  access: { read: 'viewer', write: 'member' },
};
