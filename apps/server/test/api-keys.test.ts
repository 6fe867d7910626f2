import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../src/auth/tokens.ts';
import { backends, resetDb, startTestServer, type TestServer } from './harness.ts';
import {
  addUser,
  buildOrg,
  call,
  createDaemon,
  createUserKey,
  data,
  type Actor,
  type Org,
} from './fixtures/world.ts';
import { sqlRows } from './sql.ts';

const MASK = '**********';
const bearer = (key: string): Actor => ({
  label: 'key',
  kind: 'user_api_key',
  headers: { authorization: `Bearer ${key}` },
});

describe.each(backends)('API keys on %s', (backend) => {
  let s: TestServer;
  let A: Org;
  let owner: Actor;
  beforeAll(async () => {
    s = await startTestServer(backend);
  });
  afterAll(async () => s?.close());
  beforeEach(async () => {
    await resetDb(s.db);
    A = await buildOrg(s.app, s.db, 'A');
    owner = A.sessions.Owner!;
  });

  it('authenticates a user key by Bearer and by X-API-Key, and shows the plaintext only once', async () => {
    const created = await data(
      call(s.app, owner, 'POST', '/api/v1/auth/keys', {
        name: 'ci',
        permissions: 'Member',
        network_ids: [A.networkId],
      }),
    );
    expect(created.key).toMatch(/^scp_u_[0-9A-Za-z]{32}$/);
    expect(created.api_key.key).toBe(MASK);
    expect(created.api_key.network_ids).toEqual([A.networkId]);
    const hostId = await A.seed.host();
    const viaHeaders: Record<string, string>[] = [
      { authorization: `Bearer ${created.key}` },
      { 'x-api-key': created.key },
    ];
    for (const headers of viaHeaders) {
      const hosts = await data(call(s.app, { ...bearer(''), headers }, 'GET', '/api/v1/hosts'));
      expect(hosts.map((h: { id: string }) => h.id)).toEqual([hostId]);
    }
    const list = await data(call(s.app, owner, 'GET', '/api/v1/auth/keys'));
    expect(list.map((k: { key: string }) => k.key)).toEqual([MASK]);
    expect((await data(call(s.app, owner, 'GET', `/api/v1/auth/keys/${created.api_key.id}`))).key).toBe(MASK);
    const [row] = await sqlRows<Record<string, unknown>>(s.db, 'SELECT * FROM user_api_keys WHERE id = $1', [
      created.api_key.id,
    ]);
    expect(row.key_hash).toBe(sha256Hex(created.key));
    expect(row.key_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(row)).not.toContain(created.key.slice(6));
  });

  it('does the same for daemon keys: scp_d_ prefix, masked in lists, stored as a hash', async () => {
    const created = await data(
      call(s.app, owner, 'POST', '/api/v1/auth/daemon', { name: 'd', network_id: A.networkId }),
    );
    expect(created.key).toMatch(/^scp_d_[0-9A-Za-z]{32}$/);
    expect(created.api_key.key).toBe(MASK);
    const list = await data(call(s.app, owner, 'GET', '/api/v1/auth/daemon'));
    expect(list.map((k: { key: string }) => k.key)).toEqual([MASK]);
    const rows = await sqlRows<Record<string, unknown>>(s.db, 'SELECT * FROM api_keys');
    expect(rows[0].key_hash).toBe(sha256Hex(created.key));
    expect(JSON.stringify(rows)).not.toContain(created.key.slice(6));
  });

  it('rotates a user key: the old key fails at once, the new one works', async () => {
    const k = await createUserKey(s.app, owner, { name: 'r', network_ids: [A.networkId] });
    expect((await call(s.app, k, 'GET', '/api/v1/networks')).statusCode).toBe(200);
    const fresh = await data<string>(call(s.app, owner, 'POST', `/api/v1/auth/keys/${k.keyId}/rotate`));
    expect(fresh).toMatch(/^scp_u_/);
    expect(fresh).not.toBe(k.key);
    const old = await call(s.app, k, 'GET', '/api/v1/networks');
    expect(old.statusCode).toBe(401);
    expect(old.json().code).toBe('auth_not_authenticated');
    expect((await call(s.app, bearer(fresh), 'GET', '/api/v1/networks')).statusCode).toBe(200);
  });

  it('rotates a daemon key: the old key is refused for the known daemon, the new one works', async () => {
    const d = await createDaemon(s.app, owner, A.networkId);
    const fresh = await data<string>(call(s.app, owner, 'POST', `/api/v1/auth/daemon/${d.keyId}/rotate`));
    const poll = { name: 'lab-daemon', mode: 'daemon_poll' };
    const old = await call(s.app, d.actor, 'POST', `/api/daemons/${d.daemonId}/request-work`, poll);
    expect(old.statusCode).toBe(401);
    expect(old.json().code).toBe('auth_not_authenticated');
    const renewed: Actor = { ...d.actor, headers: { ...d.actor.headers, authorization: `Bearer ${fresh}` } };
    expect(
      (await call(s.app, renewed, 'POST', `/api/daemons/${d.daemonId}/request-work`, poll)).statusCode,
    ).toBe(200);
  });

  it('refuses a disabled key with entity_disabled and an expired one with entity_expired', async () => {
    const k = await createUserKey(s.app, owner, { name: 'x', network_ids: [A.networkId] });
    await data(call(s.app, owner, 'PUT', `/api/v1/auth/keys/${k.keyId}`, { name: 'x', is_enabled: false }));
    const disabled = await call(s.app, k, 'GET', '/api/v1/hosts');
    expect(disabled.statusCode).toBe(403);
    expect(disabled.json().code).toBe('entity_disabled');

    const past = new Date(Date.now() - 60_000).toISOString();
    const e = await createUserKey(s.app, owner, { name: 'e', network_ids: [A.networkId], expires_at: past });
    const expired = await call(s.app, e, 'GET', '/api/v1/hosts');
    expect(expired.statusCode).toBe(403);
    expect(expired.json().code).toBe('entity_expired');

    const d = await createDaemon(s.app, owner, A.networkId);
    await data(call(s.app, owner, 'PUT', `/api/v1/auth/daemon/${d.keyId}`, { name: 'd', expires_at: past }));
    const dexp = await call(s.app, d.actor, 'POST', `/api/daemons/${d.daemonId}/heartbeat`, {});
    expect(dexp.statusCode).toBe(403);
    expect(dexp.json().code).toBe('entity_expired');
    await data(
      call(s.app, owner, 'PUT', `/api/v1/auth/daemon/${d.keyId}`, {
        name: 'd',
        expires_at: null,
        is_enabled: false,
      }),
    );
    const ddis = await call(s.app, d.actor, 'POST', `/api/daemons/${d.daemonId}/heartbeat`, {});
    expect(ddis.statusCode).toBe(403);
    expect(ddis.json().code).toBe('entity_disabled');
  });

  it('never mints or raises a key above its creator’s role, nor onto networks the creator cannot see', async () => {
    const member = await addUser(s.app, s.db, { orgId: A.orgId, ownerId: A.owner.id }, 'Member', [
      A.networkId,
    ]);
    const admin = await addUser(s.app, s.db, { orgId: A.orgId, ownerId: A.owner.id }, 'Admin', []);
    for (const [who, role] of [
      [member, 'Admin'],
      [member, 'Owner'],
      [admin, 'Owner'],
    ] as const) {
      const r = await call(s.app, who, 'POST', '/api/v1/auth/keys', { name: 'up', permissions: role });
      expect(r.statusCode, `${who.label} → ${role}`).toBe(403);
      expect(r.json().code).toBe('auth_permission_denied');
    }
    expect(
      (await call(s.app, admin, 'POST', '/api/v1/auth/keys', { name: 'ok', permissions: 'Admin' }))
        .statusCode,
    ).toBe(200);
    const mine = await createUserKey(s.app, member, {
      name: 'm',
      permissions: 'Member',
      network_ids: [A.networkId],
    });
    const raise = await call(s.app, member, 'PUT', `/api/v1/auth/keys/${mine.keyId}`, {
      name: 'm',
      permissions: 'Owner',
    });
    expect(raise.statusCode).toBe(403);
    const hidden = await A.seed.network();
    const widen = await call(s.app, member, 'POST', '/api/v1/auth/keys', {
      name: 'w',
      network_ids: [hidden],
    });
    expect(widen.statusCode).toBeGreaterThanOrEqual(400);
    expect(widen.statusCode).toBeLessThan(500);
    const [row] = await sqlRows<{ permissions: string }>(
      s.db,
      'SELECT permissions FROM user_api_keys WHERE id = $1',
      [mine.keyId],
    );
    expect(row.permissions).toBe('Member');
    expect(
      await sqlRows(s.db, 'SELECT 1 FROM user_api_key_network_access WHERE network_id = $1', [hidden]),
    ).toHaveLength(0);
  });

  it('limits a key to its explicit networks, even for an Owner’s key', async () => {
    const other = await A.seed.network();
    const [h1, h2] = [await A.seed.host(), await A.seed.host(other)];
    const narrow = await createUserKey(s.app, owner, {
      name: 'n',
      permissions: 'Owner',
      network_ids: [A.networkId],
    });
    const none = await createUserKey(s.app, owner, { name: 'none', permissions: 'Owner' });
    const nets = await data(call(s.app, narrow, 'GET', '/api/v1/networks'));
    expect(nets.map((n: { id: string }) => n.id)).toEqual([A.networkId]);
    const hosts = await data(call(s.app, narrow, 'GET', '/api/v1/hosts'));
    expect(hosts.map((h: { id: string }) => h.id)).toEqual([h1]);
    expect((await call(s.app, narrow, 'GET', `/api/v1/hosts/${h2}`)).statusCode).toBe(404);
    expect((await call(s.app, narrow, 'DELETE', `/api/v1/hosts/${h2}`)).statusCode).toBe(404);
    expect(await data(call(s.app, none, 'GET', '/api/v1/networks'))).toEqual([]);
    expect(await data(call(s.app, none, 'GET', '/api/v1/hosts'))).toEqual([]);
    // The session of the same Owner sees both networks.
    expect(await data(call(s.app, owner, 'GET', '/api/v1/hosts'))).toHaveLength(2);
  });

  it('requires X-Daemon-ID with a daemon key', async () => {
    const d = await createDaemon(s.app, owner, A.networkId);
    for (const daemonId of [undefined, 'not-a-uuid']) {
      const headers: Record<string, string> = { authorization: `Bearer ${d.key}` };
      if (daemonId) headers['x-daemon-id'] = daemonId;
      const r = await call(
        s.app,
        { ...d.actor, headers },
        'POST',
        `/api/daemons/${d.daemonId}/heartbeat`,
        {},
      );
      expect(r.statusCode).toBe(403);
      expect(r.json().code).toBe('auth_daemon_required');
    }
    // A daemon key presented as X-Daemon-ID of another daemon cannot act for that daemon.
    const other = await call(s.app, d.actor, 'POST', `/api/daemons/${randomUUID()}/heartbeat`, {});
    expect(other.statusCode).toBe(403);
    expect(other.json().code).toBe('daemon_identity_mismatch');
  });

  it('keeps user keys off session-only routes', async () => {
    const k = await createUserKey(s.app, owner, {
      name: 'o',
      permissions: 'Owner',
      network_ids: [A.networkId],
    });
    const own = await data(call(s.app, owner, 'GET', '/api/v1/auth/keys'));
    const probes: [string, string, unknown?][] = [
      ['GET', '/api/v1/auth/keys'],
      ['POST', '/api/v1/auth/keys', { name: 'child' }],
      ['GET', `/api/v1/auth/keys/${own[0].id}`],
      ['PUT', `/api/v1/auth/keys/${k.keyId}`, { name: 'renamed', permissions: 'Owner' }],
      ['POST', `/api/v1/auth/keys/${k.keyId}/rotate`],
      ['DELETE', `/api/v1/auth/keys/${k.keyId}`],
      ['POST', '/api/v1/auth/keys/bulk-delete', [k.keyId]],
      ['POST', '/api/auth/me'],
    ];
    for (const [method, url, body] of probes) {
      const r = await call(s.app, k, method, url, body);
      expect(r.statusCode, `${method} ${url}`).toBe(403);
      expect(r.json().code).toBe('auth_permission_denied');
    }
    expect(await sqlRows(s.db, 'SELECT 1 FROM user_api_keys')).toHaveLength(1);
  });

  it('does not fall back to the session cookie when a Bearer key fails', async () => {
    const r = await call(
      s.app,
      { ...owner, headers: { ...owner.headers, authorization: 'Bearer scp_u_bogus' } },
      'GET',
      '/api/v1/hosts',
    );
    expect(r.statusCode).toBe(401);
  });

  it('lets only the owning user see and manage a key', async () => {
    const admin = await addUser(s.app, s.db, { orgId: A.orgId, ownerId: A.owner.id }, 'Admin', []);
    const k = await createUserKey(s.app, owner, { name: 'mine', network_ids: [A.networkId] });
    expect(await data(call(s.app, admin, 'GET', '/api/v1/auth/keys'))).toEqual([]);
    for (const [method, url, body] of [
      ['GET', `/api/v1/auth/keys/${k.keyId}`],
      ['PUT', `/api/v1/auth/keys/${k.keyId}`, { name: 'stolen' }],
      ['POST', `/api/v1/auth/keys/${k.keyId}/rotate`],
      ['DELETE', `/api/v1/auth/keys/${k.keyId}`],
    ] as [string, string, unknown?][]) {
      expect((await call(s.app, admin, method, url, body)).statusCode, `${method} ${url}`).toBe(404);
    }
    const bulk = await data(call(s.app, admin, 'POST', '/api/v1/auth/keys/bulk-delete', [k.keyId]));
    expect(bulk).toEqual({ deleted_count: 0, requested_count: 1 });
    expect((await call(s.app, k, 'GET', '/api/v1/networks')).statusCode).toBe(200);
  });
});
