import { randomUUID } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkReference } from '../../../packages/contracts/src/test-fixtures.ts';
import { migrate } from '../src/db/migrate.ts';
import { domainMatches, frameAncestors } from '../src/entities/shares/shares.service.ts';
import { backends, freshDb, registerOwner, startTestServer, type TestServer } from './harness.ts';
import { addUser, call, data, type Actor } from './fixtures/world.ts';
import { sqlRows } from './sql.ts';

const SECRET = 'Share-secret-1';

describe('share allow-list matching', () => {
  it('matches exact hosts, ports, and wildcards including the apex', () => {
    const u = (s: string) => new URL(s);
    expect(domainMatches('example.com', u('https://example.com/wiki'))).toBe(true);
    expect(domainMatches('example.com', u('https://www.example.com/'))).toBe(false);
    expect(domainMatches('*.example.com', u('https://example.com/'))).toBe(true);
    expect(domainMatches('*.example.com', u('https://a.b.example.com/'))).toBe(true);
    expect(domainMatches('*.example.com', u('https://badexample.com/'))).toBe(false);
    expect(domainMatches('wiki.test:8443', u('https://wiki.test:8443/x'))).toBe(true);
    expect(domainMatches('wiki.test:8443', u('https://wiki.test/x'))).toBe(false);
    expect(domainMatches('Wiki.Test', u('https://wiki.test/'))).toBe(true);
    expect(frameAncestors(null)).toBe('*');
    expect(frameAncestors([])).toBe('*');
    expect(frameAncestors(['*.example.com', 'wiki.test'])).toBe('*.example.com:* example.com:* wiki.test:*');
  });
});

describe.each(backends)('topologies and shares on %s', (backend) => {
  let s: TestServer;
  let owner: Actor;
  let viewer: Actor;
  let ownerId: string;
  let networkId: string;
  let topologyId: string;

  const anon: Actor = { label: 'anonymous', kind: 'anon', headers: {} };
  const req = (
    actor: Actor,
    method: string,
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => call(s.app, actor, method, url, body, headers);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON payloads
  const ok = <T = any>(actor: Actor, method: string, url: string, body?: unknown) =>
    data<T>(req(actor, method, url, body));
  const shareBody = (over: Record<string, unknown> = {}) => ({
    topology_id: topologyId,
    network_id: networkId,
    name: `share-${randomUUID().slice(0, 6)}`,
    ...over,
  });
  const createShare = (over: Record<string, unknown> = {}, password?: string | null) =>
    ok(owner, 'POST', '/api/v1/shares', {
      share: shareBody(over),
      ...(password !== undefined ? { password } : {}),
    });
  const hashOf = async (id: string) =>
    (
      await sqlRows<{ h: string | null }>(s.db, 'SELECT password_hash AS h FROM shares WHERE id = $1', [id])
    )[0].h;
  const verify = (id: string, password: string, remoteAddress = '127.0.0.1') =>
    s.app.inject({
      method: 'POST',
      url: `/api/v1/shares/public/${id}/verify`,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(password),
      remoteAddress,
    });
  const codeOf = (res: LightMyRequestResponse) => res.json<{ code?: string }>().code;

  beforeAll(async () => {
    s = await startTestServer(backend);
    const reg = await registerOwner(s.app);
    ownerId = (reg.user as { id: string }).id;
    networkId = reg.networkId;
    owner = {
      label: 'owner',
      kind: 'session',
      role: 'Owner',
      headers: { cookie: `session_id=${reg.client.cookie}` },
    };
    const orgId = (reg.user as { organization_id: string }).organization_id;
    viewer = await addUser(s.app, s.db, { orgId, ownerId }, 'Viewer', [networkId]);
    const [mine] = await ok<{ id: string }[]>(owner, 'GET', `/api/v1/topology?network_id=${networkId}`);
    topologyId = mine.id;
  });
  afterAll(async () => s?.close());

  it('gives every new network a default topology in the reference shape, and stores created ones', async () => {
    const list = await ok(owner, 'GET', `/api/v1/topology?network_id=${networkId}`);
    expect(list.map((t: { name: string }) => t.name)).toEqual(['My Topology']);
    const t = list[0];
    expect(checkReference('Topology', t)).toBe(true);
    expect(t).toMatchObject({
      nodes: [],
      edges: [],
      hosts: [],
      removed_hosts: [],
      is_stale: false,
      tags: [],
    });
    expect(t.options.request).toMatchObject({
      group_docker_bridges_by_host: true,
      hide_service_categories: ['OpenPorts'],
      left_zone_service_categories: ['DNS', 'ReverseProxy'],
    });
    expect(t.options.local).toMatchObject({
      left_zone_title: 'Infrastructure',
      hide_edge_types: ['HostVirtualization'],
    });

    const net = await ok(owner, 'POST', '/api/v1/networks', { name: 'second' });
    const second = await ok(owner, 'GET', `/api/v1/topology?network_id=${net.id}`);
    expect(second.map((x: { name: string }) => x.name)).toEqual(['My Topology']);

    const options = structuredClone(t.options);
    options.request.hide_ports = true;
    const made = await ok(owner, 'POST', '/api/v1/topology', {
      name: 'Custom',
      network_id: networkId,
      options,
      // Echoed graph fields are the server's to fill.
      nodes: [{ bogus: true }],
      is_locked: true,
    });
    expect(checkReference('Topology', made)).toBe(true);
    expect(made).toMatchObject({ name: 'Custom', nodes: [], is_locked: false });
    expect(made.options.request.hide_ports).toBe(true);
    expect(await ok(owner, 'GET', `/api/v1/topology/${made.id}`)).toEqual(made);
    expect(
      (await req(viewer, 'POST', '/api/v1/topology', { name: 'x', network_id: networkId })).statusCode,
    ).toBe(403);

    const csv = await req(viewer, 'GET', '/api/v1/topology/export/csv');
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-disposition']).toBe('attachment; filename="Topologies.csv"');
    const [header, ...rows] = parse(csv.body) as string[][];
    expect(header).toEqual([
      'id',
      'name',
      'network_id',
      'is_stale',
      'is_locked',
      'locked_by',
      'locked_at',
      'last_refreshed',
      'parent_id',
      'created_at',
      'updated_at',
    ]);
    // The Viewer is granted the first network only: the second network's topology is not exported.
    expect(rows.map((r) => r[1]).sort()).toEqual(['Custom', 'My Topology']);
    await ok(owner, 'DELETE', `/api/v1/topology/${made.id}`);
  });

  it('creates shares with and without a password; the hash never leaves the server', async () => {
    const plain = await createShare({ created_by: randomUUID(), options: { show_zoom_controls: false } });
    expect(checkReference('Share', plain)).toBe(true);
    expect(plain).toMatchObject({
      created_by: ownerId,
      is_enabled: true,
      expires_at: null,
      allowed_domains: null,
      options: { show_inspect_panel: true, show_zoom_controls: false, show_export_button: true },
    });
    expect(await hashOf(plain.id)).toBeNull();

    const locked = await createShare({ allowed_domains: ['*.Example.com', 'wiki.test:8443'] }, SECRET);
    const hash = await hashOf(locked.id);
    expect(hash).toMatch(/^\$argon2id\$/);
    expect(locked.allowed_domains).toEqual(['*.example.com', 'wiki.test:8443']);

    const responses = [
      await req(owner, 'GET', `/api/v1/shares/${locked.id}`),
      await req(viewer, 'GET', `/api/v1/shares?network_id=${networkId}`),
      await req(viewer, 'GET', `/api/v1/shares?topology_id=${topologyId}`),
      await req(anon, 'GET', `/api/v1/shares/public/${locked.id}`),
    ];
    for (const r of responses) {
      expect(r.statusCode).toBe(200);
      expect(r.body).not.toContain(hash!);
      expect(r.body).not.toContain('password_hash');
    }
    expect(responses[1].json<{ data: { id: string }[] }>().data.map((x) => x.id)).toEqual(
      expect.arrayContaining([plain.id, locked.id]),
    );

    const csv = await req(viewer, 'GET', `/api/v1/shares/export/csv?network_id=${networkId}`);
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-disposition']).toBe('attachment; filename="Shares.csv"');
    expect(csv.body).not.toContain(hash!);
    const [header, ...rows] = parse(csv.body) as string[][];
    expect(header).toEqual([
      'id',
      'name',
      'topology_id',
      'network_id',
      'created_by',
      'is_enabled',
      'expires_at',
      'has_password',
      'created_at',
      'updated_at',
    ]);
    const hasPassword = Object.fromEntries(rows.map((r) => [r[0], r[header.indexOf('has_password')]]));
    expect(hasPassword[plain.id]).toBe('false');
    expect(hasPassword[locked.id]).toBe('true');
  });

  it('keeps, removes and replaces the password on update as the body says', async () => {
    const sh = await createShare({}, SECRET);
    const first = await hashOf(sh.id);
    const put = (password?: string | null, over: Record<string, unknown> = {}) =>
      ok(owner, 'PUT', `/api/v1/shares/${sh.id}`, {
        share: { ...sh, ...over },
        ...(password !== undefined ? { password } : {}),
      });

    const renamed = await put(undefined, { name: 'renamed', is_enabled: false });
    expect(renamed).toMatchObject({ name: 'renamed', is_enabled: false });
    expect(checkReference('Share', renamed)).toBe(true);
    expect(await hashOf(sh.id)).toBe(first);
    await put(null, { is_enabled: true });
    expect(await hashOf(sh.id)).toBe(first);

    await put('Another-secret-2');
    expect(await hashOf(sh.id)).not.toBe(first);
    expect((await verify(sh.id, 'Another-secret-2')).json()).toMatchObject({ data: true });
    expect(codeOf(await verify(sh.id, SECRET))).toBe('share_password_incorrect');

    await put('');
    expect(await hashOf(sh.id)).toBeNull();
    expect(await ok(anon, 'GET', `/api/v1/shares/public/${sh.id}`)).toMatchObject({
      requires_password: false,
    });

    const moved = await req(owner, 'PUT', `/api/v1/shares/${sh.id}`, {
      share: { ...sh, network_id: randomUUID() },
    });
    expect([moved.statusCode, codeOf(moved)]).toEqual([400, 'entity_network_mismatch']);
  });

  it('refuses a topology of another network, bad domains, and writes by a Viewer', async () => {
    const net = await ok(owner, 'POST', '/api/v1/networks', { name: `other-${randomUUID().slice(0, 4)}` });
    const [foreign] = await ok(owner, 'GET', `/api/v1/topology?network_id=${net.id}`);
    const mismatch = await req(owner, 'POST', '/api/v1/shares', {
      share: shareBody({ topology_id: foreign.id }),
    });
    expect([mismatch.statusCode, codeOf(mismatch)]).toEqual([400, 'entity_network_mismatch']);
    const unknown = await req(owner, 'POST', '/api/v1/shares', {
      share: shareBody({ topology_id: randomUUID() }),
    });
    expect(unknown.statusCode).toBe(400);
    for (const bad of ['evil.test/path', 'a b.test', 'x.*.test', '"quote"', '']) {
      const res = await req(owner, 'POST', '/api/v1/shares', {
        share: shareBody({ allowed_domains: [bad] }),
      });
      expect(res.statusCode, bad).toBe(400);
      expect(res.json<{ error: string }>().error).toContain('allowed_domains');
    }
    const denied = await req(viewer, 'POST', '/api/v1/shares', { share: shareBody() });
    expect([denied.statusCode, codeOf(denied)]).toEqual([403, 'auth_permission_denied']);
    const sh = await createShare();
    expect((await req(viewer, 'PUT', `/api/v1/shares/${sh.id}`, { share: sh })).statusCode).toBe(403);
    expect((await req(viewer, 'DELETE', `/api/v1/shares/${sh.id}`)).statusCode).toBe(403);
    expect((await req(viewer, 'GET', `/api/v1/shares/${sh.id}`)).statusCode).toBe(200);
  });

  it('answers public metadata with CORS *, and the same 404 for unknown, disabled and expired shares', async () => {
    const open = await createShare();
    const locked = await createShare({}, SECRET);
    const disabled = await createShare({ is_enabled: false });
    const expired = await createShare({ expires_at: new Date(Date.now() - 60_000).toISOString() });
    const future = await createShare({ expires_at: new Date(Date.now() + 3600_000).toISOString() });

    const meta = await req(anon, 'GET', `/api/v1/shares/public/${locked.id}`, undefined, {
      origin: 'https://elsewhere.test',
    });
    expect(meta.statusCode).toBe(200);
    expect(meta.headers['access-control-allow-origin']).toBe('*');
    expect(meta.headers['access-control-allow-credentials']).toBeUndefined();
    const body = meta.json<{ data: unknown }>().data;
    expect(checkReference('PublicShareMetadata', body)).toBe(true);
    expect(body).toEqual({
      id: locked.id,
      name: locked.name,
      options: locked.options,
      requires_password: true,
    });
    expect(await ok(anon, 'GET', `/api/v1/shares/public/${open.id}`)).toMatchObject({
      requires_password: false,
    });
    expect((await req(anon, 'GET', `/api/v1/shares/public/${future.id}`)).statusCode).toBe(200);

    const misses = await Promise.all(
      [randomUUID(), disabled.id, expired.id].map((id) => req(anon, 'GET', `/api/v1/shares/public/${id}`)),
    );
    for (const r of misses) {
      expect(r.statusCode).toBe(404);
      expect(r.headers['access-control-allow-origin']).toBe('*');
    }
    const shapes = misses.map((r) => {
      const { error, code } = r.json<{ error: string; code: string }>();
      return { error, code };
    });
    expect(new Set(shapes.map((x) => JSON.stringify(x))).size).toBe(1);
    expect((await verify(disabled.id, 'x')).statusCode).toBe(404);

    const preflight = await s.app.inject({
      method: 'OPTIONS',
      url: `/api/v1/shares/public/${open.id}/verify`,
      headers: { origin: 'https://elsewhere.test', 'access-control-request-method': 'POST' },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('*');
    expect(preflight.headers['access-control-allow-headers']).toContain('Content-Type');
  });

  it('verifies share passwords and stops the sixth wrong guess with 429 and Retry-After', async () => {
    const open = await createShare();
    expect((await verify(open.id, 'anything')).json()).toMatchObject({ data: true });

    const sh = await createShare({}, SECRET);
    // Right guesses do not use up the allowance.
    for (let i = 0; i < 6; i++) expect((await verify(sh.id, SECRET)).json()).toMatchObject({ data: true });
    for (let i = 0; i < 5; i++) {
      const wrong = await verify(sh.id, `wrong-${i}`);
      expect([wrong.statusCode, codeOf(wrong)]).toEqual([401, 'share_password_incorrect']);
      expect(wrong.headers['access-control-allow-origin']).toBe('*');
    }
    const sixth = await verify(sh.id, 'wrong-5');
    expect([sixth.statusCode, codeOf(sixth)]).toEqual([429, 'rate_limit_exceeded']);
    const retry = Number(sixth.headers['retry-after']);
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(180);
    expect(sixth.headers['access-control-allow-origin']).toBe('*');
    // Locked for everyone, the right password included; other shares are unaffected.
    expect((await verify(sh.id, SECRET)).statusCode).toBe(429);
    const other = await createShare({}, SECRET);
    expect((await verify(other.id, SECRET)).json()).toMatchObject({ data: true });
    // The topology route counts toward the same limit.
    const viaTopology = await req(anon, 'POST', `/api/v1/shares/public/${sh.id}/topology`, {
      password: SECRET,
    });
    expect(viaTopology.statusCode).toBe(429);
  });

  it('limits wrong guesses per client IP across shares', async () => {
    const ip = '203.0.113.7';
    const shares = await Promise.all(Array.from({ length: 6 }, () => createShare({}, SECRET)));
    // Four wrong guesses on each of five shares stay under every share's limit but use up the IP's 20.
    for (const sh of shares.slice(0, 5)) {
      for (let i = 0; i < 4; i++) expect((await verify(sh.id, `nope-${i}`, ip)).statusCode).toBe(401);
    }
    const blocked = await verify(shares[5].id, 'nope', ip);
    expect(blocked.statusCode).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    // The IP refusal did not cost the share a token: another client still has all five guesses.
    for (let i = 0; i < 5; i++)
      expect((await verify(shares[5].id, 'nope', '203.0.113.8')).statusCode).toBe(401);
    expect((await verify(shares[5].id, SECRET, '203.0.113.9')).statusCode).toBe(429);
  });

  it('serves the shared topology behind the password, with embed checks against the allow-list', async () => {
    const sh = await createShare({ allowed_domains: ['*.example.com'] }, SECRET);
    const url = `/api/v1/shares/public/${sh.id}/topology`;
    const missing = await req(anon, 'POST', url, {});
    expect([missing.statusCode, codeOf(missing)]).toEqual([401, 'share_password_required']);
    const wrong = await req(anon, 'POST', url, { password: 'nope' });
    expect([wrong.statusCode, codeOf(wrong)]).toEqual([401, 'share_password_incorrect']);

    const res = await req(anon, 'POST', url, { password: SECRET });
    expect(res.statusCode).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    expect(res.headers['content-security-policy']).toBe('frame-ancestors *.example.com:* example.com:*');
    const got = res.json<{ data: { share: unknown; topology: { id: string } } }>().data;
    expect(checkReference('PublicShareMetadata', got.share)).toBe(true);
    expect(checkReference('Topology', got.topology)).toBe(true);
    expect(got.topology.id).toBe(topologyId);
    expect(res.body).not.toContain((await hashOf(sh.id))!);

    const embed = (referer?: string) =>
      req(anon, 'POST', `${url}?embed=true`, { password: SECRET }, referer ? { referer } : {});
    expect((await embed('https://wiki.example.com/page')).statusCode).toBe(200);
    expect((await embed('https://example.com/')).statusCode).toBe(200);
    const evil = await embed('https://evil.test/');
    expect([evil.statusCode, codeOf(evil)]).toEqual([403, 'share_domain_not_allowed']);
    expect((await embed()).statusCode).toBe(403);

    const open = await createShare();
    const free = await req(anon, 'POST', `/api/v1/shares/public/${open.id}/topology?embed=true`, {});
    expect(free.statusCode).toBe(200);
    expect(free.headers['content-security-policy']).toBe('frame-ancestors *');
  });

  it('deletes a share with its topology, and lists and bulk-deletes shares', async () => {
    const topo = await ok(owner, 'POST', '/api/v1/topology', { name: 'Doomed', network_id: networkId });
    const [a, b] = [await createShare({ topology_id: topo.id }), await createShare({ topology_id: topo.id })];
    await ok(owner, 'DELETE', `/api/v1/topology/${topo.id}`);
    for (const sh of [a, b]) {
      expect((await req(owner, 'GET', `/api/v1/shares/${sh.id}`)).statusCode).toBe(404);
      expect((await req(anon, 'GET', `/api/v1/shares/public/${sh.id}`)).statusCode).toBe(404);
    }
    const [c, d] = [await createShare(), await createShare()];
    expect(await ok(owner, 'POST', '/api/v1/shares/bulk-delete', [c.id, d.id, randomUUID()])).toEqual({
      deleted_count: 2,
      requested_count: 3,
    });
    const left = await ok<{ id: string }[]>(owner, 'GET', `/api/v1/shares?network_id=${networkId}`);
    expect(left.map((x) => x.id)).not.toContain(c.id);
  });

  // A database migrated only halfway needs a fresh initdb, which takes PGlite some 20 s on this machine; the
  // migration's SQL is the same on both backends and runs on PGlite in every other suite.
  if (backend === 'postgres')
    it('backfills a default topology for networks that existed before the migration', async () => {
      const f = await freshDb(backend);
      try {
        await migrate(f.db, '0006_add_user_tokens');
        const org = randomUUID();
        const net = randomUUID();
        await sqlRows(f.db, "INSERT INTO organizations (id, name) VALUES ($1, 'Old')", [org]);
        await sqlRows(f.db, "INSERT INTO networks (id, organization_id, name) VALUES ($1, $2, 'Old net')", [
          net,
          org,
        ]);
        await migrate(f.db);
        expect(await sqlRows(f.db, 'SELECT network_id, name FROM topologies')).toEqual([
          { network_id: net, name: 'My Topology' },
        ]);
      } finally {
        await f.drop();
      }
    });
});
