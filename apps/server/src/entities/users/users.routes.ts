import { Type } from 'typebox';
import { AdminUpdateUserRequest, UpdateUserRequest, User } from '@scanopy/contracts';
import { requireUser } from '../../auth/principal.ts';
import { ok, page } from '../../http/envelope.ts';
import { csvStream, exportQuery, fileResponse, sendFile } from '../../http/csv.ts';
import type { RouteApp } from '../../http/route-app.ts';
import {
  BulkDeleteBody,
  BulkDeleteResponse,
  IdParams,
  ItemResponse,
  ListResponse,
  listQuery,
  UuidArray,
} from '../../http/schemas.ts';
import type { Services } from '../../services.ts';
import { userSpec } from './users.repository.ts';

const tags = ['users'];

export async function userRoutes(app: RouteApp, { users }: Services) {
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
      const r = await users.list(requireUser(req.principal), req.query);
      return page(r.rows, r.total, r.limit, r.offset);
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
      const rows = users.exportRows(requireUser(req.principal), req.query);
      return sendFile(reply, 'text/csv; charset=utf-8', 'Users.csv', csvStream(userSpec.csv.columns, rows));
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
    async (req) => ok(await users.get(requireUser(req.principal), req.params.id)),
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
    async (req) => ok(await users.updateSelf(requireUser(req.principal), req.params.id, req.body)),
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
    async (req) => ok(await users.adminUpdate(requireUser(req.principal), req.params.id, req.body)),
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
      await users.delete(requireUser(req.principal), req.params.id);
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
    async (req) => ok(await users.bulkDelete(requireUser(req.principal), req.body)),
  );
}
