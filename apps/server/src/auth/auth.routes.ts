import { randomUUID } from 'node:crypto';
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
import { ok } from '../http/envelope.ts';
import { AppError } from '../http/errors.ts';
import type { RouteApp } from '../http/route-app.ts';
import { ItemResponse } from '../http/schemas.ts';
import type { Services } from '../services.ts';
import { clearSessionCookie, setSessionCookie } from './session-cookie.ts';

export async function authRoutes(app: RouteApp, { config, accounts }: Services) {
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
      const networkId = randomUUID();
      const token = await accounts.startSetup(req.session, req.body, networkId);
      if (token) setSessionCookie(reply, config, token);
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
      await accounts.checkEmail(req.body.email);
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
      const { user, token } = await accounts.signUp(req.session, req.body);
      // An unverified account gets no session: the emailed link logs it in once the address is proven.
      if (token) setSessionCookie(reply, config, token);
      else clearSessionCookie(reply);
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
      const { user, token } = await accounts.login(req.session, req.body.email, req.body.password);
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
      await accounts.logout(req.session);
      clearSessionCookie(reply);
      return ok(null);
    },
  );

  app.post(
    '/logout-all',
    {
      config: { access: 'session' },
      schema: {
        operationId: 'logout_all',
        tags,
        description: 'Signs the user out everywhere: ends every session of the user, this one included.',
        response: { 200: ItemResponse(Type.Null()) },
      },
    },
    async (req, reply) => {
      if (req.principal?.kind !== 'session') throw new AppError('auth_not_authenticated');
      await accounts.logoutEverywhere(req.principal.userId);
      clearSessionCookie(reply);
      return ok(null);
    },
  );

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
      const { user, token } = await accounts.verifyEmail(req.session, req.body.token);
      setSessionCookie(reply, config, token);
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
      await accounts.resendVerification(req.body.email);
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
      await accounts.forgotPassword(req.body.email);
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
      const { user, token } = await accounts.resetPassword(req.session, req.body.token, req.body.password);
      setSessionCookie(reply, config, token);
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
      const { current_password, new_password } = req.body;
      return ok(
        await accounts.changePassword(req.principal.userId, req.session.id, current_password, new_password),
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
      await accounts.requestEmailChange(req.principal.userId, req.body.current_password, req.body.new_email);
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
