import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { backends, resetDb, startTestServer, type TestServer } from './harness.ts';
import { addUser, buildOrg, call, createUserKey, data, type Org } from './fixtures/world.ts';
import { sqlRows } from './sql.ts';

describe.each(backends)('organizations on %s', (backend) => {
  let s: TestServer;
  let A: Org;
  let B: Org;
  beforeAll(async () => {
    s = await startTestServer(backend);
  });
  afterAll(async () => s?.close());
  beforeEach(async () => {
    await resetDb(s.db);
    A = await buildOrg(s.app, s.db, 'A', { staff: true });
    B = await buildOrg(s.app, s.db, 'B');
  });

  it("returns the caller's organization to sessions only", async () => {
    const org = await data(call(s.app, A.sessions.Viewer!, 'GET', '/api/v1/organizations'));
    expect(org).toMatchObject({ id: A.orgId, name: 'My Organization', onboarding: [], plan: null });
    const other = await data(call(s.app, B.sessions.Owner!, 'GET', '/api/v1/organizations'));
    expect(other.id).toBe(B.orgId);
    const key = await createUserKey(s.app, A.sessions.Owner!, { name: 'k', permissions: 'Owner' });
    expect((await call(s.app, key, 'GET', '/api/v1/organizations')).statusCode).toBe(403);
  });

  it('lets the Owner rename the organization with a bare JSON string', async () => {
    const owner = A.sessions.Owner!;
    const url = `/api/v1/organizations/${A.orgId}`;
    const renamed = await data(call(s.app, owner, 'PUT', url, '  Acme Labs '));
    expect(renamed).toMatchObject({ id: A.orgId, name: 'Acme Labs' });
    expect((await sqlRows(s.db, 'SELECT name FROM organizations WHERE id = $1', [A.orgId]))[0]).toEqual({
      name: 'Acme Labs',
    });
    expect((await call(s.app, A.sessions.Admin!, 'PUT', url, 'Nope')).statusCode).toBe(403);
    expect((await call(s.app, owner, 'PUT', `/api/v1/organizations/${B.orgId}`, 'Nope')).statusCode).toBe(
      404,
    );
    for (const bad of ['   ', '', 'x'.repeat(101)]) {
      const res = await call(s.app, owner, 'PUT', url, bad);
      expect(res.statusCode, JSON.stringify(bad)).toBe(400);
    }
    expect((await call(s.app, owner, 'PUT', url, { name: 'Obj' })).statusCode).toBe(400);
  });

  it('resets the organization: keeps the org and the owner, wipes the rest, makes a fresh default network', async () => {
    const owner = A.sessions.Owner!;
    const extraNet = await A.seed.network();
    await A.seed.host();
    await A.seed.tag();
    await A.seed.daemon();
    await A.seed.invite();
    await A.seed.userKey();
    const other = await addUser(s.app, s.db, { orgId: A.orgId, ownerId: A.owner.id }, 'Owner', []);
    await B.seed.host();

    expect(
      (await call(s.app, A.sessions.Admin!, 'POST', `/api/v1/organizations/${A.orgId}/reset`)).statusCode,
    ).toBe(403);
    expect((await call(s.app, owner, 'POST', `/api/v1/organizations/${B.orgId}/reset`)).statusCode).toBe(404);

    expect(await data(call(s.app, owner, 'POST', `/api/v1/organizations/${A.orgId}/reset`))).toBeNull();
    const [net] = await data(call(s.app, owner, 'GET', '/api/v1/networks'));
    expect(net).toMatchObject({ name: 'My Network', organization_id: A.orgId });
    const count = async (sql: string) => (await sqlRows<{ n: number }>(s.db, sql, [A.orgId]))[0].n;
    expect(await count('SELECT count(*)::int AS n FROM networks WHERE organization_id = $1')).toBe(1);
    expect(
      await sqlRows(
        s.db,
        'SELECT s.name, s.subnet_type FROM subnets s JOIN networks n ON n.id = s.network_id WHERE n.organization_id = $1 ORDER BY s.name',
        [A.orgId],
      ),
    ).toEqual([
      { name: 'Internet', subnet_type: 'Internet' },
      { name: 'Remote Network', subnet_type: 'Remote' },
    ]);
    for (const table of ['tags', 'invites', 'user_api_keys']) {
      expect(await count(`SELECT count(*)::int AS n FROM ${table} WHERE organization_id = $1`), table).toBe(
        0,
      );
    }
    expect(await sqlRows(s.db, 'SELECT id FROM users WHERE organization_id = $1', [A.orgId])).toEqual([
      { id: A.owner.id },
    ]);
    expect(await sqlRows(s.db, 'SELECT 1 FROM networks WHERE id = $1', [extraNet])).toEqual([]);
    // The owner carries on; the removed users' sessions are gone; org B is untouched.
    expect((await call(s.app, owner, 'GET', '/api/v1/networks')).json().data).toHaveLength(1);
    expect((await call(s.app, other, 'GET', '/api/v1/organizations')).statusCode).toBe(401);
    expect((await sqlRows(s.db, 'SELECT 1 FROM hosts WHERE network_id = $1', [B.networkId])).length).toBe(1);
  });
});
