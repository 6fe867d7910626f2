import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../src/config.ts';
import { PASSWORD, startTestServer, type TestServer } from './harness.ts';
// The scope lists live with the route-table check; importing them also registers that (millisecond) suite here.
import { laterTopology, outOfScope, pending } from './contract.test.ts';
import { Api, buildWorld, injectTransport, type Transport, type World } from './fixtures/api-world.ts';
import { knownBody, type BodyContext } from './fixtures/bodies.ts';
import { expectedAccess, kindOf, routeTable, type JsonSchema, type RouteInfo } from './fixtures/routes.ts';
import { next, Seeder, type EntityKind } from './fixtures/seed.ts';
import { discoveryHostBody, registerBody } from './fixtures/world.ts';
import { sqlRows } from './sql.ts';

const referencePath = path.join(repoRoot, '../shared/spec/reference-openapi-v1.json');

interface Operation {
  operationId: string;
  requestBody?: unknown;
  responses?: Record<string, { content?: Record<string, { schema?: JsonSchema }> }>;
}
interface Reference {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, JsonSchema> };
}

/**
 * Where the reference document itself is wrong or looser than api-model.md, the schema is patched here, each with
 * its reason. Everything else in the document is taken as written.
 */
const schemaPatches: Record<string, { schema: JsonSchema; why: string }> = {
  TupleUnit: {
    schema: { not: {} },
    why:
      'ApiResponse.data is oneOf [null, TupleUnit] but the document never defines TupleUnit (the unit type). ' +
      'api-model.md §3: endpoints without payload answer "data": null — the null branch alone must decide.',
  },
};

/** Reference operations answering JSON that this suite does not call, each with its reason. */
const skipped: Record<string, string> = {};

/** A request for one operation: path parameters, body, and who sends it (default: by the route's access). */
interface Sample {
  params?: Record<string, string>;
  body?: unknown;
  as?: Api;
}

interface Ctx {
  w: World;
  s: TestServer;
  send: Transport;
  seed: Seeder;
  route: RouteInfo;
  bodyCtx: (params: Record<string, string>) => BodyContext;
}

const sha256 = (t: string) => createHash('sha256').update(t).digest('hex');

/** A user of the world's org logged in through the API, so destructive auth calls never touch the owner. */
async function freshLogin(c: Ctx, role = 'Viewer'): Promise<{ api: Api; id: string; email: string }> {
  const id = await c.seed.user(role);
  const [{ email }] = await sqlRows<{ email: string }>(c.s.db, 'SELECT email FROM users WHERE id = $1', [id]);
  await sqlRows(
    c.s.db,
    'UPDATE users SET password_hash = (SELECT password_hash FROM users WHERE id = $1) WHERE id = $2',
    [c.w.owner.id, id],
  );
  const api = new Api(c.send);
  await api.data('POST', '/api/auth/login', { email, password: PASSWORD });
  return { api, id, email };
}

/** A one-time token as the emailed links carry it; only its hash is stored. */
async function mailToken(c: Ctx, userId: string, purpose: 'verify_email' | 'reset_password') {
  const token = randomUUID();
  await sqlRows(
    c.s.db,
    `INSERT INTO user_tokens (token_hash, user_id, purpose, expires_at) VALUES ($1, $2, $3, now() + interval '1 hour')`,
    [sha256(token), userId, purpose],
  );
  return token;
}

const get = (c: Ctx, url: string) => c.w.owner.api.data<Record<string, unknown>>('GET', url);

/** A topology of the world's network, built from its inventory (a service bound across two subnets gives an edge). */
async function newTopology(c: Ctx) {
  const t = await c.w.owner.api.data<{
    id: string;
    options: unknown;
    nodes: { id: string }[];
    edges: { id: string }[];
  }>('POST', '/api/v1/topology', { network_id: c.w.networkId, name: `topo-${next()}` });
  if (t.nodes.length === 0 || t.edges.length === 0)
    throw new Error('the world inventory gives no topology nodes/edges');
  return t;
}

/** Hand-written requests by reference operationId, for operations the generic rules below cannot fill. */
const samples: Record<string, (c: Ctx) => Promise<Sample> | Sample> = {
  // Topology: each sample builds its own topology from the world's network; point updates name one of its elements.
  create_topology: (c) => ({ body: { network_id: c.w.networkId, name: `topo-${next()}` } }),
  update_topology: async (c) => ({
    params: { id: (await newTopology(c)).id },
    body: { network_id: c.w.networkId, name: 'Renamed' },
  }),
  rebuild: async (c) => {
    const t = await newTopology(c);
    return { params: { id: t.id }, body: { network_id: c.w.networkId, options: t.options } };
  },
  refresh: async (c) => {
    const t = await newTopology(c);
    return { params: { id: t.id }, body: { network_id: c.w.networkId, options: t.options } };
  },
  lock: async (c) => ({ params: { id: (await newTopology(c)).id } }),
  unlock: async (c) => ({ params: { id: (await newTopology(c)).id } }),
  update_metadata: async (c) => ({
    params: { id: (await newTopology(c)).id },
    body: { network_id: c.w.networkId, name: 'Renamed' },
  }),
  update_node_position: async (c) => {
    const t = await newTopology(c);
    return {
      params: { id: t.id },
      body: { network_id: c.w.networkId, node_id: t.nodes[0]!.id, position: { x: 25, y: 50 } },
    };
  },
  update_node_resize: async (c) => {
    const t = await newTopology(c);
    return {
      params: { id: t.id },
      body: {
        network_id: c.w.networkId,
        node_id: t.nodes[0]!.id,
        size: { x: 500, y: 400 },
        position: { x: 0, y: 0 },
      },
    };
  },
  update_edge_handles: async (c) => {
    const t = await newTopology(c);
    return {
      params: { id: t.id },
      body: {
        network_id: c.w.networkId,
        edge_id: t.edges[0]!.id,
        source_handle: 'Left',
        target_handle: 'Right',
      },
    };
  },
  check_email: () => ({ body: { email: `nobody-${next()}@example.com` } }),
  forgot_password: (c) => ({ body: { email: c.w.member.email } }),
  resend_verification: (c) => ({ body: { email: c.w.member.email } }),
  login: async (c) => ({ body: { email: (await freshLogin(c)).email, password: PASSWORD } }),
  logout: async (c) => ({ as: (await freshLogin(c)).api }),
  register: () => ({
    body: { email: `new-${next()}@example.com`, password: PASSWORD, terms_accepted: true },
  }),
  setup: () => ({ body: { organization_name: 'Acme', network: { name: 'Home' } } }),
  update_password_auth: async (c) => ({
    as: (await freshLogin(c)).api,
    body: { current_password: PASSWORD, new_password: PASSWORD },
  }),
  request_email_change: async (c) => ({
    as: (await freshLogin(c)).api,
    body: { new_email: `moved-${next()}@example.com`, current_password: PASSWORD },
  }),
  verify_email: async (c) => ({ body: { token: await mailToken(c, await c.seed.user(), 'verify_email') } }),
  reset_password: async (c) => ({
    body: { token: await mailToken(c, await c.seed.user(), 'reset_password'), password: PASSWORD },
  }),

  // Daemon protocol: a second daemon registers; the world's daemon reports in.
  register_daemon: async (c) => {
    const key = await c.w.owner.api.data<{ key: string }>('POST', '/api/v1/auth/daemon', {
      name: `reg-${next()}`,
      network_id: c.w.networkId,
    });
    const daemonId = randomUUID();
    const api = new Api(c.send, {
      authorization: `Bearer ${key.key}`,
      'x-daemon-id': daemonId,
      'x-daemon-version': '0.1.0',
    });
    return { as: api, body: registerBody(daemonId, c.w.networkId) };
  },
  receive_heartbeat: (c) => ({
    params: { id: c.w.daemon.id },
    body: { url: '', name: 'lab-daemon', mode: 'daemon_poll' },
  }),
  daemon_startup: (c) => ({ params: { id: c.w.daemon.id }, body: { daemon_version: '0.1.0' } }),
  update_capabilities: (c) => ({
    params: { id: c.w.daemon.id },
    body: { has_docker_socket: false, interfaced_subnet_ids: [c.w.subnetIds.discovered] },
  }),
  receive_discovery_update: (c) => ({
    params: { session_id: randomUUID() },
    body: knownBody('receive_discovery_update', c.bodyCtx({ session_id: randomUUID() })),
  }),
  create_host_discovery: (c) => ({ body: discoveryHostBody(c.w.networkId) }),
  retry_daemon_connection: (c) => ({ params: { id: c.w.daemon.id } }),
  cancel_discovery: async (c) => {
    const started = await c.w.owner.api.data<{ session_id: string }>(
      'POST',
      '/api/v1/discovery/start-session',
      c.w.discoveryId,
    );
    return { params: { session_id: started.session_id } };
  },

  rotate_key_handler: async (c) => ({ params: { id: await c.seed.daemonKey() } }),
  rotate_user_api_key: async (c) => ({ params: { id: await c.seed.userKey() } }),

  create_host: async (c) => {
    const ifId = randomUUID();
    const n = next();
    return {
      body: {
        name: `made-${n}`,
        network_id: c.w.networkId,
        hostname: `made-${n}.lan`,
        description: 'by hand',
        hidden: false,
        tags: [c.w.tagIds[0]],
        interfaces: [
          { id: ifId, subnet_id: c.w.subnetIds.manual, ip_address: `10.77.10.${100 + (n % 100)}` },
        ],
        ports: [{ id: randomUUID(), number: 443, protocol: 'Tcp' }],
        services: [
          {
            id: randomUUID(),
            name: 'Web',
            service_definition: 'Nginx',
            bindings: [{ id: randomUUID(), type: 'Interface', interface_id: ifId }],
            tags: [],
          },
        ],
      },
    };
  },
  update_host: async (c) => {
    const h = await get(c, `/api/v1/hosts/${c.w.hostIds.manual}`);
    return {
      params: { id: c.w.hostIds.manual },
      body: {
        id: h.id,
        name: h.name,
        hidden: h.hidden,
        tags: h.tags,
        hostname: h.hostname,
        description: 'moved to the third floor',
      },
    };
  },
  consolidate_hosts: async (c) => ({
    params: { destination_host: c.w.hostIds.discovered, other_host: await c.seed.host() },
  }),
  create_interface: (c) => ({
    body: {
      host_id: c.w.hostIds.manual,
      subnet_id: c.w.subnetIds.manual,
      network_id: c.w.networkId,
      ip_address: `10.77.10.${200 + (next() % 50)}`,
      mac_address: '02:00:5e:10:00:99',
      name: 'eth1',
    },
  }),
  update_interface: (c) => putBack(c, 'interfaces', c.w.interfaceIds.at(-1)!, { name: 'wlan1' }),
  create_port: (c) => ({
    body: { host_id: c.w.hostIds.manual, network_id: c.w.networkId, number: 8000 + next(), protocol: 'Udp' },
  }),
  update_port: (c) => putBack(c, 'ports', c.w.portIds.at(-1)!, { number: 632 }),
  create_service: (c) => ({
    body: {
      host_id: c.w.hostIds.manual,
      network_id: c.w.networkId,
      name: `svc-${next()}`,
      service_definition: 'SSH',
      tags: [c.w.tagIds[1]],
    },
  }),
  update_service: (c) => putBack(c, 'services', c.w.serviceIds.at(-1)!, { name: 'CUPS queue' }),
  create_binding: async (c) => {
    const svc = await c.w.owner.api.data<{ id: string }>('POST', '/api/v1/services', {
      host_id: c.w.hostIds.manual,
      network_id: c.w.networkId,
      name: `bound-${next()}`,
      service_definition: 'CUPS',
      tags: [],
    });
    return {
      body: {
        service_id: svc.id,
        network_id: c.w.networkId,
        type: 'Interface',
        interface_id: c.w.interfaceIds.at(-1),
      },
    };
  },
  update_binding: (c) => putBack(c, 'bindings', c.w.bindingIds.at(-1)!, {}),
  create_tag: () => ({ body: { name: `tag-${next()}`, color: 'Teal', description: 'made in a test' } }),
  update_tag: (c) => ({
    params: { id: c.w.tagIds[1] },
    body: { name: `printers-${next()}`, color: 'Blue', description: null },
  }),
  create_subnet: (c) => ({
    body: {
      network_id: c.w.secondNetworkId,
      cidr: `10.77.${50 + (next() % 100)}.0/24`,
      name: 'guests',
      description: null,
      subnet_type: 'Guest',
      tags: [c.w.tagIds[0]],
    },
  }),
  update_subnet: async (c) => {
    const sub = await get(c, `/api/v1/subnets/${c.w.subnetIds.manual}`);
    return {
      params: { id: c.w.subnetIds.manual },
      body: {
        cidr: sub.cidr,
        name: 'office floor 2',
        description: sub.description,
        subnet_type: sub.subnet_type,
        tags: sub.tags,
      },
    };
  },
  update_org_name: (c) => ({ params: { id: c.w.organizationId }, body: `Org ${next()}` }),
  // Reset wipes the organization: it runs on an organization of its own.
  reset: async (c) => {
    // With email on, a new account must verify before it logs in: the test marks it verified.
    const email = `reset-${next()}@example.com`;
    const other = new Api(c.send);
    const u = await other.data<{ id: string; organization_id: string }>('POST', '/api/auth/register', {
      email,
      password: PASSWORD,
      terms_accepted: true,
    });
    await sqlRows(c.s.db, 'UPDATE users SET email_verified = true WHERE id = $1', [u.id]);
    await other.data('POST', '/api/auth/login', { email, password: PASSWORD });
    return { as: other, params: { id: u.organization_id } };
  },
  update_user: (c) => ({ params: { id: c.w.owner.id }, body: {} }),
  admin_update_user: (c) => ({
    params: { id: c.w.member.id },
    body: { permissions: 'Member', network_ids: [c.w.networkId, c.w.secondNetworkId] },
  }),
  revoke_invite: async (c) => ({ params: { id: await c.seed.invite() } }),
  unlink_oidc_account: async (c) => {
    const u = await freshLogin(c);
    await sqlRows(
      c.s.db,
      `UPDATE users SET oidc_provider = 'authentik', oidc_subject = $2, oidc_linked_at = now() WHERE id = $1`,
      [u.id, `subject-${next()}`],
    );
    return { as: u.api, params: { slug: 'authentik' } };
  },

  create_share: async (c) => ({ body: await shareBody(c, 'Share-Secret-1') }),
  update_share: async (c) => {
    const id = await apiShare(c);
    const current = await get(c, `/api/v1/shares/${id}`);
    return { params: { id }, body: { share: { ...current, name: 'renamed share' }, password: null } };
  },
  get_public_share_metadata: async (c) => ({ params: { id: await apiShare(c, 'Share-Secret-1') } }),
  verify_share_password: async (c) => ({
    params: { id: await apiShare(c, 'Share-Secret-1') },
    body: 'Share-Secret-1',
  }),
};

/** A create_share body for the network's topology (made when the network has none yet). */
async function shareBody(c: Ctx, password: string | null) {
  const [topo] = await sqlRows<{ id: string }>(
    c.s.db,
    'SELECT id FROM topologies WHERE network_id = $1 ORDER BY created_at LIMIT 1',
    [c.w.networkId],
  );
  const topologyId = topo?.id ?? randomUUID();
  if (!topo) {
    await sqlRows(c.s.db, 'INSERT INTO topologies (id, network_id, name) VALUES ($1, $2, $3)', [
      topologyId,
      c.w.networkId,
      'Office',
    ]);
  }
  return {
    share: {
      topology_id: topologyId,
      network_id: c.w.networkId,
      name: `share-${next()}`,
      is_enabled: true,
      expires_at: null,
      allowed_domains: ['*.example.com'],
      options: { show_inspect_panel: true, show_zoom_controls: true, show_export_button: false },
    },
    password,
  };
}

async function apiShare(c: Ctx, password: string | null = null): Promise<string> {
  const share = await c.w.owner.api.data<{ id: string }>(
    'POST',
    '/api/v1/shares',
    await shareBody(c, password),
  );
  return share.id;
}

/** GET the entity, change some fields, PUT it back: what a client editing a form sends. */
async function putBack(c: Ctx, kind: string, id: string, change: Record<string, unknown>): Promise<Sample> {
  const current = await get(c, `/api/v1/${kind}/${id}`);
  return { params: { id }, body: { ...current, ...change } };
}

/** The world's long-lived entity of each kind, for reads and updates; other kinds get a fresh seeded row. */
const worldIds = (w: World): Partial<Record<EntityKind, string>> => ({
  networks: w.networkId,
  subnets: w.subnetIds.discovered,
  hosts: w.hostIds.daemon,
  interfaces: w.interfaceIds[0],
  ports: w.portIds[0],
  services: w.serviceIds[0],
  bindings: w.bindingIds[0],
  tags: w.tagIds[0],
  daemons: w.daemon.id,
  'auth/daemon': w.daemon.keyId,
  'auth/keys': w.userKey.id,
  users: w.member.id,
  invites: w.openInviteId,
  organizations: w.organizationId,
  groups: w.groupId,
  discovery: w.discoveryId,
});

async function worldId(c: Ctx, kind: EntityKind): Promise<string> {
  return worldIds(c.w)[kind] ?? c.seed.fresh(kind, c.w.owner.id);
}

/** The request for an operation: a hand-written sample, or one of the generic CRUD rules; undefined = none. */
async function sampleFor(
  c: Ctx,
  refPath: string,
  method: string,
  op: Operation,
): Promise<Sample | undefined> {
  const explicit = samples[op.operationId];
  if (explicit) return explicit(c);
  const kind = kindOf(refPath.replace(/\{(\w+)\}/g, ':$1'));
  const params = [...refPath.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
  if (method === 'GET' && !params.length) return {};
  if (!params.length && !op.requestBody) return {};
  if (!kind) return undefined;
  const byId = params.length === 1 && params[0] === 'id' && /\/\{id\}$/.test(refPath);
  if (method === 'GET' && byId) return { params: { id: await worldId(c, kind) } };
  if (method === 'DELETE' && byId) return { params: { id: await c.seed.fresh(kind, c.w.owner.id) } };
  if (method === 'POST' && refPath.endsWith('/bulk-delete') && !params.length) {
    return { body: [await c.seed.fresh(kind, c.w.owner.id), await c.seed.fresh(kind, c.w.owner.id)] };
  }
  // Creates and updates with a known body (bodies.ts), addressed at the world's entity.
  const p: Record<string, string> = byId ? { id: await worldId(c, kind) } : {};
  if (params.length && !byId) return undefined;
  const body = knownBody(c.route.operationId, c.bodyCtx(p));
  return body === undefined ? undefined : { params: p, body };
}

function loadReference(): Reference {
  return JSON.parse(
    readFileSync(referencePath, 'utf8').replaceAll('#/components/schemas/', 'ref#/$defs/'),
  ) as Reference;
}

function compiler(doc: Reference): (schema: JsonSchema) => ValidateFunction {
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
  addFormats.default(ajv);
  // OpenAPI's integer formats say how wide the number is, not what shape a string has.
  for (const f of [
    'int32',
    'int64',
    'uint32',
    'uint64',
    'int8',
    'uint8',
    'int16',
    'uint16',
    'double',
    'float',
  ])
    ajv.addFormat(f, true);
  const defs = { ...doc.components.schemas };
  for (const [name, p] of Object.entries(schemaPatches)) defs[name] = p.schema;
  ajv.addSchema({ $id: 'ref', $defs: defs });
  return (schema) => ajv.compile(schema);
}

function describeErrors(errors: ErrorObject[] | null | undefined, body: unknown): string {
  const lines = (errors ?? []).slice(0, 6).map((e) => {
    const at = e.instancePath || '(root)';
    const value = e.instancePath
      .split('/')
      .slice(1)
      .reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], body);
    return `${at} ${e.message ?? ''} ${JSON.stringify(e.params)} [${e.schemaPath}] got ${JSON.stringify(value)?.slice(0, 160)}`;
  });
  return lines.join('\n    ');
}

// One backend: response shapes come from route schemas and the shared SQL, which both backends run alike
// (migrations.test.ts and the access matrix cover the backend differences); the world takes a few hundred requests.
describe('contract: our responses validate against the reference response schemas', () => {
  let s: TestServer;
  let w: World;
  let send: Transport;
  let routes: Map<string, RouteInfo>;
  const doc = loadReference();

  // Mail goes to a loopback SMTP server that drops it: the mail routes answer 400 when email is off.
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData: (stream, _session, done) => {
      stream.on('end', () => done());
      stream.resume();
    },
  });

  beforeAll(async () => {
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    s = await startTestServer('pglite', {
      smtpHost: '127.0.0.1',
      smtpPort: (smtp.server.address() as AddressInfo).port,
      smtpFrom: 'Scanopy <scanopy@example.com>',
    });
    send = injectTransport(s.app);
    w = await buildWorld(send, { password: PASSWORD, label: 'contract' });
    routes = new Map(routeTable(s.app).map((r) => [`${r.method} ${r.path}`, r]));
  }, 60_000);
  afterAll(async () => {
    await s?.close();
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
  });

  it('answers every in-scope JSON operation with a 2xx body the reference schema accepts', async () => {
    const compile = compiler(doc);
    const seed = new Seeder(s.db, w.organizationId, w.networkId, w.owner.id);
    // The world's daemon as bodies.ts knows daemons (world.ts's DaemonIdentity).
    const daemonIdentity = {
      keyId: w.daemon.keyId,
      key: w.daemon.key,
      daemonId: w.daemon.id,
      hostId: w.daemon.hostId,
      discoveryId: w.daemon.discoveryId,
      actor: { label: 'daemon', kind: 'daemon' as const, headers: w.daemon.api.headers },
    };
    const mismatches: string[] = [];
    const noSample: string[] = [];
    const failed: string[] = [];
    let validated = 0;
    // Writes first, so every list read afterwards holds at least one entity of its kind.
    const rank: Record<string, number> = { POST: 0, PUT: 1, PATCH: 1, GET: 2, DELETE: 3 };
    const operations = Object.entries(doc.paths)
      .filter(([refPath]) => !outOfScope.some((r) => r.test(refPath)) && !laterTopology.test(refPath))
      .flatMap(([refPath, ops]) =>
        Object.entries(ops)
          .filter(([m]) => m.toUpperCase() in rank)
          .map(([m, op]) => ({ refPath, method: m.toUpperCase(), op })),
      )
      .sort((a, b) => rank[a.method] - rank[b.method]);
    for (const { refPath, method, op } of operations) {
      const key = `${method} ${refPath}`;
      if (pending[key] || skipped[op.operationId]) continue;
      const success = Object.entries(op.responses ?? {}).find(([code]) => code.startsWith('2'));
      const schema = success?.[1].content?.['application/json']?.schema;
      // CSV and ZIP exports and the work poll (documented without a body) are not JSON operations.
      if (!success || !schema) continue;
      const route = routes.get(`${method} ${refPath.replace(/\{(\w+)\}/g, ':$1')}`);
      if (!route) {
        failed.push(`${key}: not in our route table (contract.test.ts should have caught this)`);
        continue;
      }
      const ctx: Ctx = {
        w,
        s,
        send,
        seed,
        route,
        bodyCtx: (params) => ({
          networkId: w.networkId,
          daemon: daemonIdentity,
          params,
          loginEmail: w.member.email,
          tagId: w.tagIds[0],
        }),
      };
      let sample: Sample | undefined;
      try {
        sample = await sampleFor(ctx, refPath, method, op);
      } catch (err) {
        failed.push(`${key}: preparing the sample failed: ${(err as Error).message}`);
        continue;
      }
      if (!sample) {
        noSample.push(`${key} (${op.operationId})`);
        continue;
      }
      const access = expectedAccess(method, route.path);
      const caller =
        sample.as ?? (access === 'daemon' ? w.daemon.api : access === 'public' ? new Api(send) : w.owner.api);
      const url = refPath.replace(/\{(\w+)\}/g, (_, n: string) => sample.params?.[n] ?? `missing-${n}`);
      const res = await caller.req(method, url, sample.body);
      if (res.status !== Number(success[0])) {
        failed.push(`${key}: ${res.status} (reference: ${success[0]}): ${res.text.slice(0, 300)}`);
        continue;
      }
      const validate = compile(schema);
      const body = JSON.parse(res.text) as { data?: unknown };
      if (!validate(body))
        mismatches.push(`${key} (${op.operationId}):\n    ${describeErrors(validate.errors, body)}`);
      // An empty list validates whatever its item schema says: the world must fill every list it reads.
      if (method === 'GET' && Array.isArray(body.data) && body.data.length === 0) {
        failed.push(`${key}: the list is empty, so its items were not checked`);
      }
      validated++;
    }
    expect.soft(failed, 'samples that did not get the reference success status').toEqual([]);
    expect
      .soft(noSample, 'in-scope operations without a sample: add one to `samples` (or a reasoned skip)')
      .toEqual([]);
    expect.soft(mismatches, 'responses the reference schema rejects').toEqual([]);
    expect(validated).toBeGreaterThan(90);
  }, 120_000);
});
