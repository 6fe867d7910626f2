import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import {
  CheckEmailRequest,
  ForgotPasswordRequest,
  LoginRequest,
  RegisterRequest,
  RequestEmailChangeRequest,
  ResendVerificationRequest,
  ResetPasswordRequest,
  SetupRequest,
  SetupResponse,
  UpdatePasswordRequest,
  User,
  VerifyEmailRequest,
} from '@scanopy/contracts';
import type { ServerConfig } from '../config.ts';
import type { Db } from '../db/client.ts';
import { ok } from '../http/envelope.ts';
import { AppError } from '../http/errors.ts';
import { ItemResponse } from '../http/schemas.ts';
import { SESSION_COOKIE, setSessionCookie } from './session-cookie.ts';
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
    '/check-email',
    {
      config: { access: 'public' },
      schema: {
        operationId: 'check_email',
        tags,
        description:
          'Answers 200 when no account uses the address (compared case-insensitively), 409 user_email_in_use otherwise.',
        body: CheckEmailRequest,
        response: { 200: ItemResponse(Type.Null()) },
      },
    },
    async (req) => {
      await accounts.checkEmail((req.body as { email: string }).email);
      return ok(null);
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
      // An unverified account gets no session: the emailed link logs it in once the address is proven.
      if ((user as { email_verified?: boolean }).email_verified !== false) {
        const { token } = await sessions.create(user.id);
        setSessionCookie(reply, config, token);
      } else {
        reply.clearCookie(SESSION_COOKIE, { path: '/' });
      }
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

  /** A fresh session for a user who just proved who they are (fixation defence: the old id is dropped). */
  async function logIn(req: FastifyRequest, reply: FastifyReply, userId: string) {
    if (req.session) await sessions.destroy(req.session.id);
    const { token } = await sessions.create(userId);
    setSessionCookie(reply, config, token);
  }

  app.post(
    '/verify-email',
    {
      config: { access: 'public' },
      schema: {
        operationId: 'verify_email',
        tags,
        description:
          'Verifies the address with the token from the emailed link (a new account, or an email change, which then ' +
          'takes effect) and logs the user in.',
        body: VerifyEmailRequest,
        response: { 200: ItemResponse(User) },
      },
    },
    async (req, reply) => {
      const user = (await accounts.verifyEmail((req.body as { token: string }).token)) as { id: string };
      await logIn(req, reply, user.id);
      return ok(user);
    },
  );

  app.post(
    '/resend-verification',
    {
      config: { access: 'public' },
      schema: {
        operationId: 'resend_verification',
        tags,
        description:
          'Mails a new verification link to an unverified account (at most once a minute per address). ' +
          'Answers 200 whether or not the account exists.',
        body: ResendVerificationRequest,
        response: { 200: ItemResponse(Type.Null()) },
      },
    },
    async (req) => {
      await accounts.resendVerification((req.body as { email: string }).email);
      return ok(null);
    },
  );

  app.post(
    '/forgot-password',
    {
      config: { access: 'public' },
      schema: {
        operationId: 'forgot_password',
        tags,
        description:
          'Mails a password reset link valid for one hour. Answers 200 whether or not the account exists.',
        body: ForgotPasswordRequest,
        response: { 200: ItemResponse(Type.Null()) },
      },
    },
    async (req) => {
      await accounts.forgotPassword((req.body as { email: string }).email);
      return ok(null);
    },
  );

  app.post(
    '/reset-password',
    {
      config: { access: 'public' },
      schema: {
        operationId: 'reset_password',
        tags,
        description:
          'Sets a new password with the token from the emailed link, ends all sessions of the user and logs in.',
        body: ResetPasswordRequest,
        response: { 200: ItemResponse(User) },
      },
    },
    async (req, reply) => {
      const body = req.body as { token: string; password: string };
      const user = (await accounts.resetPassword(body.token, body.password)) as { id: string };
      await logIn(req, reply, user.id);
      return ok(user);
    },
  );

  app.post(
    '/update',
    {
      config: { access: 'session' },
      schema: {
        operationId: 'update_password_auth',
        tags,
        description: 'Changes the password (current one required) and ends the other sessions of the user.',
        body: UpdatePasswordRequest,
        response: { 200: ItemResponse(User) },
      },
    },
    async (req) => {
      if (req.principal?.kind !== 'session' || !req.session) throw new AppError('auth_not_authenticated');
      const body = req.body as { current_password?: string | null; new_password: string };
      return ok(
        await accounts.changePassword(
          req.principal.userId,
          req.session.id,
          body.current_password,
          body.new_password,
        ),
      );
    },
  );

  app.post(
    '/request-email-change',
    {
      config: { access: 'session' },
      schema: {
        operationId: 'request_email_change',
        tags,
        description:
          'Mails a confirmation link (valid 24 hours) to the new address; following it (POST /api/auth/verify-email) ' +
          'switches the address. The current password is required when the account has one; accounts linked to an ' +
          'OIDC provider cannot change their address here. Needs email to be configured.',
        body: RequestEmailChangeRequest,
        response: { 200: ItemResponse(Type.Null()) },
      },
    },
    async (req) => {
      if (req.principal?.kind !== 'session') throw new AppError('auth_not_authenticated');
      const body = req.body as { current_password?: string | null; new_email: string };
      await accounts.requestEmailChange(req.principal.userId, body.current_password, body.new_email);
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
