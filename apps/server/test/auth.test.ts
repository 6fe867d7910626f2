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
import { sqlRows } from './sql.ts';

describe.each(backends)('accounts and sessions on %s', (backend) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(backend, { sessionTtlHours: 1 });
  });
  afterAll(async () => s?.close());
  beforeEach(async () => resetDb(s.db));

  it('makes the first registered user the Owner of a new org with a network and its system subnets', async () => {
    const anon = new Client(s.app);
    expect((await anon.json('GET', '/api/config')).needs_setup).toBe(true);
    await anon.json('POST', '/api/auth/setup', { organization_name: 'Acme', network: { name: 'Home Lab' } });
    const user = await anon.json('POST', '/api/auth/register', {
      email: 'a@example.com',
      password: PASSWORD,
      terms_accepted: true,
    });
    expect(user.permissions).toBe('Owner');
    expect(user).not.toHaveProperty('password_hash');
    const nets = await anon.json('GET', '/api/v1/networks');
    expect(nets.map((n: { name: string }) => n.name)).toEqual(['Home Lab']);
    const subnets = await anon.json('GET', `/api/v1/subnets?network_id=${nets[0].id}`);
    expect(subnets.map((x: { name: string; subnet_type: string }) => [x.name, x.subnet_type]).sort()).toEqual(
      [
        ['Internet', 'Internet'],
        ['Remote Network', 'Remote'],
      ],
    );
    expect((await anon.json('GET', '/api/config')).needs_setup).toBe(false);
  });

  it('sets an HttpOnly SameSite=Lax session cookie with a 7-day style sliding expiry', async () => {
    const anon = new Client(s.app);
    const res = await anon.req('POST', '/api/auth/register', { email: 'c@example.com', password: PASSWORD });
    const cookie = res.cookies.find((c) => c.name === 'session_id');
    expect(cookie?.httpOnly).toBe(true);
    expect(cookie?.sameSite).toBe('Lax');
    expect(cookie?.maxAge).toBe(3600);
    const [row] = await sqlRows<{ expires_at: Date }>(s.db, 'SELECT expires_at FROM sessions');
    expect(row.expires_at.getTime()).toBeGreaterThan(Date.now() + 3500_000);
    // The cookie value itself is never stored.
    expect(await sqlRows(s.db, 'SELECT 1 FROM sessions WHERE id = $1', [cookie?.value])).toHaveLength(0);
  });

  it('rejects weak passwords and duplicate emails with 4xx', async () => {
    const anon = new Client(s.app);
    for (const pw of ['short1A', 'alllowercase1', 'ALLUPPERCASE1', 'NoDigitsHereAtAll']) {
      const r = await anon.req('POST', '/api/auth/register', { email: 'w@example.com', password: pw });
      expect(r.statusCode).toBe(400);
      expect(r.json().success).toBe(false);
    }
    await registerOwner(s.app, 'dup@example.com');
    const r = await anon.req('POST', '/api/auth/register', { email: 'DUP@example.com', password: PASSWORD });
    expect(r.statusCode).toBe(409);
    expect(r.json().code).toBe('user_email_in_use');
  });

  it('logs in, answers me, and logs out', async () => {
    await registerOwner(s.app, 'l@example.com');
    const c = new Client(s.app);
    expect((await c.req('POST', '/api/auth/me')).statusCode).toBe(401);
    const bad = await c.req('POST', '/api/auth/login', {
      email: 'l@example.com',
      password: 'Wrong-password-1',
    });
    expect(bad.statusCode).toBe(401);
    expect(bad.json().code).toBe('auth_invalid_credentials');
    const me = await c.json('POST', '/api/auth/login', { email: 'L@example.com', password: PASSWORD });
    expect(me.email).toBe('l@example.com');
    expect((await c.json('POST', '/api/auth/me')).id).toBe(me.id);
    const old = c.cookie;
    await c.json('POST', '/api/auth/logout');
    const again = new Client(s.app);
    again.cookie = old;
    expect((await again.req('POST', '/api/auth/me')).statusCode).toBe(401);
  });

  it('locks an account after five failed logins', async () => {
    await registerOwner(s.app, 'lock@example.com');
    const c = new Client(s.app);
    for (let i = 0; i < 5; i++) {
      expect(
        (await c.req('POST', '/api/auth/login', { email: 'lock@example.com', password: 'Wrong-password-1' }))
          .statusCode,
      ).toBe(401);
    }
    const r = await c.req('POST', '/api/auth/login', { email: 'lock@example.com', password: PASSWORD });
    expect(r.statusCode).toBe(429);
  });

  it('expires sessions after the inactivity window and slides it on use', async () => {
    const { client } = await registerOwner(s.app);
    await sqlRows(s.db, "UPDATE sessions SET expires_at = now() + interval '10 minutes'");
    expect((await client.req('POST', '/api/auth/me')).statusCode).toBe(200);
    const [slid] = await sqlRows<{ expires_at: Date }>(s.db, 'SELECT expires_at FROM sessions');
    expect(slid.expires_at.getTime()).toBeGreaterThan(Date.now() + 50 * 60_000);
    await sqlRows(s.db, "UPDATE sessions SET expires_at = now() - interval '1 second'");
    expect((await client.req('POST', '/api/auth/me')).statusCode).toBe(401);
  });
});

describe('public routes', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer('pglite');
  });
  afterAll(async () => s?.close());

  it('ignore a stale credential instead of refusing the request', async () => {
    const health = await s.app.inject({
      url: '/api/health',
      headers: { authorization: 'Bearer scp_u_stale' },
    });
    expect(health.statusCode).toBe(200);
    const cfg = await s.app.inject({ url: '/api/config', headers: { cookie: 'session_id=gone' } });
    expect(cfg.statusCode).toBe(200);
  });
});
