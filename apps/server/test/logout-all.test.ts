import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, PASSWORD, registerOwner, resetDb, startTestServer, type TestServer } from './harness.ts';

describe('sign out everywhere', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer('pglite');
    await resetDb(s.db);
  });
  afterAll(async () => s?.close());

  it('ends every session of the user, the calling one included, and leaves other users signed in', async () => {
    const { client: laptop, email } = await registerOwner(s.app);
    const phone = new Client(s.app);
    await phone.json('POST', '/api/auth/login', { email, password: PASSWORD });
    expect((await phone.req('POST', '/api/auth/me')).statusCode).toBe(200);

    const res = await laptop.req('POST', '/api/auth/logout-all');
    expect(res.statusCode).toBe(200);
    expect(laptop.cookie).toBeUndefined();
    expect((await phone.req('POST', '/api/auth/me')).statusCode).toBe(401);
    // Signing in again works.
    await phone.json('POST', '/api/auth/login', { email, password: PASSWORD });
    expect((await phone.req('POST', '/api/auth/me')).statusCode).toBe(200);
  });

  it('needs a browser session', async () => {
    expect((await new Client(s.app).req('POST', '/api/auth/logout-all')).statusCode).toBe(401);
  });
});
