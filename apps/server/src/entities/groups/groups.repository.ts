import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Kdb } from '../../db/client.ts';
import { anyOf, entitySpec, tagIds, variantOf, type Row } from '../../db/entity-repository.ts';
import { freshId } from '../../db/fresh-id.ts';

/**
 * The members of a page of groups: binding_ids (v0.14) and members (v0.17). A Bindings group lists its own bindings;
 * a Services group lists its services, and its binding_ids are those services' bindings in member order, so v0.14
 * clients and the topology see the same edges either way.
 */
async function groupMembers(db: Kdb, rows: Row[]) {
  const ids = rows.map((r) => r.id as string);
  const [links, services, serviceBindings] = await Promise.all([
    db
      .selectFrom('group_bindings')
      .select(['group_id', 'binding_id'])
      .where(anyOf('group_id', ids))
      .orderBy('position')
      .execute(),
    db
      .selectFrom('group_services')
      .select(['group_id', 'service_id'])
      .where(anyOf('group_id', ids))
      .orderBy('position')
      .execute(),
    db
      .selectFrom('group_services as gs')
      .innerJoin('bindings as b', 'b.service_id', 'gs.service_id')
      .select(['gs.group_id', 'b.id as binding_id'])
      .where(anyOf('gs.group_id', ids))
      .orderBy('gs.position')
      .orderBy('b.created_at')
      .orderBy('b.id')
      .execute(),
  ]);
  const collect = <T extends { group_id: string }>(pairs: T[], pick: (pair: T) => string) => {
    const by = new Map<string, string[]>();
    for (const l of pairs) by.set(l.group_id, [...(by.get(l.group_id) ?? []), pick(l)]);
    return by;
  };
  const bindings = collect(links, (l) => l.binding_id);
  const members = collect(services, (l) => l.service_id);
  const derived = collect(serviceBindings, (l) => l.binding_id);
  return (r: Row) => {
    const id = r.id as string;
    const isServices = r.member_type === 'Services';
    return {
      binding_ids: (isServices ? derived.get(id) : bindings.get(id)) ?? [],
      members: isServices
        ? { type: 'Services', service_ids: members.get(id) ?? [] }
        : { type: 'Bindings', binding_ids: bindings.get(id) ?? [] },
    };
  };
}

async function hydrateGroups(db: Kdb, rows: Row[]): Promise<Row[]> {
  if (!rows.length) return rows;
  const of = await groupMembers(db, rows);
  // members rides along for the service's v0.14-update rules; the Group response schema leaves it out.
  return rows.map((r) => ({ ...r, ...of(r) }));
}

async function hydrateDependencies(db: Kdb, rows: Row[]): Promise<Row[]> {
  if (!rows.length) return rows;
  const of = await groupMembers(db, rows);
  return rows.map((r) => ({ ...r, members: of(r).members }));
}

export const groupSpec = entitySpec({
  table: 'groups',
  scope: 'network',
  tagType: 'Group',
  select: (eb) => [
    't.id',
    't.network_id',
    't.name',
    't.description',
    't.group_type',
    't.color',
    't.edge_style',
    't.source',
    't.member_type',
    tagIds(eb, 'Group'),
    't.created_at',
    't.updated_at',
  ],
  filters: { network_id: 'network_id', ids: 'id', tag_ids: 'id' },
  search: ['name', 'description'],
  orderFields: {
    created_at: 'created_at',
    name: 'name',
    group_type: 'group_type',
    updated_at: 'updated_at',
    network_id: 'network_id',
  },
  hydrate: hydrateGroups,
  csv: {
    columns: [
      'id',
      'name',
      'description',
      'group_type',
      'color',
      'network_id',
      'source',
      'created_at',
      'updated_at',
    ],
    exprs: { source: () => variantOf('source') },
  },
});

/** v0.17 dependencies: the same rows as groups, with `dependency_type` for group_type and `members`. */
export const dependencySpec = entitySpec({
  ...groupSpec,
  select: (eb) => [
    't.id',
    't.network_id',
    't.name',
    't.description',
    't.group_type as dependency_type',
    't.color',
    't.edge_style',
    't.source',
    't.member_type',
    tagIds(eb, 'Group'),
    't.created_at',
    't.updated_at',
  ],
  orderFields: {
    created_at: 'created_at',
    name: 'name',
    dependency_type: 'group_type',
    updated_at: 'updated_at',
    network_id: 'network_id',
  },
  hydrate: hydrateDependencies,
  csv: {
    columns: [
      'id',
      'name',
      'description',
      'dependency_type',
      'member_type',
      'color',
      'network_id',
      'source',
      'created_at',
      'updated_at',
    ],
    exprs: { source: () => variantOf('source'), dependency_type: (eb) => eb.ref('t.group_type') },
  },
});

export interface GroupFields {
  name: string;
  description: string | null;
  group_type: string;
  color: string;
  edge_style: string;
  member_type: 'Bindings' | 'Services';
}

export class GroupsRepository {
  constructor(private readonly db: Kdb) {}

  transaction<T>(fn: (trx: Kdb) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }

  async insert(on: Kdb, networkId: string, fields: GroupFields, clientId?: string): Promise<string> {
    const id = clientId ? await freshId(on, 'groups', clientId) : randomUUID();
    await on
      .insertInto('groups')
      .values({ id, network_id: networkId, ...fields, source: JSON.stringify({ type: 'Manual' }) })
      .execute();
    return id;
  }

  async update(on: Kdb, id: string, fields: GroupFields): Promise<void> {
    await on
      .updateTable('groups')
      .set({ ...fields, updated_at: sql`now()` })
      .where('id', '=', id)
      .execute();
  }

  /** How many of these bindings live on the network. */
  async countBindingsOnNetwork(on: Kdb, networkId: string, bindingIds: string[]): Promise<number> {
    if (!bindingIds.length) return 0;
    const rows = await on
      .selectFrom('bindings')
      .select('id')
      .where('id', 'in', bindingIds)
      .where('network_id', '=', networkId)
      .execute();
    return rows.length;
  }

  /** How many of these services live on the network. */
  async countServicesOnNetwork(on: Kdb, networkId: string, serviceIds: string[]): Promise<number> {
    if (!serviceIds.length) return 0;
    const rows = await on
      .selectFrom('services')
      .select('id')
      .where(anyOf('id', serviceIds))
      .where('network_id', '=', networkId)
      .execute();
    return rows.length;
  }

  /** Makes the group's ordered service list exactly `serviceIds`. */
  async replaceServices(on: Kdb, groupId: string, serviceIds: string[]): Promise<void> {
    await on.deleteFrom('group_services').where('group_id', '=', groupId).execute();
    if (serviceIds.length) {
      await on
        .insertInto('group_services')
        .values(serviceIds.map((service_id, position) => ({ group_id: groupId, service_id, position })))
        .execute();
    }
  }

  /** Makes the group's ordered binding list exactly `bindingIds`. */
  async replaceBindings(on: Kdb, groupId: string, bindingIds: string[]): Promise<void> {
    await on.deleteFrom('group_bindings').where('group_id', '=', groupId).execute();
    if (bindingIds.length) {
      await on
        .insertInto('group_bindings')
        .values(bindingIds.map((binding_id, position) => ({ group_id: groupId, binding_id, position })))
        .execute();
    }
  }
}
