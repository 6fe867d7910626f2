import { Type, type TSchema } from 'typebox';
import { IdParams, Uuid, UuidArray } from '@scanopy/contracts';
import type { ListQuery } from '../db/entity-repository.ts';

/** Route-level schema helpers shared by every entity (wire shapes themselves come from @scanopy/contracts). */

// The contracts' id schemas, re-exported so path and filter schemas come from the same module as the helpers.
export { IdParams, Uuid, UuidArray };

const Meta = Type.Object({ api_version: Type.Integer(), server_version: Type.String() });
const PageMeta = Type.Object({
  api_version: Type.Integer(),
  server_version: Type.String(),
  pagination: Type.Object({
    total_count: Type.Integer(),
    limit: Type.Integer(),
    offset: Type.Integer(),
    has_more: Type.Boolean(),
  }),
});

export const ItemResponse = (t: TSchema) => Type.Object({ success: Type.Boolean(), data: t, meta: Meta });
export const ListResponse = (t: TSchema) =>
  Type.Object({ success: Type.Boolean(), data: Type.Array(t), meta: PageMeta });

/** The `search` list parameter: rows whose searchable columns contain it, case-insensitively. */
export const Search = Type.String({ maxLength: 200 });

export const BulkDeleteBody = Type.Array(Uuid, { maxItems: 10000 });
export const BulkDeleteResponse = Type.Object({
  deleted_count: Type.Integer(),
  requested_count: Type.Integer(),
});

/** A list query string: paging, ordering and the entity's own filters; array filters are repeated keys. */
export function listQuery(filters: Record<string, TSchema>, orderFields: string[]) {
  // The JSON schema is exact per entity; handlers see the shape every list query shares.
  return Type.Unsafe<ListQuery>(listQueryObject(filters, orderFields));
}

function listQueryObject(filters: Record<string, TSchema>, orderFields: string[]) {
  return Type.Object({
    limit: Type.Optional(Type.Integer({ minimum: 0, default: 50 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
    ...(orderFields.length
      ? {
          order_by: Type.Optional(Type.Union(orderFields.map((f) => Type.Literal(f)))),
          order_direction: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')])),
        }
      : {}),
    ...Object.fromEntries(Object.entries(filters).map(([k, s]) => [k, Type.Optional(s)])),
  });
}
