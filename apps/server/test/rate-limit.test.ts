import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateLimiter } from '../src/http/rate-limit.plugin.ts';
import { backends, registerOwner, startTestServer, type TestServer } from './harness.ts';
import { addUser, createDaemon, createUserKey, type Actor, type DaemonIdentity } from './fixtures/world.ts';

describe('RateLimiter (GCRA)', () => {
  it('allows the burst at once, then one request per interval, and reports real numbers', () => {
    const l = new RateLimiter(60, 3);
    const t0 = 1_000_000;
    expect(l.take('k', t0)).toMatchObject({ allowed: true, limit: 3, remaining: 2, resetSeconds: 1 });
    expect(l.take('k', t0)).toMatchObject({ allowed: true, remaining: 1, resetSeconds: 2 });
    expect(l.take('k', t0)).toMatchObject({ allowed: true, remaining: 0, resetSeconds: 3 });
    expect(l.take('k', t0)).toMatchObject({ allowed: false, remaining: 0, retryAfterSeconds: 1 });
    // One second later exactly one token has come back.
    expect(l.take('k', t0 + 1000)).toMatchObject({ allowed: true, remaining: 0 });
    expect(l.take('k', t0 + 1000).allowed).toBe(false);
    expect(l.take('other', t0).remaining).toBe(2);
    // After a quiet period the bucket is full again.
    expect(l.take('k', t0 + 60_000)).toMatchObject({ allowed: true, remaining: 2 });
  });

  it('keeps memory bounded: full buckets are forgotten, and a flood of keys evicts the oldest', () => {
    const l = new RateLimiter(60, 5, 100);
    for (let i = 0; i < 1000; i++) l.take(`ip:${i}`, 0);
    expect(l.size).toBeLessThanOrEqual(100);
    // Long after, every bucket is full: the next sweep drops them all.
    for (let i = 0; i < 100; i++) l.take(`late:${i}`, 3_600_000);
    expect(l.size).toBeLessThanOrEqual(100);
    // The most recently used key survives the overflow eviction.
    expect(l.take('late:99', 3_600_000).remaining).toBe(3);
  });
});

const BURST = 20;

describe.each(backends)('rate limiting on %s', (backend) => {
  let s: TestServer;
  let owner: Actor;
  let ownerKey: Actor;
  let admin: Actor;
  let daemon: DaemonIdentity;

  const get = (url: string, headers: Record<string, string> = {}, remoteAddress = '127.0.0.1') =>
    s.app.inject({ method: 'GET', url, headers, remoteAddress });
  const n = (res: LightMyRequestResponse, h: string) => Number(res.headers[h]);

  beforeAll(async () => {
    // One token a minute: nothing refills while the test runs, so every count below is exact.
    s = await startTestServer(backend, { rateLimitPerMinute: 1, rateLimitBurst: BURST });
    const reg = await registerOwner(s.app);
    const ownerId = (reg.user as { id: string }).id;
    const orgId = (reg.user as { organization_id: string }).organization_id;
    owner = { label: 'owner', kind: 'session', role: 'Owner', userId: ownerId, org: 'A', headers: {} };
    owner.headers = { cookie: `session_id=${reg.client.cookie}` };
    ownerKey = await createUserKey(s.app, owner, { name: 'k', permissions: 'Viewer' });
    admin = await addUser(s.app, s.db, { orgId, ownerId }, 'Admin', []);
    daemon = await createDaemon(s.app, owner, reg.networkId);
  });
  afterAll(async () => s?.close());

  it('reports real X-RateLimit numbers, then answers 429 with Retry-After once the burst is spent', async () => {
    const first = await get('/api/v1/networks', owner.headers);
    expect(first.statusCode).toBe(200);
    expect(n(first, 'x-ratelimit-limit')).toBe(BURST);
    const left = n(first, 'x-ratelimit-remaining');
    expect(left).toBeGreaterThan(5);
    expect(left).toBeLessThan(BURST);
    // Seconds until the bucket is full: one minute per spent token, less the time since the set-up spent the first
    // (under a minute, so no token has come back yet).
    const reset = n(first, 'x-ratelimit-reset');
    expect(reset).toBeLessThanOrEqual((BURST - left) * 60);
    expect(reset).toBeGreaterThan((BURST - left - 1) * 60);
    for (let i = left - 1; i >= 0; i--) {
      const res = await get('/api/v1/networks', owner.headers);
      expect(res.statusCode).toBe(200);
      expect(n(res, 'x-ratelimit-remaining')).toBe(i);
    }
    const refused = await get('/api/v1/networks', owner.headers);
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toMatchObject({ success: false, code: 'rate_limit_exceeded' });
    // The next token is due a minute after the set-up spent the first one.
    expect(n(refused, 'retry-after')).toBeLessThanOrEqual(60);
    expect(n(refused, 'retry-after')).toBeGreaterThan(0);
    expect(n(refused, 'x-ratelimit-remaining')).toBe(0);
    expect(n(refused, 'x-ratelimit-limit')).toBe(BURST);
  });

  it("counts a user's API keys against the user, and other users and anonymous callers separately", async () => {
    const viaKey = await get('/api/v1/networks', ownerKey.headers);
    expect(viaKey.statusCode).toBe(429);
    const other = await get('/api/v1/networks', admin.headers);
    expect(other.statusCode).toBe(200);
    expect(n(other, 'x-ratelimit-remaining')).toBe(BURST - 1);
    const anon = await get('/api/version', {}, '10.1.1.1');
    expect(anon.statusCode).toBe(200);
    expect(n(anon, 'x-ratelimit-remaining')).toBe(BURST - 1);
  });

  it('exempts daemons, /api/health and /api/config', async () => {
    for (let i = 0; i < BURST + 2; i++) {
      const res = await s.app.inject({
        method: 'POST',
        url: `/api/daemons/${daemon.daemonId}/request-work`,
        headers: { ...daemon.actor.headers, 'content-type': 'application/json' },
        payload: JSON.stringify({ name: 'lab-daemon', mode: 'daemon_poll' }),
      });
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-ratelimit-limit']).toBeUndefined();
    }
    for (let i = 0; i < BURST + 2; i++) {
      for (const url of ['/api/health', '/api/config']) {
        const res = await get(url, {}, '10.2.2.2');
        expect(res.statusCode).toBe(200);
        expect(res.headers['x-ratelimit-limit']).toBeUndefined();
      }
    }
  });

  it('counts refused credentials against the client IP', async () => {
    const bad = { authorization: 'Bearer scp_u_00000000000000000000000000000000' };
    for (let i = BURST - 1; i >= 0; i--) {
      const res = await get('/api/v1/networks', bad, '10.3.3.3');
      expect(res.statusCode).toBe(401);
      expect(n(res, 'x-ratelimit-remaining')).toBe(i);
    }
    const refused = await get('/api/v1/networks', bad, '10.3.3.3');
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toMatchObject({ success: false, code: 'rate_limit_exceeded' });
    expect(n(refused, 'retry-after')).toBe(60);
  });

  it('limits login attempts per IP (10 at once) on top of the general limit', async () => {
    const login = (i: number, ip: string) =>
      s.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        remoteAddress: ip,
        headers: { 'content-type': 'application/json' },
        // A different unknown account each time: the per-account lockout never triggers.
        payload: JSON.stringify({ email: `nobody-${i}@example.com`, password: 'Wrong-password-1' }),
      });
    for (let i = 0; i < 10; i++) expect((await login(i, '10.4.4.4')).statusCode).toBe(401);
    const refused = await login(10, '10.4.4.4');
    expect(refused.statusCode).toBe(429);
    expect(refused.json().code).toBe('rate_limit_exceeded');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // Another IP still gets to try.
    expect((await login(11, '10.5.5.5')).statusCode).toBe(401);
  });
});

describe('rate limiting switched off', () => {
  it('sends no rate-limit headers when SCANOPY_RATE_LIMIT_PER_MINUTE is 0', async () => {
    const s = await startTestServer('pglite');
    try {
      const res = await s.app.inject({ method: 'GET', url: '/api/version' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-ratelimit-limit']).toBeUndefined();
    } finally {
      await s.close();
    }
  });
});
