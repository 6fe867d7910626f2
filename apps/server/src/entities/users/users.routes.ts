import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { AdminUpdateUserRequest, UpdateUserRequest, User } from '@scanopy/contracts';
import type { Db, Queryable } from '../../db/client.ts';
import { userColumns } from '../../auth/account.service.ts';
import { requireUser, roleRank, type Role, type UserPrincipal } from '../../auth/principal.ts';
import { ok, page } from '../../http/envelope.ts';
import { AppError, notFound } from '../../http/errors.ts';
import { pageBounds, Where } from '../../http/query.ts';
import {
  csvSelect,
  csvStream,
  exportQuery,
  fileResponse,
  keysetRows,
  sendFile,
  type CsvSpec,
} from '../../http/csv.ts';
import {
  BulkDeleteBody,
  BulkDeleteResponse,
  IdParams,
  ItemResponse,
  ListResponse,
  listQuery,
  UuidArray,
} from '../../http/schemas.ts';
import { deleteUsers, rankSql } from './users.service.ts';

const tags = ['users'];

type UserRow = {
  id: string;
  email: string;
  organization_id: string;
  permissions: Role;
  network_ids: string[];
};

async function orgUser(db: Queryable, p: UserPrincipal, id: string): Promise<UserRow> {
  const [u] = await db.query<UserRow>(
    `SELECT ${userColumns} FROM users u WHERE u.id = $1 AND u.organization_id = $2`,
    [id, p.organizationId],
  );
  if (!u) throw notFound('User');
  return u;
}

const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x));

/** api-model.md §4.4: never hashes, tokens or the pending address. */
const usersCsv: CsvSpec = {
  file: 'Users',
  columns: [
    'id',
    'email',
    'permissions',
    'organization_id',
    'email_verified',
    'oidc_provider',
    'terms_accepted_at',
    'created_at',
    'updated_at',
  ],
};

/**
 * The users a caller may see, over alias `alias`: the caller's org; Owners see everyone, others see users below their
 * own role, and themselves.
 */
function visibleUsers(p: UserPrincipal, alias: string, ids?: string[]): Where {
  const w = new Where();
  w.add(`${alias}.organization_id = ${w.param(p.organizationId)}`);
  if (p.role !== 'Owner') {
    w.add(
      `(${rankSql(`${alias}.permissions`)} < ${w.param(roleRank(p.role))} OR ${alias}.id = ${w.param(p.userId)})`,
    );
  }
  if (ids) w.add(`${alias}.id = ANY(${w.param(ids)}::uuid[])`);
  return w;
}

export async function userRoutes(app: FastifyInstance, opts: { db: Db }) {
  const { db } = opts;

  app.get(
    '/users',
    {
      config: { access: 'admin' },
      schema: {
        operationId: 'get_all_users',
        tags,
        querystring: listQuery({ ids: UuidArray }, ['created_at', 'updated_at', 'email', 'permissions']),
        response: { 200: ListResponse(User) },
      },
    },
    async (req) => {
      const p = requireUser(req.principal);
      const q = req.query as { ids?: string[]; order_by?: string; order_direction?: string };
      const w = visibleUsers(p, 'u', q.ids);
      const { limit, offset } = pageBounds(req.query as { limit?: number; offset?: number });
      const col = q.order_by === 'permissions' ? rankSql('u.permissions') : `u.${q.order_by ?? 'created_at'}`;
      const dir = q.order_direction === 'desc' ? 'DESC' : 'ASC';
      const paging = limit > 0 ? ` LIMIT ${limit} OFFSET ${offset}` : ` OFFSET ${offset}`;
      const [rows, [count]] = await Promise.all([
        db.query(
          `SELECT ${userColumns} FROM users u ${w.sql()} ORDER BY ${col} ${dir}, u.id ${dir}${paging}`,
          w.params,
        ),
        db.query<{ n: number }>(`SELECT count(*)::int AS n FROM users u ${w.sql()}`, w.params),
      ]);
      return page(rows, count.n, limit, offset);
    },
  );

  // The reference lets any Viewer export; what the export holds is what the caller's users list would show.
  app.get(
    '/users/export/csv',
    {
      config: { access: 'viewer' },
      schema: {
        operationId: 'export_users_csv',
        tags,
        querystring: exportQuery({ ids: UuidArray }),
        response: {
          200: fileResponse('text/csv; charset=utf-8', 'Users.csv: every visible user, oldest first'),
        },
      },
    },
    async (req, reply) => {
      const p = requireUser(req.principal);
      const { ids } = req.query as { ids?: string[] };
      const rows = keysetRows(db, 'users t', csvSelect(usersCsv), () => visibleUsers(p, 't', ids));
      return sendFile(reply, 'text/csv; charset=utf-8', 'Users.csv', csvStream(usersCsv.columns, rows));
    },
  );

  app.get(
    '/users/:id',
    {
      config: { access: 'session' },
      schema: {
        operationId: 'get_user_by_id',
        tags,
        params: IdParams,
        response: { 200: ItemResponse(User) },
      },
    },
    async (req) => ok(await orgUser(db, requireUser(req.principal), (req.params as { id: string }).id)),
  );

  app.put(
    '/users/:id',
    {
      config: { access: 'session' },
      schema: {
        operationId: 'update_user',
        tags,
        params: IdParams,
        body: UpdateUserRequest,
        response: { 200: ItemResponse(User) },
      },
    },
    async (req) => {
      const p = requireUser(req.principal);
      const { id } = req.params as { id: string };
      const body = req.body as Partial<UserRow>;
      const u = await orgUser(db, p, id);
      if (u.id !== p.userId) {
        throw new AppError('entity_update_forbidden', { detail: 'Users can only update their own profile' });
      }
      const changed =
        (body.email !== undefined && body.email.toLowerCase() !== u.email.toLowerCase() && 'email') ||
        (body.organization_id !== undefined &&
          body.organization_id !== u.organization_id &&
          'organization_id') ||
        (body.permissions !== undefined && body.permissions !== u.permissions && 'permissions') ||
        (body.network_ids !== undefined && !sameSet(body.network_ids, u.network_ids) && 'network_ids');
      if (changed) {
        throw new AppError('entity_update_forbidden', { detail: `${changed} cannot be changed here` });
      }
      await db.query('UPDATE users SET updated_at = now() WHERE id = $1', [id]);
      return ok(await orgUser(db, p, id));
    },
  );

  app.put(
    '/users/:id/admin',
    {
      config: { access: 'admin' },
      schema: {
        operationId: 'admin_update_user',
        tags,
        params: IdParams,
        body: AdminUpdateUserRequest,
        response: { 200: ItemResponse(User) },
      },
    },
    async (req) => {
      const p = requireUser(req.principal);
      const { id } = req.params as { id: string };
      const body = req.body as { permissions: Role; network_ids: string[] };
      const target = await orgUser(db, p, id);
      if (target.id === p.userId) {
        throw new AppError('entity_update_forbidden', { detail: 'You cannot change your own role' });
      }
      if (roleRank(target.permissions) >= roleRank(p.role)) {
        throw new AppError('entity_update_forbidden', {
          detail: `A ${p.role} can only change users with a lower role`,
        });
      }
      if (p.role !== 'Owner' && roleRank(body.permissions) >= roleRank(p.role)) {
        throw new AppError('auth_permission_denied', { role: 'Owner' });
      }
      const networks = [...new Set(body.network_ids)];
      if (networks.some((n) => !p.networkIds.includes(n))) throw new AppError('entity_reference_invalid');
      await db.transaction(async (tx) => {
        await tx.query('UPDATE users SET permissions = $2, updated_at = now() WHERE id = $1', [
          id,
          body.permissions,
        ]);
        await tx.query('DELETE FROM user_network_access WHERE user_id = $1', [id]);
        for (const n of networks) {
          await tx.query('INSERT INTO user_network_access (user_id, network_id) VALUES ($1, $2)', [id, n]);
        }
      });
      return ok(await orgUser(db, p, id));
    },
  );

  app.delete(
    '/users/:id',
    {
      config: { access: 'admin' },
      schema: {
        operationId: 'delete_user',
        tags,
        params: IdParams,
        response: { 200: ItemResponse(Type.Null()) },
      },
    },
    async (req) => {
      const p = requireUser(req.principal);
      const { id } = req.params as { id: string };
      await orgUser(db, p, id);
      await db.transaction((tx) => deleteUsers(tx, p, [id]));
      return ok(null);
    },
  );

  app.post(
    '/users/bulk-delete',
    {
      config: { access: 'admin' },
      schema: {
        operationId: 'bulk_delete_users',
        tags,
        body: BulkDeleteBody,
        response: { 200: ItemResponse(BulkDeleteResponse) },
      },
    },
    async (req) => {
      const p = requireUser(req.principal);
      const ids = req.body as string[];
      if (!ids.length) throw new AppError('validation_bulk_empty');
      const deleted = await db.transaction((tx) => deleteUsers(tx, p, [...new Set(ids)]));
      return ok({ deleted_count: deleted, requested_count: ids.length });
    },
  );
}
