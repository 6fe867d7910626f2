import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type TSchema } from 'typebox';
import type { Db, Queryable } from '../db/client.ts';
import type { Access, Principal } from '../auth/principal.ts';
import { page, ok } from './envelope.ts';
import { AppError, notFound } from './errors.ts';
import { pageBounds, Where } from './query.ts';
import {
  csvSelect,
  csvStream,
  exportQuery,
  fileResponse,
  keysetRows,
  sendFile,
  type CsvSpec,
} from './csv.ts';
import {
  ListResponse,
  ItemResponse,
  BulkDeleteBody,
  BulkDeleteResponse,
  IdParams,
  listQuery,
} from './schemas.ts';

type Row = Record<string, unknown>;

/** What the generic layer needs to know about an entity; entities only add what differs. */
export interface EntityDef {
  /** Display name used in messages, e.g. "Host". */
  name: string;
  /** Path segment, e.g. "hosts". */
  path: string;
  table: string;
  /**
   * network: rows carry network_id; networks: the row is a network (visible when granted); organization: rows carry
   * organization_id; owner: also user_id = caller.
   */
  scope: 'network' | 'networks' | 'organization' | 'owner';
  /** entity_tags.entity_type of taggable entities. */
  tagType?: string;
  /** SELECT list over alias `t`, producing the JSON field names. */
  columns: string;
  /** Query-string filters: param -> column expression (arrays use = ANY). */
  filters?: Record<string, string>;
  /** order_by values -> column expression. */
  orderFields?: Record<string, string>;
  /** Adds children or computed fields to a page of rows with few queries. */
  hydrate?: (db: Queryable, rows: Row[]) => Promise<Row[]>;
  /** Throws (e.g. 409) when any of these visible rows must not be deleted. */
  beforeDelete?: (db: Queryable, ids: string[]) => Promise<void>;
  /** Runs in the delete transaction with the deleted rows (e.g. to renumber siblings). */
  afterDelete?: (db: Queryable, deleted: Row[]) => Promise<void>;
  /** Item schema for responses. */
  schema: TSchema;
  /** `list` overrides `read` for the list route only (daemons may list subnets but not read one). */
  access: { read: Access; write: Access; delete?: Access; list?: Access };
  /** Extra query-string properties (schemas) for the list route. */
  filterSchema?: Record<string, TSchema>;
  /** Columns of GET /<path>/export/csv; required so a new entity never exports its full row by default. */
  csv: CsvSpec;
}

export const tagsColumn = (tagType: string) =>
  `COALESCE((SELECT array_agg(et.tag_id ORDER BY et.tag_id) FROM entity_tags et
     WHERE et.entity_id = t.id AND et.entity_type = '${tagType}'), '{}') AS tags`;

export function scopeWhere(def: EntityDef, p: Principal, w: Where): Where {
  switch (def.scope) {
    case 'network':
      // With one network (the common case) an equality lets the planner walk the (network_id, created_at, id)
      // index in order; = ANY(array) cannot promise an order.
      return p.networkIds.length === 1
        ? w.add(`t.network_id = ${w.param(p.networkIds[0])}::uuid`)
        : w.add(`t.network_id = ANY(${w.param(p.networkIds)}::uuid[])`);
    case 'networks':
      return w.add(`t.id = ANY(${w.param(p.networkIds)}::uuid[])`);
    case 'organization':
      return w.add(`t.organization_id = ${w.param(p.organizationId)}`);
    case 'owner':
      return w
        .add(`t.organization_id = ${w.param(p.organizationId)}`)
        .add(`t.user_id = ${w.param(p.kind === 'daemon' ? null : p.userId)}`);
  }
}

export interface ListQuery {
  limit?: number;
  offset?: number;
  order_by?: string;
  order_direction?: 'asc' | 'desc';
  [k: string]: unknown;
}

/** The list's WHERE over alias `t`: the caller's scope and the entity's query-string filters. */
export function filterWhere(def: EntityDef, p: Principal, q: ListQuery): Where {
  const w = scopeWhere(def, p, new Where());
  for (const [param, col] of Object.entries(def.filters ?? {})) {
    const v = q[param];
    if (v === undefined) continue;
    if (param === 'tag_ids') {
      w.add(`EXISTS (SELECT 1 FROM entity_tags et WHERE et.entity_id = t.id AND et.entity_type = '${def.tagType}'
             AND et.tag_id = ANY(${w.param(v)}::uuid[]))`);
    } else if (Array.isArray(v)) {
      // Id filters compare as uuid (their indexes apply); any other list filter compares as text.
      const items = (def.filterSchema?.[param] as { items?: { format?: string } } | undefined)?.items;
      w.add(`${col} = ANY(${w.param(v)}::${items?.format === 'uuid' ? 'uuid' : 'text'}[])`);
    } else {
      w.add(`${col} = ${w.param(v)}`);
    }
  }
  return w;
}

export async function listRows(db: Db, def: EntityDef, p: Principal, q: ListQuery, paged = true) {
  const w = filterWhere(def, p, q);
  const { limit, offset } = pageBounds(q);
  const orderCol = (q.order_by && def.orderFields?.[q.order_by]) || 't.created_at';
  const dir = q.order_direction === 'desc' ? 'DESC' : 'ASC';
  const where = w.sql();
  const params = [...w.params];
  const order = `ORDER BY ${orderCol} ${dir}, t.id ${dir}`;
  let page = '';
  if (paged && limit > 0) page = ` LIMIT ${limit} OFFSET ${offset}`;
  else if (paged && offset > 0) page = ` OFFSET ${offset}`;
  // The page is cut first, then the select list (with its per-row subqueries such as tags) runs on that page only.
  const sql = `SELECT ${def.columns} FROM (SELECT t.* FROM ${def.table} t ${where} ${order}${page}) t ${order}`;
  const [rows, [count]] = await Promise.all([
    db.query<Row>(sql, params),
    db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${def.table} t ${where}`, params),
  ]);
  const data = def.hydrate ? await def.hydrate(db, rows) : rows;
  return { data, total: count.n, limit, offset };
}

/** Loads one row the caller can see; anything else (missing, other org, ungranted network) is a 404. */
export async function getVisible(db: Queryable, def: EntityDef, p: Principal, id: string): Promise<Row> {
  const w = scopeWhere(def, p, new Where());
  w.add(`t.id = ${w.param(id)}`);
  const [row] = await db.query<Row>(`SELECT ${def.columns} FROM ${def.table} t ${w.sql()}`, w.params);
  if (!row) throw notFound(def.name);
  return def.hydrate ? (await def.hydrate(db, [row]))[0] : row;
}

/** Replaces the tag set of an entity; every tag must belong to the caller's organization. */
export async function setTags(
  db: Queryable,
  tagType: string,
  orgId: string,
  entityId: string,
  tagIds: string[],
) {
  const unique = [...new Set(tagIds)];
  if (unique.length) {
    const found = await db.query<{ id: string }>(
      'SELECT id FROM tags WHERE id = ANY($1::uuid[]) AND organization_id = $2',
      [unique, orgId],
    );
    if (found.length !== unique.length) throw new AppError('entity_reference_invalid');
  }
  await db.query('DELETE FROM entity_tags WHERE entity_id = $1 AND entity_type = $2', [entityId, tagType]);
  for (const tagId of unique) {
    await db.query('INSERT INTO entity_tags (entity_id, entity_type, tag_id) VALUES ($1, $2, $3)', [
      entityId,
      tagType,
      tagId,
    ]);
  }
}

/** Network-scoped writes must target a network the caller can see. */
export function assertNetwork(p: Principal, networkId: string): void {
  if (!p.networkIds.includes(networkId)) throw new AppError('entity_reference_invalid');
}

export function principal(req: FastifyRequest): Principal {
  if (!req.principal) throw new AppError('auth_not_authenticated');
  return req.principal;
}

/** Registers list, get, delete and bulk-delete for an entity; create and update stay with the entity. */
export function registerCrud(app: FastifyInstance, db: Db, def: EntityDef): void {
  const tag = def.path;
  const op = def.path.replace(/[^a-z]+(.)/g, (_, c: string) => c.toUpperCase());
  const del = def.access.delete ?? def.access.write;

  app.get(
    `/${def.path}`,
    {
      config: { access: def.access.list ?? def.access.read },
      schema: {
        operationId: `list_${op}`,
        tags: [tag],
        querystring: listQuery(def.filterSchema ?? {}, Object.keys(def.orderFields ?? {})),
        response: { 200: ListResponse(def.schema) },
      },
    },
    async (req) => {
      const r = await listRows(db, def, principal(req), req.query as ListQuery);
      return page(r.data, r.total, r.limit, r.offset);
    },
  );

  app.get(
    `/${def.path}/export/csv`,
    {
      config: { access: def.access.read },
      schema: {
        operationId: `export_${op}_csv`,
        tags: [tag],
        querystring: exportQuery(def.filterSchema ?? {}),
        response: {
          200: fileResponse(
            'text/csv; charset=utf-8',
            `${def.csv.file}.csv: every matching row, oldest first`,
          ),
        },
      },
    },
    async (req, reply) => {
      const p = principal(req);
      const q = req.query as ListQuery;
      const rows = keysetRows(db, `${def.table} t`, csvSelect(def.csv), () => filterWhere(def, p, q));
      return sendFile(reply, 'text/csv; charset=utf-8', `${def.csv.file}.csv`, csvStream(def.csv, rows));
    },
  );

  app.get(
    `/${def.path}/:id`,
    {
      config: { access: def.access.read },
      schema: {
        operationId: `get_${op}`,
        tags: [tag],
        params: IdParams,
        response: { 200: ItemResponse(def.schema) },
      },
    },
    async (req) => ok(await getVisible(db, def, principal(req), (req.params as { id: string }).id)),
  );

  app.delete(
    `/${def.path}/:id`,
    {
      config: { access: del },
      schema: {
        operationId: `delete_${op}`,
        tags: [tag],
        params: IdParams,
        response: { 200: ItemResponse(Type.Null()) },
      },
    },
    async (req) => {
      const p = principal(req);
      const { id } = req.params as { id: string };
      await getVisible(db, def, p, id);
      await db.transaction(async (tx) => {
        await def.beforeDelete?.(tx, [id]);
        const deleted = await tx.query<Row>(`DELETE FROM ${def.table} WHERE id = $1 RETURNING *`, [id]);
        if (def.tagType) await tx.query('DELETE FROM entity_tags WHERE entity_id = $1', [id]);
        await def.afterDelete?.(tx, deleted);
      });
      return ok(null);
    },
  );

  app.post(
    `/${def.path}/bulk-delete`,
    {
      config: { access: del },
      schema: {
        operationId: `bulk_delete_${op}`,
        tags: [tag],
        body: BulkDeleteBody,
        response: { 200: ItemResponse(BulkDeleteResponse) },
      },
    },
    async (req) => {
      const p = principal(req);
      const ids = [...new Set(req.body as string[])];
      if (ids.length === 0) throw new AppError('validation_bulk_empty');
      const w = scopeWhere(def, p, new Where());
      w.add(`t.id = ANY(${w.param(ids)}::uuid[])`);
      const deleted = await db.transaction(async (tx) => {
        // Ids the caller cannot see are skipped exactly like unknown ids, so nothing leaks across scopes.
        const visible = (
          await tx.query<{ id: string }>(`SELECT t.id FROM ${def.table} t ${w.sql()}`, w.params)
        ).map((r) => r.id);
        if (!visible.length) return 0;
        await def.beforeDelete?.(tx, visible);
        const rows = await tx.query<Row>(`DELETE FROM ${def.table} WHERE id = ANY($1::uuid[]) RETURNING *`, [
          visible,
        ]);
        await def.afterDelete?.(tx, rows);
        if (def.tagType)
          await tx.query('DELETE FROM entity_tags WHERE entity_id = ANY($1::uuid[])', [visible]);
        return visible.length;
      });
      return ok({ deleted_count: deleted, requested_count: (req.body as string[]).length });
    },
  );
}
