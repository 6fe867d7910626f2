import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Kdb } from '../../db/client.ts';
import { entitySpec, tagIds, variantOf, type Row } from '../../db/entity-repository.ts';
import { freshId } from '../../db/fresh-id.ts';

async function hydrateGroups(db: Kdb, rows: Row[]): Promise<Row[]> {
  if (!rows.length) return rows;
  const links = await db
    .selectFrom('group_bindings')
    .select(['group_id', 'binding_id'])
    .where(
      'group_id',
      'in',
      rows.map((r) => r.id as string),
    )
    .orderBy('position')
    .execute();
  const by = new Map<string, string[]>();
  for (const l of links) by.set(l.group_id, [...(by.get(l.group_id) ?? []), l.binding_id]);
  return rows.map((r) => ({ ...r, binding_ids: by.get(r.id as string) ?? [] }));
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

export interface GroupFields {
  name: string;
  description: string | null;
  group_type: string;
  color: string;
  edge_style: string;
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
