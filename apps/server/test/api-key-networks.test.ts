import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resetDb, startTestServer, type TestServer } from './harness.ts';
import { buildOrg, call, createUserKey, data, type Actor, type Org } from './fixtures/world.ts';

const subnet = (networkId: string, cidr: string) => ({
  network_id: networkId,
  cidr,
  name: 'lan',
  subnet_type: 'Lan',
});

// The reason of a refused write must name what is wrong with the key, not blame the network the caller sent.
describe('a user API key without networks', () => {
  let s: TestServer;
  let A: Org;
  let owner: Actor;
  beforeAll(async () => {
    s = await startTestServer('pglite');
  });
  afterAll(async () => s?.close());
  beforeEach(async () => {
    await resetDb(s.db);
    A = await buildOrg(s.app, s.db, 'A');
    owner = A.sessions.Owner!;
  });

  it('is refused a network write with auth_api_key_no_networks, which says the key has no network', async () => {
    const key = await createUserKey(s.app, owner, { name: 'no-nets', permissions: 'Member' });
    const res = await call(s.app, key, 'POST', '/api/v1/subnets', subnet(A.networkId, '10.91.0.0/24'));
    expect(res.statusCode).toBe(403);
    const body = res.json<{ success: boolean; code: string; error: string }>();
    expect(body.success).toBe(false);
    expect(body.code).toBe('auth_api_key_no_networks');
    expect(body.error).toMatch(/API key has no network/);
    // The same write on the same network works once the key is given it.
    await data(
      call(s.app, owner, 'PUT', `/api/v1/auth/keys/${key.keyId}`, {
        name: 'no-nets',
        network_ids: [A.networkId],
      }),
    );
    const ok = await call(s.app, key, 'POST', '/api/v1/subnets', subnet(A.networkId, '10.91.0.0/24'));
    expect(ok.statusCode).toBe(200);
  });

  it('keeps entity_reference_invalid for a key that has networks but not the one written to', async () => {
    const key = await createUserKey(s.app, owner, {
      name: 'one-net',
      permissions: 'Member',
      network_ids: [A.networkId],
    });
    const other = await data<{ id: string }>(
      call(s.app, owner, 'POST', '/api/v1/networks', { name: 'second' }),
    );
    const res = await call(s.app, key, 'POST', '/api/v1/subnets', subnet(other.id, '10.92.0.0/24'));
    expect(res.statusCode).toBe(400);
    expect(res.json<{ code: string }>().code).toBe('entity_reference_invalid');
  });
});
