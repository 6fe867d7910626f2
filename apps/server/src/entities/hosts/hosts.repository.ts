import { HostResponse, Interface, Port, Service, Binding } from '@scanopy/contracts';
import { queryable, type Kdb } from '../../db/client.ts';
import { anyOf, entitySpec, tagIds, variantOf, type EntityEb, type Row } from '../../db/entity-repository.ts';
import { AppError } from '../../http/errors.ts';
import type { EntityDef } from '../../http/crud.ts';
import { renumberInterfaces } from './hosts.service.ts';
import { Uuid, UuidArray } from '../../http/schemas.ts';

export const interfaceSelect = (eb: EntityEb<'interfaces'>) =>
  [
    't.id',
    't.host_id',
    't.subnet_id',
    't.network_id',
    eb.fn<string>('host', ['t.ip_address']).as('ip_address'),
    eb.cast<string>('t.mac_address', 'text').as('mac_address'),
    't.name',
    't.position',
    't.created_at',
    't.updated_at',
  ] as const;
export const portSelect = () =>
  [
    't.id',
    't.host_id',
    't.network_id',
    't.port_number as number',
    't.protocol',
    't.port_type as type',
    't.created_at',
    't.updated_at',
  ] as const;
export const serviceSelect = (eb: EntityEb<'services'>) =>
  [
    't.id',
    't.host_id',
    't.network_id',
    't.name',
    't.service_definition',
    't.position',
    't.source',
    't.virtualization',
    tagIds(eb, 'Service'),
    't.created_at',
    't.updated_at',
  ] as const;
export const bindingSelect = () =>
  [
    't.id',
    't.service_id',
    't.network_id',
    't.binding_type as type',
    't.interface_id',
    't.port_id',
    't.created_at',
    't.updated_at',
  ] as const;

/** ifTable entries have no table yet; the hosts ZIP still carries their (empty) CSV, as the reference does. */
export const ifEntryCsv = {
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

export async function hydrateServices(db: Kdb, services: Row[]): Promise<Row[]> {
  if (!services.length) return services;
  const bindings = await db
    .selectFrom('bindings as t')
    .select(bindingSelect())
    .where(
      't.service_id',
      'in',
      services.map((s) => s.id as string),
    )
    .orderBy('t.created_at')
    .orderBy('t.id')
    .execute();
  return attachBindings(services, bindings);
}

function attachBindings(services: Row[], bindings: readonly Row[]): Row[] {
  const by = new Map<unknown, Row[]>();
  for (const b of bindings) {
    const list = by.get(b.service_id);
    if (list) list.push(shapeBinding(b));
    else by.set(b.service_id, [shapeBinding(b)]);
  }
  return services.map((s) => ({ ...s, bindings: by.get(s.id) ?? [] }));
}

/** Embeds children in a page of hosts with one query per child type, never one per host. */
export async function hydrateHosts(db: Kdb, hosts: Row[]): Promise<Row[]> {
  if (!hosts.length) return hosts;
  const ids = hosts.map((h) => h.id as string);
  // Four independent queries (bindings are found through their services' host), so one round trip in all.
  const [ifaces, ports, services, bindings] = await Promise.all([
    db
      .selectFrom('interfaces as t')
      .select(interfaceSelect)
      .where(anyOf('t.host_id', ids))
      .orderBy('t.position')
      .orderBy('t.id')
      .execute(),
    db
      .selectFrom('ports as t')
      .select(portSelect())
      .where(anyOf('t.host_id', ids))
      .orderBy('t.port_number')
      .orderBy('t.protocol')
      .execute(),
    db
      .selectFrom('services as t')
      .select(serviceSelect)
      .where(anyOf('t.host_id', ids))
      .orderBy('t.position')
      .orderBy('t.id')
      .execute(),
    db
      .selectFrom('bindings as t')
      .innerJoin('services as s', 's.id', 't.service_id')
      .select(bindingSelect())
      .where(anyOf('s.host_id', ids))
      .orderBy('t.created_at')
      .orderBy('t.id')
      .execute(),
  ]);
  const withBindings = attachBindings(services, bindings);
  const group = (rows: readonly Row[]) => {
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

export const hostDef: EntityDef<'hosts'> = {
  name: 'Host',
  path: 'hosts',
  filterSchema: { network_id: Uuid, ids: UuidArray, tag_ids: UuidArray },
  csvFile: 'Hosts',
  schema: HostResponse,
  access: { read: 'viewer', write: 'member' },
  spec: entitySpec({
    table: 'hosts',
    scope: 'network',
    tagType: 'Host',
    select: (eb) => [
      't.id',
      't.name',
      't.hostname',
      't.description',
      't.network_id',
      't.source',
      't.virtualization',
      't.hidden',
      tagIds(eb, 'Host'),
      't.created_at',
      't.updated_at',
    ],
    filters: { network_id: 'network_id', ids: 'id', tag_ids: 'id' },
    orderFields: {
      created_at: 'created_at',
      updated_at: 'updated_at',
      name: 'name',
      hostname: 'hostname',
      network_id: 'network_id',
    },
    hydrate: hydrateHosts,
    beforeDelete: async (db, ids) => {
      const d = await db
        .selectFrom('daemons')
        .select('name')
        .where('host_id', 'in', ids)
        .limit(1)
        .executeTakeFirst();
      if (d)
        throw new AppError('entity_in_use', {
          entity: 'Host',
          detail: `daemon "${d.name}" runs on it; delete the daemon first`,
        });
      // Services go with their host by cascade; their tag rows are polymorphic (no FK) and must go explicitly.
      await db
        .deleteFrom('entity_tags')
        .where('entity_type', '=', 'Service')
        .where('entity_id', 'in', db.selectFrom('services').select('id').where('host_id', 'in', ids))
        .execute();
    },
    csv: {
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
      exprs: { source: () => variantOf('source') },
    },
  }),
};

export const interfaceDef: EntityDef<'interfaces'> = {
  name: 'Interface',
  path: 'interfaces',
  filterSchema: { network_id: Uuid, host_id: Uuid, subnet_id: Uuid, ids: UuidArray },
  csvFile: 'Interfaces',
  schema: Interface,
  access: { read: 'viewer', write: 'member' },
  spec: entitySpec({
    table: 'interfaces',
    scope: 'network',
    select: interfaceSelect,
    filters: { network_id: 'network_id', host_id: 'host_id', subnet_id: 'subnet_id', ids: 'id' },
    // Positions stay 0..n-1 per host after deletes.
    afterDelete: async (db, deleted) => {
      for (const hostId of new Set(deleted.map((r) => r.host_id as string)))
        await renumberInterfaces(queryable(db), hostId);
    },
    csv: {
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
      exprs: {
        ip_address: (eb) => eb.fn<string>('host', ['t.ip_address']),
        mac_address: (eb) => eb.cast<string>('t.mac_address', 'text'),
      },
    },
  }),
};

export const portDef: EntityDef<'ports'> = {
  name: 'Port',
  path: 'ports',
  filterSchema: { network_id: Uuid, host_id: Uuid, ids: UuidArray },
  csvFile: 'Ports',
  schema: Port,
  access: { read: 'viewer', write: 'member' },
  spec: entitySpec({
    table: 'ports',
    scope: 'network',
    select: portSelect,
    filters: { network_id: 'network_id', host_id: 'host_id', ids: 'id' },
    csv: {
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
  }),
};

export const serviceDef: EntityDef<'services'> = {
  name: 'Service',
  path: 'services',
  filterSchema: { network_id: Uuid, host_id: Uuid, ids: UuidArray, tag_ids: UuidArray },
  csvFile: 'Services',
  schema: Service,
  access: { read: 'viewer', write: 'member' },
  spec: entitySpec({
    table: 'services',
    scope: 'network',
    tagType: 'Service',
    select: serviceSelect,
    filters: { network_id: 'network_id', host_id: 'host_id', ids: 'id', tag_ids: 'id' },
    orderFields: {
      created_at: 'created_at',
      updated_at: 'updated_at',
      name: 'name',
      position: 'position',
      network_id: 'network_id',
    },
    hydrate: hydrateServices,
    csv: {
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
      exprs: { source: () => variantOf('source') },
    },
  }),
};

export const bindingDef: EntityDef<'bindings'> = {
  name: 'Binding',
  path: 'bindings',
  filterSchema: { network_id: Uuid, service_id: Uuid, port_id: Uuid, interface_id: Uuid, ids: UuidArray },
  csvFile: 'Bindings',
  schema: Binding,
  access: { read: 'viewer', write: 'member' },
  spec: entitySpec({
    table: 'bindings',
    scope: 'network',
    select: bindingSelect,
    filters: {
      network_id: 'network_id',
      service_id: 'service_id',
      port_id: 'port_id',
      interface_id: 'interface_id',
      ids: 'id',
    },
    hydrate: async (_db, rows) => rows.map(shapeBinding),
    csv: {
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
  }),
};
