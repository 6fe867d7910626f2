import { Type } from 'typebox';
import { CreateInviteRequest, Invite } from '@scanopy/contracts';
import { setSessionCookie } from '../../auth/session-cookie.ts';
import { requireUser } from '../../auth/principal.ts';
import { ok } from '../../http/envelope.ts';
import type { RouteApp } from '../../http/route-app.ts';
import { IdParams, ItemResponse } from '../../http/schemas.ts';
import type { Services } from '../../services.ts';

const tags = ['invites'];

export async function inviteRoutes(app: RouteApp, { config, invites }: Services) {
  app.post(
    '/invites',
    {
      config: { access: 'admin' },
      schema: {
        operationId: 'create_invite',
        tags,
        body: CreateInviteRequest,
        response: { 200: ItemResponse(Invite) },
      },
    },
    async (req) => ok(await invites.create(requireUser(req.principal), req.body)),
  );

  app.get(
    '/invites',
    {
      config: { access: 'admin' },
      schema: { operationId: 'get_invites', tags, response: { 200: ItemResponse(Type.Array(Invite)) } },
    },
    async (req) => ok(await invites.list(requireUser(req.principal))),
  );

  app.get(
    '/invites/:id',
    {
      config: { access: 'admin' },
      schema: { operationId: 'get_invite', tags, params: IdParams, response: { 200: ItemResponse(Invite) } },
    },
    async (req) => ok(await invites.get(requireUser(req.principal), req.params.id)),
  );

  app.delete(
    '/invites/:id/revoke',
    {
      config: { access: 'admin' },
      schema: {
        operationId: 'revoke_invite',
        tags,
        params: IdParams,
        response: { 200: ItemResponse(Type.Null()) },
      },
    },
    async (req) => {
      await invites.revoke(requireUser(req.principal), req.params.id);
      return ok(null);
    },
  );

  app.get(
    '/invites/:id/accept',
    {
      config: { access: 'public' },
      schema: {
        operationId: 'accept_invite',
        tags,
        params: IdParams,
        description:
          'Browser link: remembers the invite in the session and redirects (302) to `/?invite=<id>`, where ' +
          'registering joins the organization; an unknown, used or expired invite redirects to `/?error=…`.',
        response: { 200: Type.Null(), 302: Type.Null() },
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      const accepted = await invites.accept(req.session, id);
      if (accepted.problem) return reply.redirect(`/?error=${accepted.problem}`);
      if (accepted.token) setSessionCookie(reply, config, accepted.token);
      return reply.redirect(`/?invite=${id}`);
    },
  );
}
