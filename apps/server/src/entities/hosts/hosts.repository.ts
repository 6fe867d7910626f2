import { sql } from 'kysely';
import { catalog } from '@scanopy/detection';
import type { Kdb } from '../../db/client.ts';
import { anyOf, entitySpec, tagIds, variantOf, type EntityEb, type Row } from '../../db/entity-repository.ts';
import { compiledOnce } from '../../db/compiled-once.ts';
import { freshId } from '../../db/fresh-id.ts';
import type { Json } from '../../db/schema.ts';
import { AppError } from '../../http/errors.ts';
import { portTypeOf } from './port-types.ts';

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
    // v0.17 name of interface_id (an IP address on the host), sent beside it.
    't.interface_id as ip_address_id',
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

// A page's children, one query per child type (bindings are found through their services' host). Their shape never
// changes, so each is compiled once (db/compiled-once.ts).
const childrenOfHosts = {
  interfaces: compiledOnce((db: Kdb, ids: string[]) =>
    db
      .selectFrom('interfaces as t')
      .select(interfaceSelect)
      .where(anyOf('t.host_id', ids))
      .orderBy('t.position')
      .orderBy('t.id'),
  ),
  ports: compiledOnce((db: Kdb, ids: string[]) =>
    db
      .selectFrom('ports as t')
      .select(portSelect())
      .where(anyOf('t.host_id', ids))
      .orderBy('t.port_number')
      .orderBy('t.protocol'),
  ),
  services: compiledOnce((db: Kdb, ids: string[]) =>
    db
      .selectFrom('services as t')
      .select(serviceSelect)
      .where(anyOf('t.host_id', ids))
      .orderBy('t.position')
      .orderBy('t.id'),
  ),
  bindings: compiledOnce((db: Kdb, ids: string[]) =>
    db
      .selectFrom('bindings as t')
      .innerJoin('services as s', 's.id', 't.service_id')
      .select(bindingSelect())
      .where(anyOf('s.host_id', ids))
      .orderBy('t.created_at')
      .orderBy('t.id'),
  ),
};

/** Embeds children in a page of hosts with one query per child type, never one per host. */
export async function hydrateHosts(db: Kdb, hosts: Row[]): Promise<Row[]> {
  if (!hosts.length) return hosts;
  const ids = hosts.map((h) => h.id as string);
  // Four independent queries, so one round trip in all.
  const [ifaces, ports, services, bindings] = await Promise.all([
    childrenOfHosts.interfaces(db, ids),
    childrenOfHosts.ports(db, ids),
    childrenOfHosts.services(db, ids),
    childrenOfHosts.bindings(db, ids),
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
    // v0.17 name of the same list; v0.17's `interfaces` (ifTable rows) is not served, v0.14's meaning wins.
    ip_addresses: gi.get(h.id) ?? [],
    ports: gp.get(h.id) ?? [],
    services: gs.get(h.id) ?? [],
    if_entries: [],
  }));
}

export const hostSpec = entitySpec({
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
  filters: {
    network_id: 'network_id',
    ids: 'id',
    tag_ids: 'id',
    hidden: 'hidden',
    virtualized: () => sql<boolean>`(t.virtualization IS NOT NULL)`,
  },
  search: ['name', 'hostname', 'description'],
  fieldValues: {
    name: 'name',
    hostname: 'hostname',
    network_id: 'network_id',
    source: () => variantOf('source'),
    hidden: 'hidden',
    virtualization: () => variantOf('virtualization'),
  },
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
});

export const interfaceSpec = entitySpec({
  table: 'interfaces',
  scope: 'network',
  select: interfaceSelect,
  filters: { network_id: 'network_id', host_id: 'host_id', subnet_id: 'subnet_id', ids: 'id' },
  // Positions stay 0..n-1 per host after deletes.
  afterDelete: async (db, deleted) => {
    for (const hostId of new Set(deleted.map((r) => r.host_id as string)))
      await renumberInterfaces(db, hostId);
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
});

export const portSpec = entitySpec({
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
});

/**
 * Definition name -> category, bound as one JSON parameter: the category is the catalog's, not a column, so the
 * `category` filter looks it up per row. Names outside the catalog (custom definitions) are Unknown, as in the topology.
 */
const CATEGORY_BY_DEFINITION = JSON.stringify(Object.fromEntries(catalog.map((d) => [d.name, d.category])));
const serviceCategory = () =>
  sql<string>`coalesce(${CATEGORY_BY_DEFINITION}::jsonb ->> ${sql.ref('t.service_definition')}, 'Unknown')`;

export const serviceSpec = entitySpec({
  table: 'services',
  scope: 'network',
  tagType: 'Service',
  select: serviceSelect,
  filters: {
    network_id: 'network_id',
    host_id: 'host_id',
    ids: 'id',
    tag_ids: 'id',
    category: serviceCategory,
  },
  search: ['name', 'service_definition'],
  fieldValues: {
    name: 'name',
    service_definition: 'service_definition',
    host_id: 'host_id',
    network_id: 'network_id',
    source: () => variantOf('source'),
    virtualization: () => variantOf('virtualization'),
  },
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
});

export const bindingSpec = entitySpec({
  table: 'bindings',
  scope: 'network',
  select: bindingSelect,
  filters: {
    network_id: 'network_id',
    service_id: 'service_id',
    port_id: 'port_id',
    interface_id: 'interface_id',
    // v0.17 name of the interface_id filter.
    ip_address_id: 'interface_id',
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
});

/** Moves one interface to a position (or just closes gaps) so a host's interfaces are numbered 0..n-1. */
export async function renumberInterfaces(on: Kdb, hostId: string, move?: { id: string; position: number }) {
  const rows = await on
    .selectFrom('interfaces')
    .select('id')
    .where('host_id', '=', hostId)
    .orderBy('position')
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  const ids = rows.map((r) => r.id).filter((id) => id !== move?.id);
  if (move) ids.splice(Math.min(move.position, ids.length), 0, move.id);
  for (const [position, id] of ids.entries()) {
    await on
      .updateTable('interfaces')
      .set({ position })
      .where('id', '=', id)
      .where('position', '<>', position)
      .execute();
  }
}

const json = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));
const macaddr = (mac: string | null) => sql<string | null>`${mac}::macaddr`;
const inet = (ip: string) => sql<string>`${ip}::inet`;
/** The next position among a host's interfaces or services. */
const nextPosition = (table: 'interfaces' | 'services', hostId: string) =>
  sql<number>`(SELECT COALESCE(max(position) + 1, 0) FROM ${sql.table(table)} WHERE host_id = ${hostId})`;

export interface NewHostRow {
  id: string;
  network_id: string;
  name: string;
  hostname: string | null;
  description: string | null;
  source: unknown;
  virtualization: unknown;
  hidden: boolean;
}
export interface InterfaceRow {
  subnet_id: string;
  ip_address: string;
  mac_address: string | null;
  name: string | null;
}
export interface ServiceRow {
  name: string;
  service_definition: string;
  source?: unknown;
  virtualization?: unknown;
}
export interface BindingRow {
  type: 'Interface' | 'Port';
  interface_id: string | null;
  port_id: string | null;
}
/** A stored binding as the write rules see it. */
export interface StoredBinding extends BindingRow {
  id: string;
}
export type ChildTable = 'interfaces' | 'ports' | 'services';

/**
 * The only SQL of hosts and their children (interfaces, ports, services, bindings): manual writes, consolidation and
 * daemon ingestion all go through here. Every method takes the transaction it runs in.
 */
export class HostsRepository {
  constructor(private readonly db: Kdb) {}

  transaction<T>(fn: (trx: Kdb) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }

  /**
   * Serializes host writes per network for the rest of the transaction: manual creates, consolidation and daemon
   * reports take the same lock, so two writers can never both add the same host.
   */
  async lockNetwork(trx: Kdb, networkId: string): Promise<void> {
    await sql`SELECT pg_advisory_xact_lock(hashtext(${`ingest:${networkId}`}))`.execute(trx);
  }

  freshId(on: Kdb, table: ChildTable | 'bindings' | 'hosts', id?: string | null): Promise<string> {
    return freshId(on, table, id);
  }

  // ---- hosts

  async insertHost(on: Kdb, h: NewHostRow): Promise<void> {
    await on
      .insertInto('hosts')
      .values({
        id: h.id,
        network_id: h.network_id,
        name: h.name,
        hostname: h.hostname,
        description: h.description,
        source: json(h.source) as Json,
        virtualization: json(h.virtualization) as Json,
        hidden: h.hidden,
      })
      .execute();
  }

  /** The network of a host among `networkIds`, or undefined. */
  async visibleNetworkOf(on: Kdb, hostId: string, networkIds: string[]): Promise<string | undefined> {
    const row = await on
      .selectFrom('hosts')
      .select('network_id')
      .where('id', '=', hostId)
      .where(anyOf('network_id', networkIds))
      .executeTakeFirst();
    return row?.network_id;
  }

  async hostById(on: Kdb, id: string) {
    return on.selectFrom('hosts').select(['id', 'network_id']).where('id', '=', id).executeTakeFirst();
  }

  /** Locks the host row; `same` tells whether updated_at equals `expected` to the millisecond clients see. */
  async lockHostForUpdate(on: Kdb, id: string, expected: string | null) {
    return on
      .selectFrom('hosts')
      .select([
        sql<
          boolean | null
        >`date_trunc('milliseconds', updated_at) = date_trunc('milliseconds', ${expected}::timestamptz)`.as(
          'same',
        ),
        'name',
        'hostname',
        'description',
      ])
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirstOrThrow();
  }

  /** A user's edit: `edited` joins the host's edited_fields, which discovery never overwrites. */
  async updateHostByUser(
    on: Kdb,
    id: string,
    f: { name: string; hostname: string | null; description: string | null; hidden: boolean },
    virtualization: { set: boolean; value: unknown },
    edited: string[],
  ): Promise<void> {
    await on
      .updateTable('hosts')
      .set({
        name: f.name,
        hostname: f.hostname,
        description: f.description,
        hidden: f.hidden,
        ...(virtualization.set ? { virtualization: json(virtualization.value) as Json } : {}),
        edited_fields: sql<
          string[]
        >`ARRAY(SELECT DISTINCT unnest(edited_fields || ${edited}::text[]) ORDER BY 1)`,
        updated_at: sql`now()`,
      })
      .where('id', '=', id)
      .execute();
  }

  /**
   * The host a discovery merges into, locked. `placeholder`: the host made at daemon registration that no report
   * has filled yet (no interfaces, never updated, never edited).
   */
  async lockHostForMerge(on: Kdb, id: string) {
    return on
      .selectFrom('hosts')
      .select([
        'source',
        sql<boolean>`(created_at = updated_at AND NOT EXISTS (SELECT 1 FROM interfaces WHERE host_id = hosts.id)
          AND EXISTS (SELECT 1 FROM daemons WHERE host_id = hosts.id) AND edited_fields = '{}')`.as(
          'placeholder',
        ),
      ])
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirstOrThrow();
  }

  /** Discovery fills only empty fields the user did not edit; the name changes only on a placeholder. */
  async mergeHostFields(
    on: Kdb,
    id: string,
    f: { hostname: string | null; description: string | null; source: unknown; name: string | null },
  ): Promise<void> {
    await on
      .updateTable('hosts')
      .set((eb) => ({
        hostname: sql<string | null>`CASE WHEN 'hostname' = ANY(edited_fields) THEN hostname
          ELSE COALESCE(hostname, ${f.hostname}) END`,
        description: sql<string | null>`CASE WHEN 'description' = ANY(edited_fields) THEN description
          ELSE COALESCE(description, ${f.description}) END`,
        source: json(f.source) as Json,
        name: f.name ?? eb.ref('name'),
        updated_at: sql`now()`,
      }))
      .where('id', '=', id)
      .execute();
  }

  /** The name of a daemon running on the host, if any. */
  async daemonOn(on: Kdb, hostId: string): Promise<string | undefined> {
    const d = await on
      .selectFrom('daemons')
      .select('name')
      .where('host_id', '=', hostId)
      .limit(1)
      .executeTakeFirst();
    return d ? (d.name ?? 'unnamed') : undefined;
  }

  /** The name of a host of the network with this (subnet, IP) or MAC on any interface. */
  async hostWithAddress(on: Kdb, networkId: string, subnetId: string, ip: string, mac: string | null) {
    const row = await on
      .selectFrom('interfaces as i')
      .innerJoin('hosts as h', 'h.id', 'i.host_id')
      .select('h.name')
      .where('i.network_id', '=', networkId)
      .where((eb) =>
        eb.or([
          eb.and([eb('i.subnet_id', '=', subnetId), eb('i.ip_address', '=', inet(ip))]),
          eb('i.mac_address', '=', macaddr(mac)),
        ]),
      )
      .limit(1)
      .executeTakeFirst();
    return row?.name;
  }

  /** The host of the oldest interface of the network matching (subnet, IP), MAC or id. */
  async hostOfInterface(
    on: Kdb,
    networkId: string,
    i: { id: string; subnet_id: string; ip_address: string; mac: string | null },
  ): Promise<string | undefined> {
    const row = await on
      .selectFrom('interfaces')
      .select('host_id')
      .where('network_id', '=', networkId)
      .where((eb) =>
        eb.or([
          eb.and([eb('subnet_id', '=', i.subnet_id), eb('ip_address', '=', inet(i.ip_address))]),
          ...(i.mac ? [eb('mac_address', '=', macaddr(i.mac))] : []),
          eb('id', '=', i.id),
        ]),
      )
      .orderBy('created_at')
      .limit(1)
      .executeTakeFirst();
    return row?.host_id;
  }

  /** Fills the destination's empty fields from the other host and gives it the other's host tags. */
  async absorbHostFields(on: Kdb, destId: string, otherId: string): Promise<void> {
    await sql`UPDATE hosts d SET hostname = COALESCE(d.hostname, o.hostname),
        description = COALESCE(d.description, o.description), updated_at = now()
      FROM hosts o WHERE d.id = ${destId} AND o.id = ${otherId}`.execute(on);
    await on
      .insertInto('entity_tags')
      .columns(['entity_id', 'entity_type', 'tag_id'])
      .expression((eb) =>
        eb
          .selectFrom('entity_tags')
          .select([sql<string>`${destId}::uuid`.as('entity_id'), 'entity_type', 'tag_id'])
          .where('entity_id', '=', otherId)
          .where('entity_type', '=', 'Host'),
      )
      .onConflict((oc) => oc.doNothing())
      .execute();
  }

  /** Deletes a host with its tag links (its children go by cascade; their tags must be removed first). */
  async deleteHost(on: Kdb, id: string): Promise<void> {
    await on.deleteFrom('entity_tags').where('entity_id', '=', id).execute();
    await on.deleteFrom('hosts').where('id', '=', id).execute();
  }

  // ---- children in general

  async childIds(on: Kdb, table: ChildTable, hostId: string): Promise<Set<string>> {
    const rows = await on.selectFrom(table).select('id').where('host_id', '=', hostId).execute();
    return new Set(rows.map((r) => r.id));
  }

  /** Deletes the host's children of one kind not in `keep`; returns the deleted ids. */
  async deleteChildrenExcept(on: Kdb, table: ChildTable, hostId: string, keep: string[]): Promise<string[]> {
    let q = on.deleteFrom(table).where('host_id', '=', hostId);
    if (keep.length) q = q.where('id', 'not in', keep);
    return (await q.returning('id').execute()).map((r) => r.id);
  }

  /** The interfaces and ports of a host: the only things its services may bind to. */
  async bindTargets(on: Kdb, hostId: string) {
    return { ifaces: await this.childIds(on, 'interfaces', hostId), ports: await this.portIds(on, hostId) };
  }

  private async portIds(on: Kdb, hostId: string) {
    return this.childIds(on, 'ports', hostId);
  }

  // ---- subnets, as interfaces need them

  /** Whether the address lies in the CIDR. */
  async contains(on: Kdb, cidr: string, ip: string): Promise<boolean> {
    const r = await sql<{ inside: boolean }>`SELECT ${ip}::inet <<= ${cidr}::cidr AS inside`.execute(on);
    return r.rows[0].inside;
  }

  /** How many of these subnet ids are subnets of the network. */
  async countSubnets(on: Kdb, networkId: string, ids: string[]): Promise<number> {
    const r = await on
      .selectFrom('subnets')
      .select(sql<number>`count(*)::int`.as('n'))
      .where(anyOf('id', ids))
      .where('network_id', '=', networkId)
      .executeTakeFirstOrThrow();
    return r.n;
  }

  async subnetCidr(on: Kdb, subnetId: string): Promise<string> {
    const r = await on
      .selectFrom('subnets')
      .select(sql<string>`cidr::text`.as('cidr'))
      .where('id', '=', subnetId)
      .executeTakeFirstOrThrow();
    return r.cidr;
  }

  // ---- interfaces

  async interfaceTaken(
    on: Kdb,
    hostId: string,
    i: { subnet_id: string; ip_address: string },
    exceptId: string | null,
  ): Promise<boolean> {
    let q = on
      .selectFrom('interfaces')
      .select('id')
      .where('host_id', '=', hostId)
      .where('subnet_id', '=', i.subnet_id)
      .where('ip_address', '=', inet(i.ip_address));
    if (exceptId) q = q.where('id', '<>', exceptId);
    return (await q.executeTakeFirst()) !== undefined;
  }

  /** Inserts an interface at `position`, or after the host's last one. */
  async insertInterface(
    on: Kdb,
    id: string,
    host: { id: string; network_id: string },
    i: InterfaceRow,
    position: number | null,
  ): Promise<void> {
    await on
      .insertInto('interfaces')
      .values({
        id,
        host_id: host.id,
        network_id: host.network_id,
        subnet_id: i.subnet_id,
        ip_address: inet(i.ip_address),
        mac_address: macaddr(i.mac_address),
        name: i.name,
        position: position ?? nextPosition('interfaces', host.id),
      })
      .execute();
  }

  /**
   * Updates an interface. A MAC, once known, identifies the interface: it is never overwritten. `keepName` keeps a
   * stored name (discovery fills only empty fields).
   */
  async updateInterface(
    on: Kdb,
    id: string,
    i: InterfaceRow,
    opts: { position?: number; keepName?: boolean } = {},
  ): Promise<void> {
    await on
      .updateTable('interfaces')
      .set((eb) => ({
        subnet_id: i.subnet_id,
        ip_address: inet(i.ip_address),
        mac_address: eb.fn.coalesce('mac_address', macaddr(i.mac_address)),
        name: opts.keepName ? eb.fn.coalesce('name', sql<string | null>`${i.name}`) : i.name,
        ...(opts.position !== undefined ? { position: opts.position } : {}),
        updated_at: sql`now()`,
      }))
      .where('id', '=', id)
      .execute();
  }

  /** The host's interface a discovered one is: same id, else same (subnet, IP), else same MAC. */
  async matchInterface(
    on: Kdb,
    hostId: string,
    i: { id: string; subnet_id: string; ip_address: string; mac: string | null },
  ): Promise<string | undefined> {
    const sameAddress = sql<boolean>`(subnet_id = ${i.subnet_id} AND ip_address = ${i.ip_address}::inet)`;
    const row = await on
      .selectFrom('interfaces')
      .select('id')
      .where('host_id', '=', hostId)
      .where((eb) =>
        eb.or([eb('id', '=', i.id), sameAddress, ...(i.mac ? [eb('mac_address', '=', macaddr(i.mac))] : [])]),
      )
      .orderBy(sql`(id = ${i.id})`, 'desc')
      .orderBy(sameAddress, 'desc')
      .limit(1)
      .executeTakeFirst();
    return row?.id;
  }

  /** A host's interfaces as consolidation compares them. */
  async interfacesOf(on: Kdb, hostId: string) {
    return on
      .selectFrom('interfaces')
      .select([
        'id',
        'subnet_id',
        sql<string>`host(ip_address)`.as('ip'),
        sql<string | null>`mac_address::text`.as('mac'),
      ])
      .where('host_id', '=', hostId)
      .execute();
  }

  /** Moves an interface to another host, after that host's own ones (renumber afterwards). */
  async moveInterface(on: Kdb, id: string, hostId: string): Promise<void> {
    await on
      .updateTable('interfaces')
      .set((eb) => ({ host_id: hostId, position: eb('position', '+', 1_000_000), updated_at: sql`now()` }))
      .where('id', '=', id)
      .execute();
  }

  // ---- ports

  async portTaken(
    on: Kdb,
    hostId: string,
    pt: { number: number; protocol: string },
    exceptId: string | null,
  ): Promise<boolean> {
    let q = on
      .selectFrom('ports')
      .select('id')
      .where('host_id', '=', hostId)
      .where('port_number', '=', pt.number)
      .where('protocol', '=', pt.protocol);
    if (exceptId) q = q.where('id', '<>', exceptId);
    return (await q.executeTakeFirst()) !== undefined;
  }

  /** The port type always follows number and protocol, so a client cannot label port 8000 as "Ssh". */
  async insertPort(
    on: Kdb,
    id: string,
    host: { id: string; network_id: string },
    pt: { number: number; protocol: string },
  ): Promise<void> {
    await on
      .insertInto('ports')
      .values({
        id,
        host_id: host.id,
        network_id: host.network_id,
        port_number: pt.number,
        protocol: pt.protocol,
        port_type: portTypeOf(pt.number, pt.protocol as 'Tcp' | 'Udp'),
      })
      .execute();
  }

  async updatePort(on: Kdb, id: string, pt: { number: number; protocol: string }): Promise<void> {
    await on
      .updateTable('ports')
      .set({
        port_number: pt.number,
        protocol: pt.protocol,
        port_type: portTypeOf(pt.number, pt.protocol as 'Tcp' | 'Udp'),
        updated_at: sql`now()`,
      })
      .where('id', '=', id)
      .execute();
  }

  /** The host's port with this id, else with this number and protocol. */
  async matchPort(on: Kdb, hostId: string, pt: { id: string; number: number; protocol: string }) {
    const row = await on
      .selectFrom('ports')
      .select('id')
      .where('host_id', '=', hostId)
      .where((eb) =>
        eb.or([
          eb('id', '=', pt.id),
          eb.and([eb('port_number', '=', pt.number), eb('protocol', '=', pt.protocol)]),
        ]),
      )
      .limit(1)
      .executeTakeFirst();
    return row?.id;
  }

  async portsOf(on: Kdb, hostId: string) {
    return on
      .selectFrom('ports')
      .select(['id', 'port_number', 'protocol'])
      .where('host_id', '=', hostId)
      .execute();
  }

  async movePort(on: Kdb, id: string, hostId: string): Promise<void> {
    await on
      .updateTable('ports')
      .set({ host_id: hostId, updated_at: sql`now()` })
      .where('id', '=', id)
      .execute();
  }

  // ---- services

  /** The host and network of a service, whoever asks (its visibility was checked through its own row). */
  async serviceOwner(on: Kdb, id: string) {
    return on
      .selectFrom('services')
      .select(['id', 'host_id', 'network_id'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
  }

  /** Inserts a service at `position`, or after the host's last one. */
  async insertService(
    on: Kdb,
    id: string,
    host: { id: string; network_id: string },
    s: ServiceRow,
    position: number | null,
  ): Promise<void> {
    await on
      .insertInto('services')
      .values({
        id,
        host_id: host.id,
        network_id: host.network_id,
        name: s.name,
        service_definition: s.service_definition,
        position: position ?? nextPosition('services', host.id),
        source: json(s.source ?? { type: 'Manual' }) as Json,
        virtualization: json(s.virtualization) as Json,
      })
      .execute();
  }

  /** A user's update of a service; virtualization changes only when given. */
  async updateService(
    on: Kdb,
    id: string,
    s: { name: string; service_definition: string; position: number | null },
    virtualization: { set: boolean; value: unknown },
  ): Promise<void> {
    await on
      .updateTable('services')
      .set((eb) => ({
        name: s.name,
        service_definition: s.service_definition,
        position: s.position ?? eb.ref('position'),
        ...(virtualization.set ? { virtualization: json(virtualization.value) as Json } : {}),
        updated_at: sql`now()`,
      }))
      .where('id', '=', id)
      .execute();
  }

  /** Discovery's update of a service it matched: new source and virtualization. */
  async updateServiceDiscovery(on: Kdb, id: string, source: unknown, virtualization: unknown): Promise<void> {
    await on
      .updateTable('services')
      .set({
        source: json(source) as Json,
        virtualization: json(virtualization) as Json,
        updated_at: sql`now()`,
      })
      .where('id', '=', id)
      .execute();
  }

  /** A host's services with their bindings, in position order. */
  async servicesWithBindings(on: Kdb, hostId: string) {
    const rows = await on
      .selectFrom('services')
      .select(['id', 'name', 'service_definition', 'source', 'virtualization'])
      .where('host_id', '=', hostId)
      .orderBy('position')
      .orderBy('id')
      .execute();
    const bindings = await on
      .selectFrom('bindings as b')
      .innerJoin('services as s', 's.id', 'b.service_id')
      .select(['b.id', 'b.service_id', 'b.binding_type', 'b.interface_id', 'b.port_id'])
      .where('s.host_id', '=', hostId)
      .orderBy('b.created_at')
      .orderBy('b.id')
      .execute();
    return rows.map((r) => ({
      ...r,
      source: r.source as Record<string, unknown>,
      virtualization: r.virtualization as Record<string, unknown> | null,
      bindings: bindings.filter((b) => b.service_id === r.id).map((b) => ({ id: b.id, ...asBinding(b) })),
    }));
  }

  async moveService(on: Kdb, id: string, hostId: string, position: number): Promise<void> {
    await on
      .updateTable('services')
      .set({ host_id: hostId, position, updated_at: sql`now()` })
      .where('id', '=', id)
      .execute();
  }

  /** Deletes services with their tag links (tag rows are polymorphic, without a foreign key). */
  async deleteServices(on: Kdb, ids: string[]): Promise<void> {
    if (!ids.length) return;
    await on
      .deleteFrom('entity_tags')
      .where('entity_type', '=', 'Service')
      .where(anyOf('entity_id', ids))
      .execute();
    await on.deleteFrom('services').where(anyOf('id', ids)).execute();
  }

  // ---- bindings

  async bindingsOf(on: Kdb, serviceId: string, exceptId?: string): Promise<StoredBinding[]> {
    let q = on
      .selectFrom('bindings')
      .select(['id', 'binding_type', 'interface_id', 'port_id'])
      .where('service_id', '=', serviceId);
    if (exceptId) q = q.where('id', '<>', exceptId);
    const rows = await q.orderBy('created_at').orderBy('id').execute();
    return rows.map((b) => ({ id: b.id, ...asBinding(b) }));
  }

  async insertBinding(on: Kdb, id: string, svc: { id: string; network_id: string }, b: BindingRow) {
    await on
      .insertInto('bindings')
      .values({
        id,
        service_id: svc.id,
        network_id: svc.network_id,
        binding_type: b.type,
        interface_id: b.interface_id,
        port_id: b.type === 'Port' ? b.port_id : null,
      })
      .execute();
  }

  async updateBinding(on: Kdb, id: string, b: BindingRow): Promise<void> {
    await on
      .updateTable('bindings')
      .set({ binding_type: b.type, interface_id: b.interface_id, port_id: b.port_id, updated_at: sql`now()` })
      .where('id', '=', id)
      .execute();
  }

  async deleteBindings(on: Kdb, ids: string[]): Promise<void> {
    if (ids.length) await on.deleteFrom('bindings').where(anyOf('id', ids)).execute();
  }

  /** Deletes the service's bindings not in `keep`. */
  async deleteBindingsExcept(on: Kdb, serviceId: string, keep: string[]): Promise<void> {
    let q = on.deleteFrom('bindings').where('service_id', '=', serviceId);
    if (keep.length) q = q.where('id', 'not in', keep);
    await q.execute();
  }

  /** Points every binding on one interface (or port) at another (consolidation). */
  async retargetBindings(on: Kdb, column: 'interface_id' | 'port_id', from: string, to: string) {
    await on
      .updateTable('bindings')
      .set({ [column]: to })
      .where(column, '=', from)
      .execute();
  }

  async moveBinding(on: Kdb, id: string, serviceId: string): Promise<void> {
    await on
      .updateTable('bindings')
      .set({ service_id: serviceId, updated_at: sql`now()` })
      .where('id', '=', id)
      .execute();
  }

  /** Groups that listed a duplicate binding keep their place by pointing at the surviving one. */
  async repointGroupBindings(on: Kdb, from: string, to: string): Promise<void> {
    await on
      .updateTable('group_bindings as gb')
      .set({ binding_id: to })
      .where('gb.binding_id', '=', from)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('group_bindings as x')
              .select('x.binding_id')
              .whereRef('x.group_id', '=', 'gb.group_id')
              .where('x.binding_id', '=', to),
          ),
        ),
      )
      .execute();
  }

  /** Dependencies that listed a merged-away service (Services members) keep their place with the surviving one. */
  async repointGroupServices(on: Kdb, from: string, to: string): Promise<void> {
    await on
      .updateTable('group_services as gs')
      .set({ service_id: to })
      .where('gs.service_id', '=', from)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('group_services as x')
              .select('x.service_id')
              .whereRef('x.group_id', '=', 'gs.group_id')
              .where('x.service_id', '=', to),
          ),
        ),
      )
      .execute();
  }
}

function asBinding(b: { binding_type: string; interface_id: string | null; port_id: string | null }) {
  const type = b.binding_type as BindingRow['type'];
  return { type, interface_id: b.interface_id, port_id: type === 'Port' ? b.port_id : null };
}
