import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  backends,
  Client,
  PASSWORD,
  registerOwner,
  resetDb,
  startTestServer,
  type TestServer,
} from './harness.ts';
import { MailSink } from './mail-sink.ts';
import { sqlRows } from './sql.ts';

const PUBLIC_URL = 'https://scanopy.example.com';
const NEW_PASSWORD = 'Battery-Staple-42';

function linkIn(text: string, path: string): string {
  const m = new RegExp(`${PUBLIC_URL.replace(/\./g, '\\.')}${path}\\?token=([A-Za-z0-9_-]+)`).exec(text);
  if (!m) throw new Error(`no ${path} link in mail:\n${text}`);
  return m[1];
}

describe.each(backends)('email flows with SMTP on %s', (backend) => {
  let s: TestServer;
  const sink = new MailSink();

  beforeAll(async () => {
    const port = await sink.start();
    s = await startTestServer(backend, {
      publicUrl: `${PUBLIC_URL}/`,
      smtpHost: '127.0.0.1',
      smtpPort: port,
      smtpFrom: 'Scanopy <scanopy@example.com>',
    });
  });
  afterAll(async () => {
    await s?.close();
    await sink.stop();
  });
  beforeEach(async () => resetDb(s.db));

  /** The owner (first account, verified without mail) and a second account that has to verify. */
  async function unverifiedUser(email: string) {
    await registerOwner(s.app);
    const c = new Client(s.app);
    const user = await c.json('POST', '/api/auth/register', {
      email,
      password: PASSWORD,
      terms_accepted: true,
    });
    return { c, user };
  }

  it('keeps the first account verified and announces the email service', async () => {
    const anon = new Client(s.app);
    expect((await anon.json('GET', '/api/config')).has_email_service).toBe(true);
    const { client, user } = await registerOwner(s.app, 'first@example.com');
    expect(user.email_verified).toBe(true);
    expect((await client.req('POST', '/api/auth/me')).statusCode).toBe(200);
  });

  it('mails an invite, then makes the invited user verify by the emailed link before logging in', async () => {
    const { client: owner, networkId } = await registerOwner(s.app);
    const invite = await owner.json('POST', '/api/v1/invites', {
      permissions: 'Member',
      network_ids: [networkId],
      send_to: 'new@example.com',
    });
    const inviteMail = await sink.next('new@example.com');
    const acceptPath = `/api/v1/invites/${invite.id}/accept`;
    expect(inviteMail.text).toContain(`${PUBLIC_URL}${acceptPath}`);

    const invited = new Client(s.app);
    expect((await invited.req('GET', acceptPath)).statusCode).toBe(302);
    const user = await invited.json('POST', '/api/auth/register', {
      email: 'new@example.com',
      password: PASSWORD,
      terms_accepted: true,
    });
    expect(user).toMatchObject({ email_verified: false, permissions: 'Member', network_ids: [networkId] });
    expect((await invited.req('POST', '/api/auth/me')).statusCode).toBe(401);

    const login = await new Client(s.app).req('POST', '/api/auth/login', {
      email: 'new@example.com',
      password: PASSWORD,
    });
    expect(login.statusCode).toBe(403);
    expect(login.json().code).toBe('auth_email_not_verified');

    const verifyMail = await sink.next('new@example.com', 1);
    const token = linkIn(verifyMail.text, '/verify-email');
    expect(token).toHaveLength(43);
    // Only the hash is stored.
    expect(await sqlRows(s.db, 'SELECT 1 FROM user_tokens WHERE token_hash = $1', [token])).toHaveLength(0);

    const browser = new Client(s.app);
    const verified = await browser.json('POST', '/api/auth/verify-email', { token });
    expect(verified).toMatchObject({ id: user.id, email_verified: true });
    expect((await browser.json('POST', '/api/auth/me')).id).toBe(user.id);
    const reuse = await new Client(s.app).req('POST', '/api/auth/verify-email', { token });
    expect(reuse.statusCode).toBe(400);
    expect(reuse.json().code).toBe('auth_token_invalid');
    await new Client(s.app).json('POST', '/api/auth/login', { email: 'new@example.com', password: PASSWORD });
  });

  it('resends a verification link at most once a minute and answers 200 for unknown addresses', async () => {
    await unverifiedUser('slow@example.com');
    const first = linkIn((await sink.next('slow@example.com')).text, '/verify-email');
    const anon = new Client(s.app);
    await anon.json('POST', '/api/auth/resend-verification', { email: 'slow@example.com' });
    const second = linkIn((await sink.next('slow@example.com', 1)).text, '/verify-email');
    expect(second).not.toBe(first);
    // Inside the cooldown no new token is minted, so the last mailed link keeps working.
    await anon.json('POST', '/api/auth/resend-verification', { email: 'SLOW@example.com' });
    await anon.json('POST', '/api/auth/resend-verification', { email: 'nobody@example.com' });
    expect((await anon.req('POST', '/api/auth/verify-email', { token: first })).statusCode).toBe(400);
    const user = await anon.json('POST', '/api/auth/verify-email', { token: second });
    expect(user.email_verified).toBe(true);
  });

  it('resets a forgotten password by the emailed link, ending old sessions; the link works once', async () => {
    const { client: old, email } = await registerOwner(s.app);
    const anon = new Client(s.app);
    await anon.json('POST', '/api/auth/forgot-password', { email: 'nobody@example.com' });
    await anon.json('POST', '/api/auth/forgot-password', { email: email.toUpperCase() });
    const token = linkIn((await sink.next(email)).text, '/reset-password');

    const weak = await anon.req('POST', '/api/auth/reset-password', { token, password: 'weakpassword' });
    expect(weak.statusCode).toBe(400);
    expect(weak.json().code).toBe('auth_password_invalid');

    const browser = new Client(s.app);
    await browser.json('POST', '/api/auth/reset-password', { token, password: NEW_PASSWORD });
    expect((await browser.req('POST', '/api/auth/me')).statusCode).toBe(200);
    expect((await old.req('POST', '/api/auth/me')).statusCode).toBe(401);

    const reuse = await anon.req('POST', '/api/auth/reset-password', { token, password: 'Another-Pass-77' });
    expect(reuse.json().code).toBe('auth_token_invalid');
    expect((await anon.req('POST', '/api/auth/login', { email, password: PASSWORD })).statusCode).toBe(401);
    await anon.json('POST', '/api/auth/login', { email, password: NEW_PASSWORD });
  });

  it('refuses an expired reset link', async () => {
    const { email } = await registerOwner(s.app);
    const anon = new Client(s.app);
    await anon.json('POST', '/api/auth/forgot-password', { email });
    const token = linkIn((await sink.next(email)).text, '/reset-password');
    await sqlRows(s.db, "UPDATE user_tokens SET expires_at = now() - interval '1 second'");
    const r = await anon.req('POST', '/api/auth/reset-password', { token, password: NEW_PASSWORD });
    expect(r.statusCode).toBe(400);
    expect(r.json().code).toBe('auth_token_invalid');
  });

  it('changes the password with the current one, keeps this session and ends the others', async () => {
    const { client: here, email } = await registerOwner(s.app);
    const elsewhere = new Client(s.app);
    await elsewhere.json('POST', '/api/auth/login', { email, password: PASSWORD });

    const wrong = await here.req('POST', '/api/auth/update', {
      current_password: 'Wrong-password-1',
      new_password: NEW_PASSWORD,
    });
    expect(wrong.statusCode).toBe(400);
    const missing = await here.req('POST', '/api/auth/update', { new_password: NEW_PASSWORD });
    expect(missing.statusCode).toBe(400);
    const weak = await here.req('POST', '/api/auth/update', {
      current_password: PASSWORD,
      new_password: 'short',
    });
    expect(weak.json().code).toBe('auth_password_invalid');

    await here.json('POST', '/api/auth/update', { current_password: PASSWORD, new_password: NEW_PASSWORD });
    expect((await here.req('POST', '/api/auth/me')).statusCode).toBe(200);
    expect((await elsewhere.req('POST', '/api/auth/me')).statusCode).toBe(401);
    expect((await sink.next(email)).subject).toMatch(/password was changed/);
    await new Client(s.app).json('POST', '/api/auth/login', { email, password: NEW_PASSWORD });
  });
});

describe.each(backends)('without email on %s', (backend) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(backend);
  });
  afterAll(async () => s?.close());

  it('auto-verifies, refuses the mail flows with a clear 400 and still creates invites', async () => {
    const anon = new Client(s.app);
    expect((await anon.json('GET', '/api/config')).has_email_service).toBe(false);
    const { client: owner, networkId } = await registerOwner(s.app);
    const second = new Client(s.app);
    const user = await second.json('POST', '/api/auth/register', {
      email: 'second@example.com',
      password: PASSWORD,
    });
    expect(user.email_verified).toBe(true);
    expect((await second.req('POST', '/api/auth/me')).statusCode).toBe(200);

    for (const path of ['/api/auth/forgot-password', '/api/auth/resend-verification']) {
      const r = await anon.req('POST', path, { email: 'second@example.com' });
      expect(r.statusCode).toBe(400);
      expect(r.json()).toMatchObject({ success: false, code: 'email_not_configured' });
    }
    const invite = await owner.json('POST', '/api/v1/invites', {
      permissions: 'Viewer',
      network_ids: [networkId],
      send_to: 'guest@example.com',
    });
    expect(invite.send_to).toBe('guest@example.com');
  });
});

describe('with an unreachable SMTP server', () => {
  let s: TestServer;
  beforeAll(async () => {
    // A port that was just free: connections are refused at once.
    const sink = new MailSink();
    const port = await sink.start();
    await sink.stop();
    s = await startTestServer('pglite', {
      smtpHost: '127.0.0.1',
      smtpPort: port,
      smtpFrom: 'scanopy@example.com',
    });
  });
  afterAll(async () => s?.close());

  it('still answers registration and forgot-password', async () => {
    const { email } = await registerOwner(s.app);
    const anon = new Client(s.app);
    await anon.json('POST', '/api/auth/forgot-password', { email });
    const user = await anon.json('POST', '/api/auth/register', {
      email: 'x@example.com',
      password: PASSWORD,
    });
    expect(user.email_verified).toBe(false);
  });
});
