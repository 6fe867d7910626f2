import type { FastifyRequest } from 'fastify';
import { GroupCount } from '@scanopy/contracts';
import type { RouteApp } from './route-app.ts';
import { Type, type TSchema } from 'typebox';
import type { Kdb } from '../db/client.ts';
import {
  EntityRepository,
  type EntitySpec,
  type ListQuery,
  type Row,
  type Scope,
  type TableName,
  type AnyTable,
} from '../db/entity-repository.ts';
import type { Access, Principal } from '../auth/principal.ts';
import { page, ok } from './envelope.ts';
import { pageSerializer } from './page-serializer.ts';
import { AppError, notFound } from './errors.ts';
import { csvStream, exportQuery, fileResponse, sendFile } from './csv.ts';
import {
  ListResponse,
  ItemResponse,
  BulkDeleteBody,
  BulkDeleteResponse,
  IdParams,
  listQuery,
} from './schemas.ts';

export type { ListQuery } from '../db/entity-repository.ts';

/** What the generic HTTP layer needs to know about an entity; entities only add what differs. */
export interface EntityResource {
  /** Display name used in messages, e.g. "Host". */
  name: string;
  /** Path segment, e.g. "hosts". */
  path: string;
  /** Item schema for responses. */
  schema: TSchema;
  /**
   * `list` and `export` override `read` for the list and CSV routes only (daemons may list subnets but not read one;
   * user API keys may export their user's key list, which is otherwise session-only).
   */
  access: { read: Access; write: Access; delete?: Access; list?: Access; export?: Access };
  /** Extra query-string properties (schemas) for the list route. */
  filterSchema?: Record<string, TSchema>;
  /** Plural display name of GET /<path>/export/csv: the download is `<csvFile>.csv`. */
  csvFile: string;
}

/** The caller's reach, as the repositories take it. */
export function scopeOf(p: Principal): Scope {
  return {
    networkIds: p.networkIds,
    organizationId: p.organizationId,
    userId: p.kind === 'daemon' ? null : p.userId,
  };
}

/** List, read, delete and export of one entity, scoped to the caller. */
export class EntityService<TB extends TableName = AnyTable> {
  readonly repo: EntityRepository<TB>;

  constructor(
    db: Kdb,
    spec: EntitySpec<TB>,
    /** Display name used in messages, e.g. "Host". */
    readonly name: string,
  ) {
    this.repo = new EntityRepository(db, spec);
  }

  list(p: Principal, q: ListQuery) {
    return this.repo.list(scopeOf(p), q);
  }

  /** One row the caller can see; anything else (missing, other org, ungranted network) is a 404. */
  async get(p: Principal, id: string, on?: Kdb): Promise<Row> {
    const row = await this.repo.find(scopeOf(p), id, on);
    if (!row) throw notFound(this.name);
    return row;
  }

  /**
   * A row another write refers to, read in the transaction `on`. An id the caller cannot see is indistinguishable
   * from a missing one; a visible row on another network than the entity being written is a mismatch.
   */
  async reference(p: Principal, id: string, networkId: string, label: string, on?: Kdb): Promise<Row> {
    const row = await this.repo.find(scopeOf(p), id, on);
    if (!row) throw new AppError('entity_reference_invalid');
    if (row.network_id !== networkId) {
      throw new AppError('entity_network_mismatch', { detail: `${label} ${id} belongs to another network` });
    }
    return row;
  }

  async delete(p: Principal, id: string): Promise<void> {
    if (!(await this.repo.deleteInScope(scopeOf(p), [id]))) throw notFound(this.name);
  }

  async bulkDelete(p: Principal, ids: string[]) {
    const unique = [...new Set(ids)];
    if (unique.length === 0) throw new AppError('validation_bulk_empty');
    const deleted = await this.repo.deleteInScope(scopeOf(p), unique);
    return { deleted_count: deleted, requested_count: ids.length };
  }

  exportRows(p: Principal, q: ListQuery) {
    return this.repo.exportRows(scopeOf(p), q);
  }

  /** The fields GET /<entity>/field-values/{field} counts. */
  get fieldValueNames(): string[] {
    return Object.keys(this.repo.spec.fieldValues ?? {});
  }

  /** Distinct values of one field with their counts, over the rows the list filters select; an unknown field is a 400. */
  fieldValues(p: Principal, field: string, q: ListQuery) {
    const fields = this.repo.spec.fieldValues ?? {};
    if (!Object.hasOwn(fields, field)) {
      throw new AppError('validation_failed', {
        detail: `Unknown field "${field}"; field-values counts one of: ${this.fieldValueNames.join(', ')}`,
      });
    }
    return this.repo.fieldValues(scopeOf(p), q, fields[field]);
  }
}

/**
 * Network-scoped writes must target a network the caller can see. A user API key created without networks sees none,
 * so it is told that, not that the network does not exist.
 */
export function assertNetwork(p: Principal, networkId: string): void {
  if (p.networkIds.includes(networkId)) return;
  if (p.kind === 'user_api_key' && p.networkIds.length === 0) throw new AppError('auth_api_key_no_networks');
  throw new AppError('entity_reference_invalid');
}

export function principal(req: FastifyRequest): Principal {
  if (!req.principal) throw new AppError('auth_not_authenticated');
  return req.principal;
}

/**
 * How the reference names an entity's generic operations: `get_<one>_by_id`, `delete_<one>`, `bulk_delete_<many>`,
 * `export_<many>_csv`, and a list id of its own (`list_networks`, `get_all_hosts`, `get_daemons`...).
 */
export interface OperationNames {
  one: string;
  many: string;
  list: string;
}

/** Registers list, get, delete, bulk-delete and CSV export for an entity; create and update stay with the entity. */
export function registerCrud(
  app: RouteApp,
  def: EntityResource,
  service: EntityService,
  names: OperationNames,
): void {
  const spec = service.repo.spec;
  const tag = def.path;
  const del = def.access.delete ?? def.access.write;

  app.get(
    `/${def.path}`,
    {
      config: { access: def.access.list ?? def.access.read },
      schema: {
        operationId: names.list,
        tags: [tag],
        querystring: listQuery(def.filterSchema ?? {}, Object.keys(spec.orderFields ?? {})),
        response: { 200: ListResponse(def.schema) },
      },
    },
    async (req, reply) => {
      const r = await service.list(principal(req), req.query);
      // The route's own serializers, run per item, so a large page never becomes one huge string (page-serializer.ts).
      void reply.type('application/json; charset=utf-8').serializer(pageSerializer(reply, def.schema));
      return page(r.data, r.total, r.limit, r.offset);
    },
  );

  app.get(
    `/${def.path}/export/csv`,
    {
      config: { access: def.access.export ?? def.access.read },
      schema: {
        operationId: `export_${names.many}_csv`,
        tags: [tag],
        querystring: exportQuery(def.filterSchema ?? {}),
        response: {
          200: fileResponse(
            'text/csv; charset=utf-8',
            `${def.csvFile}.csv: every matching row, oldest first`,
          ),
        },
      },
    },
    async (req, reply) => {
      const rows = service.exportRows(principal(req), req.query);
      const columns = spec.csv.columns;
      return sendFile(reply, 'text/csv; charset=utf-8', `${def.csvFile}.csv`, csvStream(columns, rows));
    },
  );

  if (service.fieldValueNames.length) {
    const allowed = service.fieldValueNames.join(', ');
    app.get(
      `/${def.path}/field-values/:field`,
      {
        config: { access: def.access.list ?? def.access.read },
        schema: {
          operationId: `get_${names.one}_field_values`,
          tags: [tag],
          description: `Distinct values of one field, each with how many rows have it (most first), over the rows the list filters select. Fields: ${allowed}.`,
          params: Type.Object({ field: Type.String({ maxLength: 100, description: `One of: ${allowed}` }) }),
          querystring: exportQuery(def.filterSchema ?? {}),
          response: { 200: ItemResponse(Type.Array(GroupCount)) },
        },
      },
      async (req) => ok(await service.fieldValues(principal(req), req.params.field, req.query)),
    );
  }

  app.get(
    `/${def.path}/:id`,
    {
      config: { access: def.access.read },
      schema: {
        operationId: `get_${names.one}_by_id`,
        tags: [tag],
        params: IdParams,
        response: { 200: ItemResponse(def.schema) },
      },
    },
    async (req) => ok(await service.get(principal(req), req.params.id)),
  );

  app.delete(
    `/${def.path}/:id`,
    {
      config: { access: del },
      schema: {
        operationId: `delete_${names.one}`,
        tags: [tag],
        params: IdParams,
        response: { 200: ItemResponse(Type.Null()) },
      },
    },
    async (req) => {
      await service.delete(principal(req), req.params.id);
      return ok(null);
    },
  );

  app.post(
    `/${def.path}/bulk-delete`,
    {
      config: { access: del },
      schema: {
        operationId: `bulk_delete_${names.many}`,
        tags: [tag],
        body: BulkDeleteBody,
        response: { 200: ItemResponse(BulkDeleteResponse) },
      },
    },
    async (req) => ok(await service.bulkDelete(principal(req), req.body)),
  );
}
