import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { Type } from 'typebox';
import { CreateInviteRequest, Invite } from '@scanopy/contracts';
import type { ServerConfig } from '../../config.ts';
import type { Db } from '../../db/client.ts';
import { setSessionCookie } from '../../auth/session-cookie.ts';
import type { SessionStore } from '../../auth/sessions.ts';
import type { EmailService } from '../../auth/email.service.ts';
import { requireUser, roleRank, type Role, type UserPrincipal } from '../../auth/principal.ts';
import { ok } from '../../http/envelope.ts';
import { AppError, notFound } from '../../http/errors.ts';
import { Where } from '../../http/query.ts';
import { IdParams, ItemResponse } from '../../http/schemas.ts';
import { rankSql } from '../users/users.service.ts';

const columns = `t.id, t.created_at, t.updated_at, t.organization_id, t.permissions, t.network_ids, t.url,
  t.created_by, t.expires_at, t.send_to`;
const tags = ['invites'];

/** Owners see every invite of the org; others only those they created or with a role below their own. */
function visible(p: UserPrincipal, w: Where): Where {
  w.add(`t.organization_id = ${w.param(p.organizationId)}`);
  if (p.role !== 'Owner') {
    w.add(
      `(t.created_by = ${w.param(p.userId)} OR ${rankSql('t.permissions')} < ${w.param(roleRank(p.role))})`,
    );
  }
  return w;
}

export async function inviteRoutes(
  app: FastifyInstance,
  opts: { db: Db; config: ServerConfig; sessions: SessionStore; email: EmailService },
) {
  const { db, config, sessions, email } = opts;

  async function getVisible(p: UserPrincipal, id: string) {
    const w = visible(p, new Where());
    w.add(`t.id = ${w.param(id)}`);
    const [row] = await db.query(`SELECT ${columns} FROM invites t ${w.sql()}`, w.params);
    if (!row) throw notFound('Invite');
    return row;
  }

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
    async (req) => {
      const p = requireUser(req.principal);
      const body = req.body as {
        permissions: Role;
        network_ids: string[];
        send_to?: string | null;
        expiration_hours?: number | null;
      };
      if (roleRank(body.permissions) > roleRank(p.role)) {
        throw new AppError('auth_permission_denied', { role: body.permissions });
      }
      const networks = [...new Set(body.network_ids)];
      if (networks.some((n) => !p.networkIds.includes(n))) throw new AppError('entity_reference_invalid');
      if (body.send_to) {
        const [taken] = await db.query('SELECT 1 FROM users WHERE lower(email) = lower($1)', [body.send_to]);
        if (taken) throw new AppError('user_email_in_use');
      }
      const id = randomUUID();
      await db.query(
        `INSERT INTO invites (id, organization_id, permissions, network_ids, url, created_by, send_to, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, now() + make_interval(hours => $8))`,
        [
          id,
          p.organizationId,
          body.permissions,
          networks,
          config.publicUrl.replace(/\/+$/, ''),
          p.userId,
          body.send_to ?? null,
          body.expiration_hours ?? 168,
        ],
      );
      const invite = await getVisible(p, id);
      if (body.send_to) {
        const [org] = await db.query<{ name: string }>('SELECT name FROM organizations WHERE id = $1', [
          p.organizationId,
        ]);
        // Not awaited: the invite exists either way and the link can still be copied by hand.
        void email.send({
          to: body.send_to,
          subject: `You are invited to ${org?.name ?? 'an organization'} on Scanopy`,
          text:
            `You have been invited to join ${org?.name ?? 'an organization'} on Scanopy as ${body.permissions}.\n\n` +
            `Accept the invitation here:\n${email.link(`/api/v1/invites/${id}/accept`)}`,
        });
      }
      return ok(invite);
    },
  );

  app.get(
    '/invites',
    {
      config: { access: 'admin' },
      schema: { operationId: 'get_invites', tags, response: { 200: ItemResponse(Type.Array(Invite)) } },
    },
    async (req) => {
      const w = visible(requireUser(req.principal), new Where()).add('t.expires_at > now()');
      return ok(
        await db.query(`SELECT ${columns} FROM invites t ${w.sql()} ORDER BY t.created_at`, w.params),
      );
    },
  );

  app.get(
    '/invites/:id',
    {
      config: { access: 'admin' },
      schema: { operationId: 'get_invite', tags, params: IdParams, response: { 200: ItemResponse(Invite) } },
    },
    async (req) => ok(await getVisible(requireUser(req.principal), (req.params as { id: string }).id)),
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
      const { id } = req.params as { id: string };
      await getVisible(requireUser(req.principal), id);
      await db.query('DELETE FROM invites WHERE id = $1', [id]);
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
    async (req: FastifyRequest, reply: FastifyReply) => {
      const { id } = req.params as { id: string };
      const [invite] = await db.query<{ expired: boolean }>(
        'SELECT expires_at <= now() AS expired FROM invites WHERE id = $1',
        [id],
      );
      if (!invite) return reply.redirect('/?error=invite_not_found');
      if (invite.expired) return reply.redirect('/?error=invite_expired');
      const data = { pending_invite_id: id };
      if (req.session) {
        await sessions.setData(req.session.id, { ...req.session.data, ...data });
      } else {
        const { token } = await sessions.create(null, data);
        setSessionCookie(reply, config, token);
      }
      return reply.redirect(`/?invite=${id}`);
    },
  );
}
