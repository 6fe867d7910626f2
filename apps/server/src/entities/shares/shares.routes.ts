import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import {
  CreateUpdateShareRequest,
  PublicShareMetadata,
  Share,
  SharePassword,
  ShareTopologyQuery,
  ShareTopologyRequest,
  ShareWithTopology,
} from '@scanopy/contracts';
import { principal, type EntityResource } from '../../http/crud.ts';
import { ok } from '../../http/envelope.ts';
import { AppError } from '../../http/errors.ts';
import type { RouteApp } from '../../http/route-app.ts';
import { IdParams, ItemResponse, Uuid } from '../../http/schemas.ts';
import type { Services } from '../../services.ts';
import { embedAllowed, frameAncestors } from './shares.service.ts';

export const shareResource: EntityResource = {
  name: 'Share',
  path: 'shares',
  filterSchema: { network_id: Uuid, topology_id: Uuid },
  csvFile: 'Shares',
  schema: Share,
  access: { read: 'viewer', write: 'member' },
};

/** Public share routes answer any origin, never with credentials (api-model.md §4.5). */
function publicCors(
  _req: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
  done: (e: null, p: unknown) => void,
) {
  void reply.header('Access-Control-Allow-Origin', '*');
  done(null, payload);
}

export async function shareRoutes(app: RouteApp, { shares }: Services) {
  app.post(
    '/shares',
    {
      config: { access: 'member' },
      schema: {
        operationId: 'create_share',
        tags: ['shares'],
        body: CreateUpdateShareRequest,
        response: { 200: ItemResponse(Share) },
      },
    },
    async (req) => ok(await shares.create(principal(req), req.body)),
  );

  app.put(
    '/shares/:id',
    {
      config: { access: 'member' },
      schema: {
        operationId: 'update_share',
        tags: ['shares'],
        params: IdParams,
        body: CreateUpdateShareRequest,
        response: { 200: ItemResponse(Share) },
      },
    },
    async (req) => ok(await shares.update(principal(req), req.params.id, req.body)),
  );

  const publicRoute = { config: { access: 'public' as const }, onSend: publicCors };

  app.get(
    '/shares/public/:id',
    {
      ...publicRoute,
      schema: {
        operationId: 'get_public_share_metadata',
        tags: ['shares'],
        summary: 'Name, display options and whether a password is needed (no authentication)',
        params: IdParams,
        response: { 200: ItemResponse(PublicShareMetadata) },
      },
    },
    async (req) => ok(shares.metadata(await shares.live(req.params.id))),
  );

  app.post(
    '/shares/public/:id/verify',
    {
      ...publicRoute,
      schema: {
        operationId: 'verify_share_password',
        tags: ['shares'],
        summary: 'Checks a share password, sent as a bare JSON string (no authentication)',
        description:
          'true when the password is right (or the share has none); 401 share_password_incorrect when wrong. Wrong ' +
          'guesses are limited per share (5, then one per 180 s) and per client IP; beyond that 429 with Retry-After.',
        params: IdParams,
        body: SharePassword,
        response: { 200: ItemResponse(Type.Boolean()) },
      },
    },
    async (req) => {
      await shares.unlock(await shares.live(req.params.id), req.body, req.ip);
      return ok(true);
    },
  );

  app.post(
    '/shares/public/:id/topology',
    {
      ...publicRoute,
      schema: {
        operationId: 'get_public_share_topology',
        tags: ['shares'],
        summary: 'The shared topology (no authentication; the password when the share has one)',
        params: IdParams,
        querystring: ShareTopologyQuery,
        body: ShareTopologyRequest,
        response: { 200: ItemResponse(ShareWithTopology) },
      },
    },
    async (req, reply) => {
      const share = await shares.live(req.params.id);
      if (
        req.query.embed &&
        share.allowed_domains?.length &&
        !embedAllowed(req.headers.referer, req.headers.host, share.allowed_domains)
      ) {
        throw new AppError('share_domain_not_allowed');
      }
      await shares.unlock(share, req.body.password, req.ip);
      const topology = await shares.topology(share);
      void reply.header('Cache-Control', 'public, max-age=300');
      void reply.header(
        'Content-Security-Policy',
        `frame-ancestors ${frameAncestors(share.allowed_domains)}`,
      );
      return ok({ share: shares.metadata(share), topology });
    },
  );

  // Cross-origin callers send JSON bodies, which makes browsers ask first.
  for (const url of ['/shares/public/:id', '/shares/public/:id/verify', '/shares/public/:id/topology']) {
    app.options(url, { ...publicRoute, schema: { hide: true, params: IdParams } }, async (_req, reply) =>
      reply
        .code(204)
        .header('Access-Control-Allow-Methods', 'GET, POST, OPTIONS')
        .header('Access-Control-Allow-Headers', 'Content-Type, Accept')
        .header('Access-Control-Max-Age', '600')
        .send(),
    );
  }
}
