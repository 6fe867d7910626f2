import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { backends, Client, PASSWORD, resetDb, startTestServer, type TestServer } from './harness.ts';
import { addUser, buildOrg, call, data, type Actor, type Org } from './fixtures/world.ts';
import { sqlRows } from './sql.ts';

describe.each(backends)('invites on %s', (backend) => {
  let s: TestServer;
  let A: Org;
  let B: Org;
  let owner: Actor;
  let admin: Actor;

  beforeAll(async () => {
    s = await startTestServer(backend, { publicUrl: 'https://scanopy.example.com/' });
  });
  afterAll(async () => s?.close());
  beforeEach(async () => {
    await resetDb(s.db);
    A = await buildOrg(s.app, s.db, 'A', { staff: true });
    B = await buildOrg(s.app, s.db, 'B');
    owner = A.sessions.Owner!;
    admin = A.sessions.Admin!;
  });

  const create = (by: Actor, body: Record<string, unknown>) =>
    call(s.app, by, 'POST', '/api/v1/invites', body);
  const register = (c: Client, email: string) =>
    c.req('POST', '/api/auth/register', { email, password: PASSWORD, terms_accepted: true });

  it('creates invites within the creator’s role and networks', async () => {
    const inv = await data(create(owner, { permissions: 'Member', network_ids: [A.networkId] }));
    expect(inv).toMatchObject({
      organization_id: A.orgId,
      permissions: 'Member',
      network_ids: [A.networkId],
      url: 'https://scanopy.example.com',
      created_by: A.owner.id,
      send_to: null,
    });
    const hours = (Date.parse(inv.expires_at) - Date.parse(inv.created_at)) / 3600_000;
    expect(Math.round(hours)).toBe(168);
    const short = await data(create(admin, { permissions: 'Admin', network_ids: [], expiration_hours: 2 }));
    expect(Math.round((Date.parse(short.expires_at) - Date.parse(short.created_at)) / 3600_000)).toBe(2);

    const tooHigh = await create(admin, { permissions: 'Owner', network_ids: [] });
    expect(tooHigh.statusCode).toBe(403);
    expect((await create(owner, { permissions: 'Viewer', network_ids: [B.networkId] })).statusCode).toBe(400);
    const taken = await create(owner, { permissions: 'Viewer', network_ids: [], send_to: B.owner.email });
    expect(taken.json().code).toBe('user_email_in_use');
    expect((await create(A.sessions.Member!, { permissions: 'Viewer', network_ids: [] })).statusCode).toBe(
      403,
    );
  });

  it('lists, reads and revokes: the Owner sees all, others their own and lower roles', async () => {
    const byOwnerAdmin = await data(create(owner, { permissions: 'Admin', network_ids: [] }));
    const byOwnerViewer = await data(create(owner, { permissions: 'Viewer', network_ids: [] }));
    const byAdmin = await data(create(admin, { permissions: 'Admin', network_ids: [] }));
    await B.seed.invite();
    const expired = await A.seed.invite(-1);

    const all = await data<{ id: string }[]>(call(s.app, owner, 'GET', '/api/v1/invites'));
    expect(all.map((i) => i.id).sort()).toEqual([byOwnerAdmin.id, byOwnerViewer.id, byAdmin.id].sort());
    expect(all.map((i) => i.id)).not.toContain(expired);
    const mine = await data<{ id: string }[]>(call(s.app, admin, 'GET', '/api/v1/invites'));
    expect(mine.map((i) => i.id).sort()).toEqual([byOwnerViewer.id, byAdmin.id].sort());

    expect((await call(s.app, admin, 'GET', `/api/v1/invites/${byOwnerAdmin.id}`)).statusCode).toBe(404);
    expect(await data(call(s.app, admin, 'GET', `/api/v1/invites/${byAdmin.id}`))).toMatchObject({
      id: byAdmin.id,
    });
    expect((await call(s.app, B.sessions.Owner!, 'GET', `/api/v1/invites/${byAdmin.id}`)).statusCode).toBe(
      404,
    );

    expect((await call(s.app, admin, 'DELETE', `/api/v1/invites/${byOwnerAdmin.id}/revoke`)).statusCode).toBe(
      404,
    );
    expect(
      (await call(s.app, admin, 'DELETE', `/api/v1/invites/${byOwnerViewer.id}/revoke`)).statusCode,
    ).toBe(200);
    expect((await call(s.app, owner, 'GET', `/api/v1/invites/${byOwnerViewer.id}`)).statusCode).toBe(404);
  });

  it('accepts an invite into the session, and registration joins the org with its role and networks', async () => {
    const extra = await A.seed.network();
    const inv = await data(create(owner, { permissions: 'Member', network_ids: [A.networkId, extra] }));
    const browser = new Client(s.app);
    const accepted = await browser.req('GET', `/api/v1/invites/${inv.id}/accept`);
    expect(accepted.statusCode).toBe(302);
    expect(accepted.headers.location).toBe(`/?invite=${inv.id}`);
    expect(browser.cookie).toBeTruthy();

    const res = await register(browser, 'joiner@example.com');
    expect(res.statusCode).toBe(200);
    const user = res.json().data;
    expect(user).toMatchObject({ organization_id: A.orgId, permissions: 'Member' });
    expect([...user.network_ids].sort()).toEqual([A.networkId, extra].sort());
    expect(await sqlRows(s.db, 'SELECT 1 FROM invites WHERE id = $1', [inv.id])).toEqual([]);
    // The new member works in the inviter's org right away and sees only the granted networks.
    const nets = await browser.json<{ id: string }[]>('GET', '/api/v1/networks');
    expect(nets.map((n) => n.id).sort()).toEqual([A.networkId, extra].sort());
    expect((await browser.json('GET', '/api/v1/organizations')).id).toBe(A.orgId);
    expect(await sqlRows(s.db, 'SELECT 1 FROM organizations')).toHaveLength(2);

    // Single use: the link now fails.
    const again = await new Client(s.app).req('GET', `/api/v1/invites/${inv.id}/accept`);
    expect(again.statusCode).toBe(302);
    expect(again.headers.location).toBe('/?error=invite_not_found');
  });

  it('refuses expired and already used invites, then lets the browser register on its own', async () => {
    const expired = await A.seed.invite(-1);
    const late = await new Client(s.app).req('GET', `/api/v1/invites/${expired}/accept`);
    expect(late.statusCode).toBe(302);
    expect(late.headers.location).toBe('/?error=invite_expired');

    const inv = await data(create(owner, { permissions: 'Viewer', network_ids: [] }));
    const first = new Client(s.app);
    const second = new Client(s.app);
    await first.req('GET', `/api/v1/invites/${inv.id}/accept`);
    await second.req('GET', `/api/v1/invites/${inv.id}/accept`);
    expect((await register(first, 'first@example.com')).statusCode).toBe(200);
    const used = await register(second, 'second@example.com');
    expect(used.statusCode).toBe(400);
    expect(used.json().code).toBe('invite_invalid');
    // The spent invite is dropped from the session: a plain registration makes a new org, as always.
    const own = await register(second, 'second@example.com');
    expect(own.statusCode).toBe(200);
    expect(own.json().data.permissions).toBe('Owner');
    expect(own.json().data.organization_id).not.toBe(A.orgId);
  });

  it('holds an invite sent to an address for that address only', async () => {
    const inv = await data(
      create(owner, { permissions: 'Viewer', network_ids: [], send_to: 'Bob@Example.com' }),
    );
    const c = new Client(s.app);
    await c.req('GET', `/api/v1/invites/${inv.id}/accept`);
    const wrong = await register(c, 'mallory@example.com');
    expect(wrong.statusCode).toBe(403);
    expect(wrong.json().code).toBe('invite_email_mismatch');
    const right = await register(c, 'bob@example.com');
    expect(right.json().data).toMatchObject({ organization_id: A.orgId, permissions: 'Viewer' });
  });

  it('lets a logged-in user open an invite link without losing the session', async () => {
    const inv = await data(create(owner, { permissions: 'Viewer', network_ids: [] }));
    const viewer = await addUser(s.app, s.db, { orgId: A.orgId, ownerId: A.owner.id }, 'Viewer', []);
    const res = await call(s.app, viewer, 'GET', `/api/v1/invites/${inv.id}/accept`);
    expect(res.statusCode).toBe(302);
    expect((await call(s.app, viewer, 'GET', '/api/v1/organizations')).statusCode).toBe(200);
  });
});
