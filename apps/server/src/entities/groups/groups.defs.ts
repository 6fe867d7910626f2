import { Type, type Static } from 'typebox';
import {
  Color,
  Description,
  EntitySource,
  Name,
  Nullable,
  entityMeta,
  echoedMeta,
  strict,
} from '@scanopy/contracts';
import type { Kdb } from '../../db/client.ts';
import type { EntityDef } from '../../http/crud.ts';
import { entitySpec, tagIds, variantOf } from '../../db/entity-repository.ts';
import { Uuid, UuidArray } from '../../http/schemas.ts';

type Row = Record<string, unknown>;

export const GroupType = Type.Enum(['RequestPath', 'HubAndSpoke']);
export const EdgeStyle = Type.Enum(['Straight', 'SmoothStep', 'Step', 'Bezier', 'SimpleBezier']);

export const Group = Type.Object({
  ...entityMeta,
  network_id: Uuid,
  name: Type.String(),
  description: Type.Optional(Nullable(Type.String())),
  group_type: GroupType,
  color: Color,
  edge_style: EdgeStyle,
  source: EntitySource,
  binding_ids: Type.Array(Uuid),
  tags: Type.Array(Uuid),
});

export const GroupRequest = Type.Object(
  {
    ...echoedMeta,
    network_id: Uuid,
    name: Name,
    description: Type.Optional(Nullable(Description)),
    group_type: GroupType,
    color: Color,
    edge_style: Type.Optional(EdgeStyle),
    // Echoed by the UI; the server keeps its own.
    source: Type.Optional(Type.Unknown()),
    binding_ids: Type.Optional(Type.Array(Uuid, { maxItems: 1000 })),
    tags: Type.Optional(Type.Array(Uuid, { maxItems: 1000 })),
  },
  strict,
);
export type GroupRequest = Static<typeof GroupRequest>;

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

export const groupDef: EntityDef<'groups'> = {
  name: 'Group',
  path: 'groups',
  filterSchema: { network_id: Uuid, ids: UuidArray, tag_ids: UuidArray },
  csvFile: 'Groups',
  schema: Group,
  access: { read: 'viewer', write: 'member' },
  spec: entitySpec({
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
  }),
};
