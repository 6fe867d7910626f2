import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, startTestServer, type TestServer } from './harness.ts';
import { listenLocal } from './events-sse.helpers.ts';
import { postBig } from './fixtures/big-body.ts';
import { buildOrg, call, type Actor, type Org } from './fixtures/world.ts';
import type { EntityKind } from './fixtures/seed.ts';
import { sqlRows } from './sql.ts';

/** Every entity a client can read and write back whole with PUT /api/v1/<kind>/{id}. */
const writable: EntityKind[] = [
  'networks',
  'subnets',
  'hosts',
  'interfaces',
  'ports',
  'services',
  'bindings',
  'tags',
  'auth/daemon',
  'auth/keys',
  'groups',
  'discovery',
  'topology',
  'shares',
];

/** The value without `updated_at` anywhere: the one field a write that changes nothing may still move. */
function withoutUpdatedAt(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutUpdatedAt);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v)
        .filter(([k]) => k !== 'updated_at')
        .map(([k, x]) => [k, withoutUpdatedAt(x)]),
    );
  }
  return v;
}

describe.each(backends)('clients of the reference on %s', (backend) => {
  let s: TestServer;
  let A: Org;
  let owner: Actor;

  beforeAll(async () => {
    s = await startTestServer(backend);
    A = await buildOrg(s.app, s.db, 'A', { daemon: true });
    owner = A.sessions.Owner!;
  });
  afterAll(async () => s?.close());

  it.each([
    ...writable.map((kind) => [kind, kind] as const),
    // The v0.17 names of the same rows, and the caller's own user (GET and PUT /users/{id} are the user's own).
    ['ip-addresses', 'interfaces'] as const,
    ['dependencies', 'groups'] as const,
    ['users', 'self'] as const,
  ])('takes back a %s it served (GET, then PUT of the same body) and changes nothing', async (path, kind) => {
    const id = kind === 'self' ? A.owner.id : await A.seed.fresh(kind);
    const url = `/api/v1/${path}/${id}`;
    const before = await call(s.app, owner, 'GET', url);
    expect(before.statusCode, before.body).toBe(200);
    const entity = before.json<{ data: Record<string, unknown> }>().data;
    // The reference wraps a share in { share, password } (the password is write-only).
    const put = await call(s.app, owner, 'PUT', url, path === 'shares' ? { share: entity } : entity);
    expect(put.statusCode, put.body).toBe(200);
    const after = await call(s.app, owner, 'GET', url);
    expect(withoutUpdatedAt(after.json<{ data: unknown }>().data)).toEqual(withoutUpdatedAt(entity));
  });

  it('ignores unknown and read-only fields in a create, and stores what it knows', async () => {
    const res = await call(s.app, owner, 'POST', '/api/v1/networks', {
      id: randomUUID(),
      name: 'from a client',
      organization_id: randomUUID(),
      created_at: '1970-01-01T00:00:00Z',
      updated_at: '1970-01-01T00:00:00Z',
      some_future_field: { nested: true },
    });
    expect(res.statusCode, res.body).toBe(200);
    const net = res.json<{ data: Record<string, unknown> }>().data;
    expect(net.organization_id).toBe(A.orgId);
    expect(net).not.toHaveProperty('some_future_field');
    expect(new Date(net.created_at as string).getFullYear()).toBeGreaterThan(2000);
  });

  it('refuses a body whose id is not the id in the path', async () => {
    const id = await A.seed.fresh('tags');
    const other = randomUUID();
    const got = (await call(s.app, owner, 'GET', `/api/v1/tags/${id}`)).json<{ data: object }>().data;
    const res = await call(s.app, owner, 'PUT', `/api/v1/tags/${id}`, { ...got, id: other });
    expect(res.statusCode).toBe(400);
    expect(res.json<{ error: string }>().error).toContain(other);
  });

  it("exports user API keys to a session or a user API key of any role, listing the caller's own keys", async () => {
    const B = await buildOrg(s.app, s.db, 'B', { staff: true, keys: true });
    const idsOf = (csv: string) =>
      csv
        .trim()
        .split('\n')
        .slice(1)
        .map((r) => r.split(',')[0]);
    for (const role of ['Owner', 'Admin', 'Member', 'Viewer'] as const) {
      for (const actor of [B.keys[role]!, B.sessions[role]!]) {
        const res = await call(s.app, actor, 'GET', '/api/v1/auth/keys/export/csv');
        expect(res.statusCode, `${role} ${actor.kind}`).toBe(200);
        expect(res.headers['content-type']).toMatch(/^text\/csv/);
        expect(idsOf(res.body), `${role} ${actor.kind}`).toEqual([B.keys[role]!.keyId]);
      }
    }
    expect(
      (
        await call(
          s.app,
          { label: 'anonymous', kind: 'anon', headers: {} },
          'GET',
          '/api/v1/auth/keys/export/csv',
        )
      ).statusCode,
    ).toBe(401);
  });

  it('creates the first network with the id setup answered', async () => {
    const fresh = await startTestServer(backend);
    try {
      const setup = await fresh.app.inject({
        method: 'POST',
        url: '/api/auth/setup',
        payload: { organization_name: 'Org', network: { name: 'Home' } },
      });
      expect(setup.statusCode, setup.body).toBe(200);
      const networkId = setup.json<{ data: { network_id: string } }>().data.network_id;
      const cookie = setup.cookies.find((c) => c.name === 'session_id')!.value;
      const reg = await fresh.app.inject({
        method: 'POST',
        url: '/api/auth/register',
        headers: { cookie: `session_id=${cookie}` },
        payload: { email: 'first@example.com', password: 'Correct-Horse-9', terms_accepted: true },
      });
      expect(reg.statusCode, reg.body).toBe(200);
      expect(await sqlRows(fresh.db, 'SELECT name FROM networks WHERE id = $1', [networkId])).toEqual([
        { name: 'Home' },
      ]);
    } finally {
      await fresh.close();
    }
  });
});

describe('the OpenAPI document and large bodies over a real socket', () => {
  let s: TestServer;
  let base: string;
  let A: Org;

  beforeAll(async () => {
    s = await startTestServer('pglite');
    A = await buildOrg(s.app, s.db, 'A');
    base = await listenLocal(s.app);
  });
  afterAll(async () => s?.close());

  it('serves the OpenAPI document at /openapi.json as at /api/openapi.json', async () => {
    const root = await fetch(`${base}/openapi.json`);
    const api = await fetch(`${base}/api/openapi.json`);
    expect(root.status).toBe(200);
    const doc = (await root.json()) as { openapi: string; paths: object };
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc).toEqual(await api.json());
  });

  it('answers a 3 MB body with a 413 in the envelope, whether the length is declared or not', async () => {
    const owner = A.sessions.Owner!;
    for (const path of ['/api/v1/networks', '/api/auth/login', '/api/v1/hosts']) {
      for (const chunked of [false, true]) {
        const res = await postBig(base, path, 3 * 1024 * 1024, owner.headers, { chunked });
        expect(res.status, `${path} chunked=${chunked}`).toBe(413);
        expect(JSON.parse(res.body)).toMatchObject({ success: false, code: 'payload_too_large' });
      }
    }
  });
});
