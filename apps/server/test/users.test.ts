import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { backends, resetDb, startTestServer, type TestServer } from './harness.ts';
import { addUser, buildOrg, call, createUserKey, data, type Actor, type Org } from './fixtures/world.ts';
import { sqlRows } from './sql.ts';

describe.each(backends)('users on %s', (backend) => {
  let s: TestServer;
  let A: Org;
  let B: Org;
  let owner: Actor;
  let admin: Actor;
  let admin2: Actor;
  let member: Actor;
  let viewer: Actor;

  beforeAll(async () => {
    s = await startTestServer(backend);
  });
  afterAll(async () => s?.close());
  beforeEach(async () => {
    await resetDb(s.db);
    A = await buildOrg(s.app, s.db, 'A', { staff: true });
    B = await buildOrg(s.app, s.db, 'B');
    ({
      Owner: owner,
      Admin: admin,
      Member: member,
      Viewer: viewer,
    } = A.sessions as Required<Org['sessions']>);
    admin2 = await addUser(s.app, s.db, { orgId: A.orgId, ownerId: A.owner.id }, 'Admin', []);
  });

  const ids = (users: { id: string }[]) => users.map((u) => u.id).sort();

  it('lists every org user to the Owner, and lower roles plus self to an Admin, paginated', async () => {
    const all = await call(s.app, owner, 'GET', '/api/v1/users');
    expect(all.statusCode).toBe(200);
    expect(ids(all.json().data)).toEqual(
      [A.owner.id, admin.userId!, admin2.userId!, member.userId!, viewer.userId!].sort(),
    );
    expect(all.json().meta.pagination).toEqual({ total_count: 5, limit: 50, offset: 0, has_more: false });
    const seen = await data(call(s.app, admin, 'GET', '/api/v1/users'));
    expect(ids(seen)).toEqual([admin.userId!, member.userId!, viewer.userId!].sort());
    const firstPage = await call(s.app, owner, 'GET', '/api/v1/users?limit=2&order_by=email');
    expect(firstPage.json().data).toHaveLength(2);
    expect(firstPage.json().meta.pagination).toMatchObject({ total_count: 5, has_more: true });
    expect((await call(s.app, member, 'GET', '/api/v1/users')).statusCode).toBe(403);
    expect(seen[0]).not.toHaveProperty('password_hash');
  });

  it('lets any session of the org read a user, and no one else', async () => {
    const u = await data(call(s.app, viewer, 'GET', `/api/v1/users/${A.owner.id}`));
    expect(u).toMatchObject({
      id: A.owner.id,
      permissions: 'Owner',
      organization_id: A.orgId,
      has_password: true,
    });
    expect((await call(s.app, B.sessions.Owner!, 'GET', `/api/v1/users/${A.owner.id}`)).statusCode).toBe(404);
    const key = await createUserKey(s.app, owner, { name: 'k', permissions: 'Owner' });
    expect((await call(s.app, key, 'GET', `/api/v1/users/${A.owner.id}`)).statusCode).toBe(403);
  });

  it('lets users update only themselves, refusing role, org, email and grant changes', async () => {
    const me = await data(call(s.app, viewer, 'GET', `/api/v1/users/${viewer.userId}`));
    const echoed = await call(s.app, viewer, 'PUT', `/api/v1/users/${viewer.userId}`, me);
    expect(echoed.statusCode).toBe(200);
    expect(echoed.json().data).toMatchObject({ id: viewer.userId, permissions: 'Viewer' });
    for (const change of [
      { permissions: 'Owner' },
      { organization_id: B.orgId },
      { email: 'new@example.com' },
      { network_ids: [] },
    ]) {
      const res = await call(s.app, viewer, 'PUT', `/api/v1/users/${viewer.userId}`, { ...me, ...change });
      expect(res.statusCode, JSON.stringify(change)).toBe(403);
      expect(res.json().code).toBe('entity_update_forbidden');
    }
    // A password is not a field of this route (it has its own, which asks for the current one): like the reference,
    // an unknown field is ignored, so the stored hash stays.
    const hash = async () =>
      (await sqlRows(s.db, 'SELECT password_hash FROM users WHERE id = $1', [viewer.userId]))[0]
        .password_hash;
    const before = await hash();
    const pw = await call(s.app, viewer, 'PUT', `/api/v1/users/${viewer.userId}`, {
      ...me,
      password: 'Another-pass-1',
    });
    expect(pw.statusCode).toBe(200);
    expect(await hash()).toBe(before);
    expect((await call(s.app, owner, 'PUT', `/api/v1/users/${viewer.userId}`, {})).statusCode).toBe(403);
    const [row] = await sqlRows(s.db, 'SELECT permissions, email FROM users WHERE id = $1', [viewer.userId]);
    expect(row).toMatchObject({ permissions: 'Viewer' });
  });

  it('applies the admin update grant rules', async () => {
    const put = (by: Actor, id: string, body: unknown) =>
      call(s.app, by, 'PUT', `/api/v1/users/${id}/admin`, body);
    const promoted = await put(admin, viewer.userId!, { permissions: 'Member', network_ids: [A.networkId] });
    expect(promoted.statusCode).toBe(200);
    expect(promoted.json().data).toMatchObject({ permissions: 'Member', network_ids: [A.networkId] });
    // The new role applies on the user's next request.
    expect((await call(s.app, viewer, 'POST', '/api/v1/tags', { name: 't', color: 'Blue' })).statusCode).toBe(
      403,
    );

    const refused = [
      await put(admin, member.userId!, { permissions: 'Admin', network_ids: [] }), // grant >= own role
      await put(admin, admin2.userId!, { permissions: 'Viewer', network_ids: [] }), // equal target
      await put(admin, A.owner.id, { permissions: 'Viewer', network_ids: [] }), // higher target
      await put(admin, admin.userId!, { permissions: 'Viewer', network_ids: [] }), // self
      await put(owner, owner.userId!, { permissions: 'Admin', network_ids: [] }), // self
    ];
    expect(refused.map((r) => r.statusCode)).toEqual([403, 403, 403, 403, 403]);
    expect(
      (await put(owner, member.userId!, { permissions: 'Viewer', network_ids: [B.networkId] })).statusCode,
    ).toBe(400);
    expect(
      (await put(B.sessions.Owner!, member.userId!, { permissions: 'Viewer', network_ids: [] })).statusCode,
    ).toBe(404);
    expect((await put(member, viewer.userId!, { permissions: 'Viewer', network_ids: [] })).statusCode).toBe(
      403,
    );
    const up = await put(owner, member.userId!, { permissions: 'Admin', network_ids: [] });
    expect(up.json().data).toMatchObject({ permissions: 'Admin', network_ids: [] });
  });

  it('refuses deleting higher or equal roles (403) and the last Owner (409)', async () => {
    const del = (by: Actor, id: string) => call(s.app, by, 'DELETE', `/api/v1/users/${id}`);
    expect((await del(admin, A.owner.id)).statusCode).toBe(403);
    expect((await del(admin, admin2.userId!)).json().code).toBe('entity_delete_forbidden');
    expect((await del(member, viewer.userId!)).statusCode).toBe(403);
    expect((await del(B.sessions.Owner!, viewer.userId!)).statusCode).toBe(404);
    const last = await del(owner, A.owner.id);
    expect(last.statusCode).toBe(409);
    expect(last.json().code).toBe('user_last_owner');
    expect((await del(admin, viewer.userId!)).statusCode).toBe(200);
    expect(await sqlRows(s.db, 'SELECT 1 FROM users WHERE id = $1', [viewer.userId])).toEqual([]);
    // A refused batch deletes nothing.
    const batch = await call(s.app, admin, 'POST', '/api/v1/users/bulk-delete', [member.userId, A.owner.id]);
    expect(batch.statusCode).toBe(403);
    expect(await sqlRows(s.db, 'SELECT 1 FROM users WHERE id = $1', [member.userId])).toHaveLength(1);
    const ok = await call(s.app, owner, 'POST', '/api/v1/users/bulk-delete', [
      member.userId,
      admin2.userId,
      randomUUID(),
      B.owner.id,
    ]);
    expect(ok.json().data).toEqual({ deleted_count: 2, requested_count: 4 });
    expect(await sqlRows(s.db, 'SELECT 1 FROM users WHERE id = $1', [B.owner.id])).toHaveLength(1);
  });

  it("hands a deleted user's daemons to the oldest remaining Owner", async () => {
    const second = await addUser(s.app, s.db, { orgId: A.orgId, ownerId: A.owner.id }, 'Owner', []);
    const third = await addUser(s.app, s.db, { orgId: A.orgId, ownerId: A.owner.id }, 'Owner', []);
    const daemonId = await A.seed.daemon();
    await sqlRows(s.db, 'UPDATE daemons SET user_id = $1 WHERE id = $2', [second.userId, daemonId]);
    // Both the first and the deleting Owner go in one batch: the heir is the oldest Owner left.
    const res = await call(s.app, second, 'POST', '/api/v1/users/bulk-delete', [second.userId, A.owner.id]);
    expect(res.json().data).toEqual({ deleted_count: 2, requested_count: 2 });
    expect(await sqlRows(s.db, 'SELECT user_id FROM daemons WHERE id = $1', [daemonId])).toEqual([
      { user_id: third.userId },
    ]);
    // The last Owner standing cannot delete itself.
    expect((await call(s.app, third, 'DELETE', `/api/v1/users/${third.userId}`)).statusCode).toBe(409);
    // A daemon is never deleted silently with its user: the database refuses.
    await expect(sqlRows(s.db, 'DELETE FROM users WHERE id = $1', [third.userId])).rejects.toThrow();
  });
});
