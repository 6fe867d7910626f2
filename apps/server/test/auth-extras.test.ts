import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PermissionLevel, SubnetType } from '@scanopy/contracts';
import { catalog, categories } from '@scanopy/detection';
import { repoRoot } from '../src/config.ts';
import type { EntityEvent } from '../src/events/bus.ts';
import { backends, Client, PASSWORD, registerOwner, startTestServer, type TestServer } from './harness.ts';
import { addUser, call, createUserKey, type Actor } from './fixtures/world.ts';
import { MailSink } from './mail-sink.ts';
import { sqlRows } from './sql.ts';

const PUBLIC_URL = 'https://scanopy.example.com';
const sha256 = (t: string) => createHash('sha256').update(t).digest('hex');

function verifyToken(text: string): string {
  const m = /https:\/\/scanopy\.example\.com\/verify-email\?token=([A-Za-z0-9_-]+)/.exec(text);
  if (!m) throw new Error(`no verify-email link in mail:\n${text}`);
  return m[1];
}

/** The session of a registered owner as an Actor, for the fixtures' `call`. */
function sessionActor(client: Client, user: { id: string }): Actor {
  return {
    label: 'owner',
    kind: 'session',
    role: 'Owner',
    userId: user.id,
    headers: { cookie: `session_id=${client.cookie}` },
  };
}

describe.each(backends)('auth extras with SMTP on %s', (backend) => {
  let s: TestServer;
  const sink = new MailSink();
  const seen: EntityEvent[] = [];

  beforeAll(async () => {
    const port = await sink.start();
    s = await startTestServer(backend, {
      publicUrl: `${PUBLIC_URL}/`,
      smtpHost: '127.0.0.1',
      smtpPort: port,
      smtpFrom: 'Scanopy <scanopy@example.com>',
    });
    s.app.bus.subscribe((e) => seen.push(e));
    // The first account is verified without mail; every later one gets exactly one verification mail.
    await registerOwner(s.app, 'setup@example.com');
  });
  afterAll(async () => {
    await s?.close();
    await sink.stop();
  });

  /** The next mail to `to` after those it already has. */
  const nextMail = (to: string) => sink.next(to, sink.count(to));

  /** A new organization's owner who verified the address by the mailed link (which also logs them in). */
  async function account(email: string) {
    const client = new Client(s.app);
    const mail = nextMail(email);
    await client.json('POST', '/api/auth/register', { email, password: PASSWORD, terms_accepted: true });
    const token = verifyToken((await mail).text);
    const user = await client.json('POST', '/api/auth/verify-email', { token });
    return { client, user };
  }

  it('tells free addresses from taken ones, ignoring case, and refuses malformed ones', async () => {
    await account('Taken.Person@example.com');
    const anon = new Client(s.app);
    const free = await anon.req('POST', '/api/auth/check-email', { email: 'nobody@example.com' });
    expect(free.statusCode).toBe(200);
    expect(free.json()).toMatchObject({ success: true, data: null });
    for (const email of ['taken.person@example.com', 'TAKEN.PERSON@EXAMPLE.COM']) {
      const taken = await anon.req('POST', '/api/auth/check-email', { email });
      expect(taken.statusCode, email).toBe(409);
      expect(taken.json().code).toBe('user_email_in_use');
    }
    const bad = await anon.req('POST', '/api/auth/check-email', { email: 'not-an-address' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toContain('email');
  });

  it('changes the address only once the link mailed to the new one is followed', async () => {
    const { client, user } = await account('old.address@example.com');
    const noticeMail = nextMail('old.address@example.com');
    await client.json('POST', '/api/auth/request-email-change', {
      current_password: PASSWORD,
      new_email: 'New.Address@example.com',
    });
    // Nothing changes until the link is used; the old address is told about the request.
    expect((await client.json('POST', '/api/auth/me')).email).toBe('old.address@example.com');
    const notice = await noticeMail;
    expect(notice.text).toContain('New.Address@example.com');
    expect(notice.text).not.toContain('token=');
    const mail = await sink.next('new.address@example.com');
    expect(mail.subject).toMatch(/confirm/i);
    const token = verifyToken(mail.text);

    // Only the SHA-256 of the token is stored, with a 24 h lifetime.
    const [row] = await sqlRows<{ token_hash: string; hours: number }>(
      s.db,
      `SELECT token_hash, extract(epoch FROM expires_at - created_at) / 3600 AS hours
       FROM user_tokens WHERE user_id = $1 AND purpose = 'change_email'`,
      [user.id],
    );
    expect(row.token_hash).toBe(sha256(token));
    expect(Math.round(Number(row.hours))).toBe(24);

    // The link works in any browser and logs that browser in.
    const other = new Client(s.app);
    const changed = await other.json('POST', '/api/auth/verify-email', { token });
    expect(changed).toMatchObject({ id: user.id, email: 'New.Address@example.com', email_verified: true });
    expect((await other.json('POST', '/api/auth/me')).email).toBe('New.Address@example.com');
    await vi.waitFor(
      () =>
        expect(
          seen.find(
            (e) => e.entity === 'User' && e.ids.includes(user.id) && e.changed_fields.includes('email'),
          ),
        ).toBeDefined(),
      { timeout: 10_000, interval: 10 },
    );

    // Single use; the new address signs in, the old one no longer exists.
    const again = await other.req('POST', '/api/auth/verify-email', { token });
    expect(again.statusCode).toBe(400);
    expect(again.json().code).toBe('auth_token_invalid');
    const anon = new Client(s.app);
    const oldLogin = await anon.req('POST', '/api/auth/login', {
      email: 'old.address@example.com',
      password: PASSWORD,
    });
    expect(oldLogin.statusCode).toBe(401);
    await anon.json('POST', '/api/auth/login', { email: 'new.address@example.com', password: PASSWORD });
    const [pending] = await sqlRows<{ pending_email: string | null }>(
      s.db,
      'SELECT pending_email FROM users WHERE id = $1',
      [user.id],
    );
    expect(pending.pending_email).toBeNull();
  });

  it('requires the right current password, a free address and a link that has not expired', async () => {
    const { client, user } = await account('careful@example.com');
    await account('occupied@example.com');
    const send = (body: unknown) => client.req('POST', '/api/auth/request-email-change', body);

    const missing = await send({ new_email: 'elsewhere@example.com' });
    expect([missing.statusCode, missing.json().code]).toEqual([400, 'auth_password_invalid']);
    expect(missing.json().error).toMatch(/required/i);
    const wrong = await send({ current_password: 'Wrong-Password-1', new_email: 'elsewhere@example.com' });
    expect([wrong.statusCode, wrong.json().code]).toEqual([400, 'auth_password_invalid']);
    expect(wrong.json().error).toMatch(/incorrect/i);
    const taken = await send({ current_password: PASSWORD, new_email: 'OCCUPIED@example.com' });
    expect([taken.statusCode, taken.json().code]).toEqual([409, 'user_email_in_use']);
    const same = await send({ current_password: PASSWORD, new_email: 'Careful@example.com' });
    expect(same.statusCode).toBe(400);
    const malformed = await send({ current_password: PASSWORD, new_email: 'nope' });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error).toContain('new_email');
    // None of the refusals left a pending address or a token behind.
    const [u] = await sqlRows<{ pending_email: string | null; tokens: number }>(
      s.db,
      `SELECT pending_email, (SELECT count(*)::int FROM user_tokens WHERE user_id = $1) AS tokens
       FROM users WHERE id = $1`,
      [user.id],
    );
    expect(u).toEqual({ pending_email: null, tokens: 0 });

    // A second request replaces the first: only the latest link works.
    await client.json('POST', '/api/auth/request-email-change', {
      current_password: PASSWORD,
      new_email: 'first.try@example.com',
    });
    const firstToken = verifyToken((await sink.next('first.try@example.com')).text);
    await client.json('POST', '/api/auth/request-email-change', {
      current_password: PASSWORD,
      new_email: 'second.try@example.com',
    });
    const secondToken = verifyToken((await sink.next('second.try@example.com')).text);
    const stale = await new Client(s.app).req('POST', '/api/auth/verify-email', { token: firstToken });
    expect(stale.json().code).toBe('auth_token_invalid');

    // An expired link changes nothing.
    await sqlRows(
      s.db,
      `UPDATE user_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1 AND purpose = 'change_email'`,
      [user.id],
    );
    const expired = await new Client(s.app).req('POST', '/api/auth/verify-email', { token: secondToken });
    expect([expired.statusCode, expired.json().code]).toEqual([400, 'auth_token_invalid']);
    expect((await client.json('POST', '/api/auth/me')).email).toBe('careful@example.com');
  });

  it('refuses the change when the address was registered after the request', async () => {
    const { client } = await account('slowpoke@example.com');
    await client.json('POST', '/api/auth/request-email-change', {
      current_password: PASSWORD,
      new_email: 'contested@example.com',
    });
    const token = verifyToken((await sink.next('contested@example.com')).text);
    await account('Contested@example.com');
    const res = await new Client(s.app).req('POST', '/api/auth/verify-email', { token });
    expect([res.statusCode, res.json().code]).toEqual([409, 'user_email_in_use']);
    expect((await client.json('POST', '/api/auth/me')).email).toBe('slowpoke@example.com');
  });

  it('refuses accounts linked to an OIDC provider, and lets password-less accounts change without one', async () => {
    const { client, user } = await account('linked@example.com');
    await sqlRows(
      s.db,
      `UPDATE users SET oidc_provider = 'Authentik', oidc_subject = 'sub-1' WHERE id = $1`,
      [user.id],
    );
    const linked = await client.req('POST', '/api/auth/request-email-change', {
      current_password: PASSWORD,
      new_email: 'linked.elsewhere@example.com',
    });
    expect([linked.statusCode, linked.json().code]).toEqual([400, 'user_email_managed_by_oidc']);
    expect(linked.json().error).toContain('Authentik');

    // An account without a password (created through a provider, since unlinked) needs none to confirm.
    await sqlRows(
      s.db,
      'UPDATE users SET oidc_provider = NULL, oidc_subject = NULL, password_hash = NULL WHERE id = $1',
      [user.id],
    );
    await client.json('POST', '/api/auth/request-email-change', { new_email: 'no.password@example.com' });
    const token = verifyToken((await sink.next('no.password@example.com')).text);
    const changed = await client.json('POST', '/api/auth/verify-email', { token });
    expect(changed.email).toBe('no.password@example.com');
  });

  it('exports the users the caller may list as CSV, without secrets', async () => {
    const { client, user } = await account('csv.owner@example.com');
    const owner = sessionActor(client, user);
    const org = { orgId: user.organization_id as string, ownerId: user.id as string };
    const admin = await addUser(s.app, s.db, org, 'Admin', []);
    const member = await addUser(s.app, s.db, org, 'Member', []);
    const viewer = await addUser(s.app, s.db, org, 'Viewer', []);
    await account('someone.else@example.com');

    const exportAs = async (actor: Actor, query = '') => {
      const res = await call(s.app, actor, 'GET', `/api/v1/users/export/csv${query}`);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/csv/);
      expect(res.headers['content-disposition']).toBe('attachment; filename="Users.csv"');
      return { text: res.body, rows: parse(res.body, { columns: true }) as Record<string, string>[] };
    };

    const all = await exportAs(owner);
    expect(all.text.split('\n')[0]).toBe(
      'id,email,permissions,organization_id,email_verified,oidc_provider,terms_accepted_at,created_at,updated_at',
    );
    expect(all.rows.map((r) => r.id).sort()).toEqual(
      [user.id, admin.userId, member.userId, viewer.userId].sort(),
    );
    const me = all.rows.find((r) => r.id === user.id)!;
    expect(me).toMatchObject({
      email: 'csv.owner@example.com',
      permissions: 'Owner',
      organization_id: user.organization_id,
      email_verified: 'true',
      oidc_provider: '',
    });
    expect(new Date(me.created_at).toISOString()).toBe(me.created_at);
    expect(all.text).not.toMatch(/argon2|password|token/i);

    // Below the Owner, the export holds what the users list shows: lower roles and oneself.
    const adminRows = (await exportAs(admin)).rows.map((r) => r.id).sort();
    expect(adminRows).toEqual([admin.userId, member.userId, viewer.userId].sort());
    expect((await exportAs(viewer)).rows.map((r) => r.id)).toEqual([viewer.userId]);
    // A Viewer API key of the owner sees as a Viewer; ids narrow the export like the list.
    const key = await createUserKey(s.app, owner, { name: 'csv', permissions: 'Viewer' });
    expect((await exportAs(key)).rows.map((r) => r.id)).toEqual([user.id]);
    const narrowed = await exportAs(owner, `?ids=${member.userId}&ids=${viewer.userId}`);
    expect(narrowed.rows.map((r) => r.id).sort()).toEqual([member.userId, viewer.userId].sort());
  });
});

describe('auth extras without SMTP, rate limited, and GET /api/metadata', () => {
  const BURST = 5;
  let s: TestServer;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the registry is read as loose JSON
  let data: Record<string, any[]>;
  let body: unknown;

  beforeAll(async () => {
    // One token a minute: nothing refills during the test, so the counts are exact.
    s = await startTestServer('pglite', { rateLimitPerMinute: 1, rateLimitBurst: BURST });
    const res = await s.app.inject({ method: 'GET', url: '/api/metadata' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toContain('max-age=3600');
    body = res.json();
    data = (body as { data: typeof data }).data;
  });
  afterAll(async () => s?.close());

  it('refuses an email change with a clear error when the server cannot send mail', async () => {
    const { client, user } = await registerOwner(s.app);
    const res = await client.req('POST', '/api/auth/request-email-change', {
      current_password: PASSWORD,
      new_email: 'unreachable@example.com',
    });
    expect([res.statusCode, res.json().code]).toEqual([400, 'email_not_configured']);
    expect(res.json().error).toMatch(/email is not configured/i);
    const [u] = await sqlRows<{ pending_email: string | null }>(
      s.db,
      'SELECT pending_email FROM users WHERE id = $1',
      [user.id],
    );
    expect(u.pending_email).toBeNull();
  });

  it('counts anonymous email checks against the caller’s IP, but never limits /api/metadata', async () => {
    const check = () =>
      s.app.inject({
        method: 'POST',
        url: '/api/auth/check-email',
        headers: { 'content-type': 'application/json' },
        payload: { email: 'probe@example.com' },
        remoteAddress: '203.0.113.9',
      });
    for (let i = 0; i < BURST; i++) expect((await check()).statusCode).toBe(200);
    const limited = await check();
    expect(limited.statusCode).toBe(429);
    expect(limited.json().code).toBe('rate_limit_exceeded');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);

    for (let i = 0; i < BURST * 3; i++) {
      const res = await s.app.inject({ method: 'GET', url: '/api/metadata', remoteAddress: '203.0.113.9' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-ratelimit-limit']).toBeUndefined();
    }
  });
  it('matches the reference MetadataRegistry schema', () => {
    const doc = readFileSync(path.join(repoRoot, '../shared/spec/reference-openapi-v1.json'), 'utf8');
    const schemas = (
      JSON.parse(doc.replaceAll('#/components/schemas/', '#/$defs/')) as {
        components: { schemas: Record<string, object> };
      }
    ).components.schemas;
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(ajv);
    const validate = ajv.compile({ $defs: schemas, $ref: '#/$defs/ApiResponse_MetadataRegistry' });
    expect(validate(body), JSON.stringify(validate.errors?.slice(0, 5))).toBe(true);
    // The check is real: a registry entry without its colour fails it.
    const broken = structuredClone(body) as { data: { subnet_types: { color?: string }[] } };
    delete broken.data.subnet_types[0].color;
    expect(validate(broken)).toBe(false);
  });

  it('lists every service definition of the catalog with its category colour and icon', () => {
    expect(data.service_definitions).toHaveLength(catalog.length);
    const byId = new Map(data.service_definitions.map((d) => [d.id, d]));
    for (const def of catalog) {
      const entry = byId.get(def.name);
      const cat = categories.find((c) => c.id === def.category)!;
      expect(entry, def.name).toMatchObject({ name: def.name, category: def.category, color: cat.color });
      expect(entry.icon).toBe(cat.icon);
      expect(entry.metadata.is_generic).toBe(def.generic);
    }
    expect(data.service_categories.map((c) => c.id)).toEqual(categories.map((c) => c.id));
  });

  it('covers every subnet type the daemon assigns, every role, and the well-known ports', () => {
    expect(data.subnet_types.map((t) => t.id).sort()).toEqual([...SubnetType.enum].sort());
    const lan = data.subnet_types.find((t) => t.id === 'Lan')!;
    expect(lan.metadata).toEqual({ layer: 2, order: 0 });
    expect(data.permissions.map((p) => p.id)).toEqual(['Owner', 'Admin', 'Member', 'Viewer']);
    expect([...PermissionLevel.enum].sort()).toEqual(data.permissions.map((p) => p.id).sort());
    expect(data.permissions.find((p) => p.id === 'Admin')!.metadata.grantable).toEqual(['Member', 'Viewer']);
    const ssh = data.ports.find((p) => p.id === 'Ssh')!;
    expect(ssh).toMatchObject({ name: 'SSH', metadata: { number: 22, protocol: 'Tcp' } });
    expect(data.ports.find((p) => p.id === 'Http8080')!.name).toBe('HTTP');
    expect(data.ports.at(-1)!.id).toBe('Custom');
    expect(data.group_types.map((g) => g.id)).toEqual(['RequestPath', 'HubAndSpoke']);
    expect(data.edge_types.map((e) => e.id)).toEqual([
      'Interface',
      'HostVirtualization',
      'ServiceVirtualization',
      'RequestPath',
      'HubAndSpoke',
      'PhysicalLink',
    ]);
    expect(data.edge_types.find((e) => e.id === 'HostVirtualization')!.metadata.hidden_by_default).toBe(true);
    expect(data.discovery_types.map((d) => d.id)).toEqual(['SelfReport', 'Network', 'Docker']);
    const entityIds = data.entities.map((e) => e.id);
    for (const id of ['Host', 'Service', 'Subnet', 'Interface', 'Port', 'Group', 'Daemon', 'Network']) {
      expect(entityIds).toContain(id);
    }
  });
});
