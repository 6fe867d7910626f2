import { Type, type Static, type TSchema } from 'typebox';
import { Uuid } from './common.ts';
import { ErrorCode } from './errors.ts';

export const ApiMeta = Type.Object({
  api_version: Type.Integer({ minimum: 0 }),
  server_version: Type.String(),
});
export type ApiMeta = Static<typeof ApiMeta>;

export const PaginationMeta = Type.Object({
  total_count: Type.Integer({ minimum: 0 }),
  limit: Type.Integer({ minimum: 0 }),
  offset: Type.Integer({ minimum: 0 }),
  has_more: Type.Boolean(),
});
export type PaginationMeta = Static<typeof PaginationMeta>;

/** One distinct value of a field and how many rows have it (GET …/field-values/{field}, v0.17). */
export const GroupCount = Type.Object({
  value: Type.Union([Type.String(), Type.Null()]),
  count: Type.Integer({ minimum: 0 }),
});
export type GroupCount = Static<typeof GroupCount>;

export const PaginatedApiMeta = Type.Object({ ...ApiMeta.properties, pagination: PaginationMeta });
export type PaginatedApiMeta = Static<typeof PaginatedApiMeta>;

export const ApiResponse = <T extends TSchema>(data: T) =>
  Type.Object({ success: Type.Literal(true), data, meta: ApiMeta });

export const PaginatedResponse = <T extends TSchema>(item: T) =>
  Type.Object({ success: Type.Literal(true), data: Type.Array(item), meta: PaginatedApiMeta });

/** For endpoints whose payload is `null` (delete, logout, daemon acks). */
export const NullResponse = ApiResponse(Type.Null());
export type NullResponse = Static<typeof NullResponse>;

export const ApiErrorResponse = Type.Object({
  success: Type.Literal(false),
  error: Type.String(),
  code: Type.Optional(ErrorCode),
  params: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  meta: ApiMeta,
});
export type ApiErrorResponse = Static<typeof ApiErrorResponse>;

/** Body of every `POST …/bulk-delete`; emptiness is checked by the server (code validation_bulk_empty). */
export const BulkDeleteRequest = Type.Array(Uuid);
export type BulkDeleteRequest = Static<typeof BulkDeleteRequest>;

export const BulkDeleteResponse = Type.Object({
  deleted_count: Type.Integer({ minimum: 0 }),
  requested_count: Type.Integer({ minimum: 0 }),
});
export type BulkDeleteResponse = Static<typeof BulkDeleteResponse>;

export const OrderDirection = Type.Enum(['asc', 'desc']);
export type OrderDirection = Static<typeof OrderDirection>;

/**
 * Query string of list endpoints. Not strict: the reference ignores unknown query parameters.
 * `limit` 0 means "all"; the server caps larger values at 1000 rather than rejecting them.
 */
export const ListQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 0, default: 50 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
  order_by: Type.Optional(Type.String()),
  order_direction: Type.Optional(OrderDirection),
  network_id: Type.Optional(Uuid),
  ids: Type.Optional(Type.Array(Uuid)),
  tag_ids: Type.Optional(Type.Array(Uuid)),
  host_id: Type.Optional(Uuid),
  subnet_id: Type.Optional(Uuid),
  service_id: Type.Optional(Uuid),
  port_id: Type.Optional(Uuid),
  interface_id: Type.Optional(Uuid),
});
export type ListQuery = Static<typeof ListQuery>;
