import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { LoginRequest, RegisterRequest, SetupRequest, SetupResponse, User } from '@scanopy/contracts';
import type { ServerConfig } from '../config.ts';
import type { Db } from '../db/client.ts';
import { ok } from '../http/envelope.ts';
import { AppError } from '../http/errors.ts';
import { ItemResponse } from '../http/schemas.ts';
import { SESSION_COOKIE, setSessionCookie } from '../app.ts';
import type { SessionStore } from './sessions.ts';
import type { AccountService, SetupData } from './account.service.ts';
import { randomUUID } from 'node:crypto';

interface Opts {
  config: ServerConfig;
  db: Db;
  sessions: SessionStore;
  accounts: AccountService;
}

export async function authRoutes(app: FastifyInstance, opts: Opts) {
  const { config, sessions, accounts } = opts;
  const tags = ['auth'];

  app.post(
    '/setup',
    {
      config: { access: 'public' },
      schema: {
        operationId: 'setup',
        tags,
        body: SetupRequest,
        response: { 200: ItemResponse(SetupResponse) },
      },
    },
    async (req, reply) => {
      const body = req.body as SetupData;
      const networkId = randomUUID();
      const data = { pending_setup: { ...body, network_id: networkId } };
      if (req.session) {
        await sessions.setData(req.session.id, { ...req.session.data, ...data });
      } else {
        const { token } = await sessions.create(null, data);
        setSessionCookie(reply, config, token);
      }
      return ok({ network_id: networkId });
    },
  );

  app.post(
    '/register',
    {
      config: { access: 'public' },
      schema: { operationId: 'register', tags, body: RegisterRequest, response: { 200: ItemResponse(User) } },
    },
    async (req, reply) => {
      const body = req.body as {
        email: string;
        password: string;
        terms_accepted?: boolean;
        website?: string;
      };
      const setup = req.session?.data.pending_setup as SetupData | undefined;
      const invite = req.session?.data.pending_invite_id as string | undefined;
      const user = (await accounts
        .register(
          body.email,
          body.password,
          body.terms_accepted ?? false,
          setup,
          config.disableRegistration,
          invite,
        )
        .catch(async (err: unknown) => {
          // A spent or expired invite must not block this browser from registering on its own later.
          if (req.session && err instanceof AppError && err.code === 'invite_invalid') {
            const { pending_invite_id: _, ...rest } = req.session.data;
            await sessions.setData(req.session.id, rest);
          }
          throw err;
        })) as { id: string };
      if (req.session) await sessions.destroy(req.session.id);
      const { token } = await sessions.create(user.id);
      setSessionCookie(reply, config, token);
      return ok(user);
    },
  );

  app.post(
    '/login',
    {
      config: { access: 'public' },
      schema: { operationId: 'login', tags, body: LoginRequest, response: { 200: ItemResponse(User) } },
    },
    async (req, reply) => {
      const body = req.body as { email: string; password: string };
      const user = (await accounts.login(body.email, body.password)) as { id: string };
      // A fresh session id on login defeats session fixation.
      if (req.session) await sessions.destroy(req.session.id);
      const { token } = await sessions.create(user.id);
      setSessionCookie(reply, config, token);
      return ok(user);
    },
  );

  app.post(
    '/logout',
    {
      config: { access: 'public' },
      schema: { operationId: 'logout', tags, response: { 200: ItemResponse(Type.Null()) } },
    },
    async (req, reply) => {
      if (req.session) await sessions.destroy(req.session.id);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return ok(null);
    },
  );

  app.post(
    '/me',
    {
      config: { access: 'session' },
      schema: { operationId: 'get_current_user', tags, response: { 200: ItemResponse(User) } },
    },
    async (req) => {
      if (req.principal?.kind !== 'session') throw new AppError('auth_not_authenticated');
      return ok(await accounts.getUser(req.principal.userId));
    },
  );
}
