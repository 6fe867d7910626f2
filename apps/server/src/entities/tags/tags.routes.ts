import { Type } from 'typebox';
import {
  BulkTagRequest,
  BulkTagResponse,
  CreateTagRequest,
  SetTagsRequest,
  Tag,
  UpdateTagRequest,
} from '@scanopy/contracts';
import { principal, type EntityResource } from '../../http/crud.ts';
import { ok } from '../../http/envelope.ts';
import type { RouteApp } from '../../http/route-app.ts';
import { IdParams, ItemResponse, Search, UuidArray } from '../../http/schemas.ts';
import type { Services } from '../../services.ts';

export const tagResource: EntityResource = {
  name: 'Tag',
  path: 'tags',
  filterSchema: { ids: UuidArray, search: Search },
  csvFile: 'Tags',
  schema: Tag,
  access: { read: 'viewer', write: 'member' },
};

export async function tagRoutes(app: RouteApp, { tags }: Services) {
  app.post(
    '/tags',
    {
      config: { access: 'admin' },
      schema: {
        operationId: 'create_tag',
        tags: ['tags'],
        body: CreateTagRequest,
        response: { 200: ItemResponse(Tag) },
      },
    },
    async (req) => ok(await tags.create(principal(req), req.body)),
  );

  app.put(
    '/tags/:id',
    {
      config: { access: 'member' },
      schema: {
        operationId: 'update_tag',
        tags: ['tags'],
        params: IdParams,
        body: UpdateTagRequest,
        response: { 200: ItemResponse(Tag) },
      },
    },
    async (req) => ok(await tags.update(principal(req), req.params.id, req.body)),
  );

  app.put(
    '/tags/assign',
    {
      config: { access: 'member' },
      schema: {
        operationId: 'set_entity_tags',
        tags: ['tags'],
        body: SetTagsRequest,
        response: { 200: ItemResponse(Type.Null()) },
      },
    },
    async (req) => {
      await tags.assign(principal(req), req.body.entity_type, req.body.entity_id, req.body.tag_ids);
      return ok(null);
    },
  );

  const bulk = (op: 'add' | 'remove') =>
    app.post(
      `/tags/assign/bulk-${op}`,
      {
        config: { access: 'member' },
        schema: {
          operationId: `bulk_${op}_tag`,
          tags: ['tags'],
          body: BulkTagRequest,
          response: { 200: ItemResponse(BulkTagResponse) },
        },
      },
      async (req) => {
        const b = req.body;
        return ok(await tags.bulk(op, principal(req), b.entity_type, b.entity_ids, b.tag_id));
      },
    );
  bulk('add');
  bulk('remove');
}
