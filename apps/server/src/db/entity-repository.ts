import {
  sql,
  type AliasableExpression,
  type Expression,
  type ExpressionBuilder,
  type Kysely,
  type SelectExpression,
  type SelectQueryBuilder,
  type SqlBool,
} from 'kysely';
import type { Kdb } from './client.ts';
import { compileTemplate, runTemplate, type QueryTemplate } from './compiled-once.ts';
import type { DB } from './schema.ts';

export type Row = Record<string, unknown>;
export type TableName = keyof DB & string;
/**
 * Lists of entities of different tables (the tag routes, the CSV of each) hold specs of any table; a spec's own
 * table is checked where it is declared, with `entitySpec`.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyTable = any;

/** The tables a query over one entity can name: every table, and the entity's own as `t`. */
export type From<TB extends TableName> = DB & { t: DB[TB] };
export type EntityEb<TB extends TableName> = ExpressionBuilder<From<TB>, 't'>;
/** A column of the entity table or an expression over it. */
export type ColumnOrExpr<TB extends TableName> =
  (keyof DB[TB] & string) | ((eb: EntityEb<TB>) => AliasableExpression<unknown>);

/** One condition of a list's WHERE; its value is bound separately (see EntityRepository.applyConditions). */
type Cond = {
  k: 'network' | 'networks' | 'network_rows' | 'organization' | 'user' | 'tags' | 'any' | 'eq' | 'search';
  param?: string;
};

/** Who is asking: the networks they may see, their organization, and (user keys) their user. */
export interface Scope {
  networkIds: string[];
  organizationId: string;
  userId: string | null;
}

export const MAX_LIMIT = 1000;
export const DEFAULT_LIMIT = 50;
export const EXPORT_BATCH = 1000;

export interface ListQuery {
  limit?: number;
  offset?: number;
  order_by?: string;
  order_direction?: 'asc' | 'desc';
  [k: string]: unknown;
}

/** limit: default 50, capped at 1000; 0 means all rows. */
export function pageBounds(q: { limit?: number; offset?: number }): { limit: number; offset: number } {
  const limit = q.limit === undefined ? DEFAULT_LIMIT : Math.min(q.limit, MAX_LIMIT);
  return { limit, offset: q.offset ?? 0 };
}

/** How one entity table is read, filtered, exported and deleted by the generic list/get/delete layer. */
export interface EntitySpec<TB extends TableName = AnyTable> {
  table: TB;
  /**
   * network: rows carry network_id; networks: the row is a network (visible when granted); organization: rows carry
   * organization_id; owner: also user_id = caller.
   */
  scope: 'network' | 'networks' | 'organization' | 'owner';
  /** entity_tags.entity_type of taggable entities. */
  tagType?: string;
  /** The row as it goes on the wire: columns of `t` and computed fields. */
  select: (eb: EntityEb<TB>) => ReadonlyArray<SelectExpression<From<TB>, 't'>>;
  /** Query-string filters: param -> column or expression (arrays match any of their items); `tag_ids` by tags. */
  filters?: Record<string, ColumnOrExpr<TB>>;
  /** order_by values -> column. */
  orderFields?: Record<string, keyof DB[TB] & string>;
  /** Columns the `search` query parameter matches, case-insensitively and anywhere in the text. */
  search?: ReadonlyArray<keyof DB[TB] & string>;
  /** Fields whose distinct values GET /<entity>/field-values/{field} counts: name -> column or expression. */
  fieldValues?: Record<string, ColumnOrExpr<TB>>;
  /** Adds children or computed fields to a page of rows with few queries. */
  hydrate?: (db: Kdb, rows: Row[]) => Promise<Row[]>;
  /** Throws (e.g. 409) when any of these visible rows must not be deleted; runs in the delete transaction. */
  beforeDelete?: (db: Kdb, ids: string[]) => Promise<void>;
  /** Runs in the delete transaction with the deleted rows (e.g. to renumber siblings). */
  afterDelete?: (db: Kdb, deleted: Row[]) => Promise<void>;
  /** CSV columns (header order) and the expressions of those that are not plainly a column of `t`. */
  csv: { columns: string[]; exprs?: Record<string, (eb: EntityEb<TB>) => AliasableExpression<unknown>> };
}

/** Declares a spec with its table's column names checked. */
export function entitySpec<TB extends TableName>(spec: EntitySpec<TB>): EntitySpec<TB> {
  return spec;
}

/** The sorted tag ids of an entity row of `t`, as the `tags` field. */
export function tagIds<TB extends TableName>(eb: EntityEb<TB>, tagType: string) {
  return eb.fn
    .coalesce(
      eb
        .selectFrom('entity_tags as et')
        .select((s) => s.fn.agg<string[]>('array_agg', ['et.tag_id']).orderBy('et.tag_id').as('ids'))
        .whereRef('et.entity_id', '=', sql.ref('t.id'))
        .where('et.entity_type', '=', tagType),
      sql<string[]>`'{}'::uuid[]`,
    )
    .as('tags');
}

/**
 * `column = ANY($1)`: one array parameter however many values. The query builder's `in` binds one parameter per
 * value, which costs PGlite measurably on pages of 50 ids.
 */
export function anyOf(column: string, values: readonly unknown[]) {
  return sql<SqlBool>`${sql.ref(column)} = ANY(${values})`;
}

/** `t.<column>->>'type'`: the variant name of a tagged JSON column (source, run_type, ...). */
export function variantOf(column: string) {
  return sql<string>`${sql.ref(`t.${column}`)}->>'type'`;
}

// Inside the generic layer the table is a runtime value, so queries are built untyped; the specs above are typed.
type AnyDb = Kysely<Record<string, Record<string, unknown>>>;
type AnyQb = SelectQueryBuilder<Record<string, Record<string, unknown>>, 't', Row>;
export type AnyEb = ExpressionBuilder<Record<string, Record<string, unknown>>, 't'>;

/**
 * The only SQL of generic entity reads and deletes. Every read is scoped: a row outside the caller's scope is
 * indistinguishable from a missing one.
 */
export class EntityRepository<TB extends TableName = AnyTable> {
  constructor(
    private readonly db: Kdb,
    readonly spec: EntitySpec<TB>,
  ) {}

  private any(db: Kdb = this.db): AnyDb {
    return db as unknown as AnyDb;
  }

  private scoped(qb: AnyQb, scope: Scope): AnyQb {
    const { conds, values } = this.scopeConditions(scope);
    return this.applyConditions(qb, conds, values);
  }

  private column(c: ColumnOrExpr<TB>, eb: AnyEb): AliasableExpression<unknown> {
    return typeof c === 'function' ? c(eb as unknown as EntityEb<TB>) : eb.ref(`t.${c}`);
  }

  /** The caller's scope as conditions: which ones (the SQL) and the values they bind (one each). */
  private scopeConditions(scope: Scope): { conds: Cond[]; values: unknown[] } {
    switch (this.spec.scope) {
      case 'network':
        // A single network compiles to an equality, which lets the planner walk the (network_id, created_at, id)
        // index in order.
        return scope.networkIds.length === 1
          ? { conds: [{ k: 'network' }], values: [scope.networkIds[0]] }
          : { conds: [{ k: 'networks' }], values: [scope.networkIds] };
      case 'networks':
        return { conds: [{ k: 'network_rows' }], values: [scope.networkIds] };
      case 'organization':
        return { conds: [{ k: 'organization' }], values: [scope.organizationId] };
      case 'owner':
        return {
          conds: [{ k: 'organization' }, { k: 'user' }],
          values: [scope.organizationId, scope.userId],
        };
    }
  }

  /** The list's WHERE as conditions: the caller's scope, the entity's query-string filters and the search. */
  private conditions(scope: Scope, q: ListQuery): { conds: Cond[]; values: unknown[] } {
    const { conds, values } = this.scopeConditions(scope);
    for (const param of Object.keys(this.spec.filters ?? {})) {
      const v = q[param];
      if (v === undefined) continue;
      conds.push({ k: param === 'tag_ids' ? 'tags' : Array.isArray(v) ? 'any' : 'eq', param });
      values.push(v);
    }
    const term = typeof q.search === 'string' ? q.search.trim() : '';
    if (term && this.spec.search?.length) {
      conds.push({ k: 'search' });
      values.push(`%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    }
    return { conds, values };
  }

  /**
   * The WHERE of `conds`, each binding its value from `values` (the real values, or stand-ins when the query is
   * compiled once for every request of the same shape: see `list`). Nothing here may look at a value.
   */
  private applyConditions(qb: AnyQb, conds: readonly Cond[], values: readonly unknown[]): AnyQb {
    let out = qb;
    for (const [i, c] of conds.entries()) {
      const v = values[i];
      switch (c.k) {
        case 'network':
          out = out.where('t.network_id', '=', v);
          break;
        case 'networks':
          out = out.where(anyOf('t.network_id', v as unknown[]));
          break;
        case 'network_rows':
          out = out.where(anyOf('t.id', v as unknown[]));
          break;
        case 'organization':
          out = out.where('t.organization_id', '=', v);
          break;
        case 'user':
          out = out.where('t.user_id', '=', v);
          break;
        case 'tags':
          out = out.where((eb) =>
            eb.exists(
              eb
                .selectFrom('entity_tags as et')
                .select(sql.lit(1).as('one'))
                .whereRef('et.entity_id', '=', 't.id')
                .where('et.entity_type', '=', this.spec.tagType ?? '')
                .where(anyOf('et.tag_id', v as unknown[])),
            ),
          );
          break;
        case 'any': {
          const col = this.spec.filters![c.param!];
          out = out.where((eb) => sql<SqlBool>`${this.column(col, eb)} = ANY(${v})`);
          break;
        }
        case 'eq': {
          const col = this.spec.filters![c.param!];
          out = out.where((eb) => eb(this.column(col, eb), '=', v));
          break;
        }
        case 'search': {
          const columns = this.spec.search ?? [];
          out = out.where((eb) =>
            eb.or(columns.map((col) => sql<SqlBool>`${eb.ref(`t.${col}`)}::text ILIKE ${v}`)),
          );
          break;
        }
      }
    }
    return out;
  }

  /** The list's WHERE: the caller's scope and the entity's query-string filters. */
  private filtered(qb: AnyQb, scope: Scope, q: ListQuery): AnyQb {
    const { conds, values } = this.conditions(scope, q);
    return this.applyConditions(qb, conds, values);
  }

  private from(db: Kdb = this.db): AnyQb {
    return this.any(db).selectFrom(`${this.spec.table} as t`) as unknown as AnyQb;
  }

  private selection(eb: AnyEb) {
    return this.spec.select(eb as unknown as EntityEb<TB>) as unknown as ReadonlyArray<
      SelectExpression<Record<string, Record<string, unknown>>, 't'>
    >;
  }

  /**
   * A page of rows in scope with the total count. The two queries' SQL depends only on the request's shape (which
   * conditions apply, the order, whether the page is cut), so each shape is built and compiled once and later
   * requests bind their values to it (db/compiled-once.ts); building them cost more Node time than running them.
   */
  async list(scope: Scope, q: ListQuery, paged = true) {
    const { limit, offset } = pageBounds(q);
    const orderCol = (q.order_by && this.spec.orderFields?.[q.order_by]) || 'created_at';
    const dir = q.order_direction === 'desc' ? 'desc' : 'asc';
    const { conds, values } = this.conditions(scope, q);
    const cut = paged && limit > 0 ? 'limit' : paged && offset > 0 ? 'offset' : 'none';
    const key = JSON.stringify([conds, orderCol, dir, cut]);
    let compiled = this.listQueries.get(key);
    if (!compiled) {
      compiled = this.compileList(conds, orderCol, dir, cut);
      // The shapes are few (filters present x order x cut); the bound only guards against a runaway.
      if (this.listQueries.size >= 512) this.listQueries.clear();
      this.listQueries.set(key, compiled);
    }
    const args = [...values, limit, offset];
    const [rows, count] = await Promise.all([
      runTemplate<Row>(this.db, compiled.rows, args),
      runTemplate<{ n: number }>(this.db, compiled.count, args),
    ]);
    const data = this.spec.hydrate ? await this.spec.hydrate(this.db, rows) : rows;
    return { data, total: count[0].n, limit, offset };
  }

  private readonly listQueries = new Map<string, { rows: QueryTemplate; count: QueryTemplate }>();

  /** The rows and count queries of one list shape; values are stand-ins, then `limit` and `offset`. */
  private compileList(conds: readonly Cond[], orderCol: string, dir: 'asc' | 'desc', cut: string) {
    const arity = conds.length + 2;
    const rows = compileTemplate(
      arity,
      (v) => {
        const [limit, offset] = v.slice(conds.length);
        let inner = this.applyConditions(this.from().selectAll('t'), conds, v)
          .orderBy(`t.${orderCol}`, dir)
          .orderBy('t.id', dir);
        if (cut === 'limit') inner = inner.limit(limit as number).offset(offset as number);
        else if (cut === 'offset') inner = inner.offset(offset as number);
        // The page is cut first, then the select list (with its per-row subqueries such as tags) runs on that page
        // only.
        return this.any()
          .selectFrom(inner.as('t'))
          .select((eb) => this.selection(eb as unknown as AnyEb))
          .orderBy(`t.${orderCol}`, dir)
          .orderBy('t.id', dir);
      },
      conds.length,
    );
    const count = compileTemplate(
      arity,
      (v) => this.applyConditions(this.from(), conds, v).select(sql<number>`count(*)::int`.as('n')),
      conds.length,
    );
    return { rows, count };
  }

  /**
   * The distinct values of one field (as text; null stays null) over the rows a list with this query would return,
   * with how many rows have each: most frequent first, then by value.
   */
  async fieldValues(scope: Scope, q: ListQuery, field: ColumnOrExpr<TB>) {
    const rows = await this.filtered(this.from(), scope, q)
      .select((eb) => [
        sql<string | null>`(${this.column(field, eb)})::text`.as('value'),
        sql<number>`count(*)::int`.as('count'),
      ])
      .groupBy(sql.lit(1) as never)
      .orderBy(sql.ref('count'), 'desc')
      .orderBy(sql`1 ASC NULLS LAST`)
      .execute();
    return rows as unknown as { value: string | null; count: number }[];
  }

  /** One row in scope, shaped for the wire; undefined when missing or out of scope. */
  async find(scope: Scope, id: string, db: Kdb = this.db): Promise<Row | undefined> {
    const row = await this.scoped(this.from(db), scope)
      .where('t.id', '=', id)
      .select((eb) => this.selection(eb))
      .executeTakeFirst();
    if (!row) return undefined;
    return this.spec.hydrate ? (await this.spec.hydrate(db, [row]))[0] : row;
  }

  /** One row by id whoever asks (public share links, system jobs), shaped for the wire. */
  async findAny(id: string, db: Kdb = this.db): Promise<Row | undefined> {
    const row = await this.from(db)
      .where('t.id', '=', id)
      .select((eb) => this.selection(eb))
      .executeTakeFirst();
    if (!row) return undefined;
    return this.spec.hydrate ? (await this.spec.hydrate(db, [row]))[0] : row;
  }

  /** The ids of the rows a list with this query would return, as a subquery (exports of children). */
  idsQuery(scope: Scope, q: ListQuery) {
    return this.filtered(this.from(), scope, q).select('t.id');
  }

  /** The ids among `ids` that are in scope. */
  async visibleIds(scope: Scope, ids: string[], db: Kdb = this.db): Promise<string[]> {
    if (!ids.length) return [];
    const rows = await this.scoped(this.from(db), scope).where(anyOf('t.id', ids)).select('t.id').execute();
    return rows.map((r) => r.id as string);
  }

  /**
   * Deletes the rows among `ids` that are in scope, with their tag links, in one transaction with the spec's guards.
   * Ids out of scope are skipped exactly like unknown ids, so nothing leaks across scopes. Returns how many went.
   */
  async deleteInScope(scope: Scope, ids: string[]): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      const visible = await this.visibleIds(scope, ids, trx);
      if (!visible.length) return 0;
      await this.spec.beforeDelete?.(trx, visible);
      const deleted = (await this.any(trx)
        .deleteFrom(this.spec.table as string)
        .where('id', 'in', visible)
        .returningAll()
        .execute()) as Row[];
      if (this.spec.tagType) await trx.deleteFrom('entity_tags').where('entity_id', 'in', visible).execute();
      await this.spec.afterDelete?.(trx, deleted);
      return deleted.length;
    });
  }

  /**
   * Every matching row's CSV columns in (created_at, id) order, fetched in keyset batches: memory stays flat however
   * many rows match, and each batch is a short query, so PGlite's single connection is never held by one export.
   */
  async *exportRows(
    scope: Scope,
    q: ListQuery,
    opts: { batch?: number; within?: (eb: AnyEb) => Expression<SqlBool> } = {},
  ): AsyncGenerator<Row> {
    const { columns, exprs } = this.spec.csv;
    const batch = opts.batch ?? EXPORT_BATCH;
    let after: { at: string; id: string } | undefined;
    for (;;) {
      let qb = this.filtered(this.from(), scope, q);
      if (opts.within) qb = qb.where(opts.within);
      if (after) {
        const { at, id } = after;
        // The plain bound lets an index on created_at narrow the scan; the row comparison breaks ties by id.
        qb = qb.where(
          sql<boolean>`t.created_at >= ${at}::timestamptz AND (t.created_at, t.id) > (${at}::timestamptz, ${id}::uuid)`,
        );
      }
      const rows = await qb
        .select((eb) =>
          columns.map((c) => {
            const expr = exprs?.[c];
            return expr ? expr(eb as unknown as EntityEb<TB>).as(c) : eb.ref(`t.${c}`).as(c);
          }),
        )
        // The cursor travels as text: a JS Date drops the microseconds the comparison needs.
        .select([sql<string>`t.created_at::text`.as('keyset_at'), 't.id as keyset_id'])
        .orderBy('t.created_at')
        .orderBy('t.id')
        .limit(batch)
        .execute();
      yield* rows as Row[];
      if (rows.length < batch) return;
      const last = rows[rows.length - 1];
      after = { at: last.keyset_at as string, id: last.keyset_id as string };
    }
  }
}
