import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Access, Role } from '../src/auth/principal.ts';
import { backends, startTestServer, type TestServer } from './harness.ts';
import { expectedAccess, fillPath, kindOf, routeTable, type RouteInfo } from './fixtures/routes.ts';
import { sampleOf } from './fixtures/schema-sample.ts';
import {
  bodyAddressesEntity,
  idHints,
  knownBody,
  refsFor,
  refusedWithoutEmail,
  type BodyContext,
} from './fixtures/bodies.ts';
import { addUser, allRoles, anonymous, buildOrg, call, type Actor, type Org } from './fixtures/world.ts';

const rank: Record<string, number> = { Viewer: 1, Member: 2, Admin: 3, Owner: 4 };

/** A paged list route (the reference names them list_x, get_all_x or get_x, so the id does not tell). */
const isList = (r: RouteInfo) =>
  r.method === 'GET' && !r.pathParams.length && r.queryParams.includes('limit');

/** What the auth layer must answer before any handler logic: 401, 403, or let the request through. */
function gate(access: Access, actor: Actor): 'ok' | 401 | 403 {
  if (access === 'public') return 'ok';
  if (actor.kind === 'anon') return 401;
  if (actor.kind === 'daemon') return access === 'daemon' || access.endsWith('_or_daemon') ? 'ok' : 403;
  if (access === 'daemon') return 403;
  if (access === 'session') return actor.kind === 'session' ? 'ok' : 403;
  return rank[actor.role as Role] >=
    rank[access.replace('_or_daemon', '').replace(/^./, (c) => c.toUpperCase())]
    ? 'ok'
    : 403;
}

function envelopeProblem(res: LightMyRequestResponse): string | undefined {
  let body: Record<string, unknown>;
  try {
    body = res.json();
  } catch {
    return `non-JSON error body: ${res.body.slice(0, 120)}`;
  }
  const meta = body.meta as Record<string, unknown> | undefined;
  if (
    body.success !== false ||
    typeof body.error !== 'string' ||
    typeof body.code !== 'string' ||
    !meta?.server_version
  ) {
    return `error is not the envelope: ${res.body.slice(0, 200)}`;
  }
  return undefined;
}

interface Prepared {
  url: string;
  body?: unknown;
  /** The body was written for this operation, so an allowed caller must get a 2xx. */
  known: boolean;
  /** The A-side entity addressed by id, whose survival a cross-org or failed delete must leave intact. */
  target?: { kind: NonNullable<ReturnType<typeof kindOf>>; id: string };
  listFiltered?: boolean;
}

/** Every route × every principal is some thousand requests: minutes, not the default minute, on a busy 2-core machine. */
const MATRIX_TIMEOUT_MS = 240_000;
const pointUpdates = new Set(
  ['node-position', 'node-resize', 'edge-handles'].map((op) => `POST /api/v1/topology/:id/${op}`),
);
describe.each(backends)('access matrix on %s', (backend) => {
  let s: TestServer;
  let A: Org;
  let B: Org;
  let routes: RouteInfo[];

  beforeAll(async () => {
    // Every cell makes fresh entities and topologies in A's network; auto-rebuilding each of those hundreds of
    // topologies after every write would make this minutes longer and test nothing about access.
    s = await startTestServer(backend, { topologyAutoRebuild: false });
    A = await buildOrg(s.app, s.db, 'A', { staff: true, keys: true, daemon: true });
    B = await buildOrg(s.app, s.db, 'B');
    routes = routeTable(s.app);
  });
  afterAll(async () => s?.close());

  /** Path ids, query and body for one cell. Entities are always A's: B's Owner must not reach them. */
  async function prepare(route: RouteInfo, actor: Actor): Promise<Prepared> {
    // A caller the auth layer turns away never reaches a handler: random ids and no body do (seeding entities for the
    // thousand refused cells was most of this suite's time).
    if (gate(expectedAccess(route.method, route.path), actor) !== 'ok') {
      const url = fillPath(route.path, Object.fromEntries(route.pathParams.map((n) => [n, randomUUID()])));
      const daemonPath = route.path.startsWith('/api/daemons/');
      return {
        url: daemonPath ? fillPath(route.path, { '*': A.daemon!.daemonId }) : url,
        body: route.body ? {} : undefined,
        known: true,
      };
    }
    const kind = kindOf(route.path);
    const daemon = A.daemon!;
    const keyOwner: string =
      (actor.org === 'A' && actor.kind === 'session' ? actor.userId : undefined) ?? A.owner.id;
    const params: Record<string, string> = {};
    let target: Prepared['target'];
    for (const name of route.pathParams) {
      if (route.path.startsWith('/api/daemons/')) params[name] = daemon.daemonId;
      else if (name === 'session_id') params[name] = randomUUID();
      else if (route.operationId === 'update_user') {
        // Users may only update themselves.
        params[name] = keyOwner;
        target = { kind: 'users', id: keyOwner };
      } else if (kind) {
        params[name] = await A.seed.fresh(kind, keyOwner);
        target ??= { kind, id: params[name] };
      } else params[name] = randomUUID();
    }
    // An invite link is for anyone: another org's Owner is not expected to get a 404 there.
    if (expectedAccess(route.method, route.path) === 'public') target = undefined;
    let url = fillPath(route.path, params);
    let listFiltered = false;
    // A route that needs its network named gets the caller's own (B's Owner: B's network).
    if (route.requiredQuery.includes('network_id')) {
      url += `?network_id=${actor.org === 'B' ? B.networkId : A.networkId}`;
    } else if (
      actor.org === 'B' &&
      isList(route) &&
      !route.pathParams.length &&
      route.queryParams.includes('network_id')
    ) {
      url += `?network_id=${A.networkId}`;
      listFiltered = true;
    }
    if (route.operationId.startsWith('bulk_delete_') && kind) {
      const id = await A.seed.fresh(kind, keyOwner);
      return { url, body: [id], known: true, target: { kind, id } };
    }
    if (!route.body) return { url, known: true, target, listFiltered };
    const ctx: BodyContext = {
      networkId: A.networkId,
      daemon,
      params,
      loginEmail: A.owner.email,
      tagId: A.tagId,
    };
    const body = knownBody(route.operationId, ctx);
    if (body !== undefined) return { url, body, known: true, target };
    ctx.refs = await refsFor(A.seed, kind, params.id);
    return { url, body: sampleOf(route.body, idHints(ctx)), known: false, target };
  }

  /** Status codes allowed org-A callers got with generated bodies, per route: they must all agree. */
  const generatedOutcomes = new Map<string, Map<string, number>>();

  /** One route × actor: returns a description of what went wrong, or undefined. */
  async function check(route: RouteInfo, actor: Actor): Promise<string | undefined> {
    const access = expectedAccess(route.method, route.path);
    const p = await prepare(route, actor);
    const res = await call(s.app, actor, route.method, p.url, p.body);
    const st = res.statusCode;
    if (!p.known && actor.org === 'A' && gate(access, actor) === 'ok') {
      const key = `${route.method} ${route.path}`;
      generatedOutcomes.set(
        key,
        (generatedOutcomes.get(key) ?? new Map<string, number>()).set(actor.label, st),
      );
    }
    const why = (msg: string) =>
      `${route.method} ${route.path} as ${actor.label} [${access}]: ${msg}; got ${st} ${res.body.slice(0, 200)}`;
    if (st >= 500) return why('server error');
    if (st >= 400) {
      const bad = envelopeProblem(res);
      if (bad) return why(bad);
    }
    const expected = gate(access, actor);
    if (expected !== 'ok') {
      if (st !== expected) return why(`expected ${expected}`);
      const code = res.json<{ code: string }>().code;
      const want = expected === 401 ? 'auth_not_authenticated' : 'auth_permission_denied';
      return code === want ? undefined : why(`expected code ${want}`);
    }
    const deleting = route.method === 'DELETE' || route.operationId.startsWith('bulk_delete_');
    if (actor.org === 'B') {
      if (res.body.includes(A.orgId) || res.body.includes(A.networkId))
        return why("response leaks org A's ids");
      if (
        (p.target || bodyAddressesEntity.has(route.operationId)) &&
        !route.operationId.startsWith('bulk_delete_')
      ) {
        if (st !== 404) return why('expected 404 for another org’s entity');
      } else if (p.target) {
        if (st !== 200 || res.json<{ data: { deleted_count: number } }>().data.deleted_count !== 0) {
          return why('bulk delete of another org’s ids must delete nothing');
        }
      } else if (p.listFiltered) {
        if (st !== 200 || res.json<{ data: unknown[] }>().data.length !== 0)
          return why('expected an empty page');
      } else if ((p.body as { network_id?: string } | undefined)?.network_id === A.networkId) {
        if (st < 400) return why("creating in another org's network must fail");
      } else if (st === 401 || st === 403 || st === 404) return why('expected to be allowed');
      if (p.target && !(await A.seed.exists(p.target.kind, p.target.id)))
        return why("another org's entity was deleted");
      return undefined;
    }
    if (p.known) {
      const redirected = route.operationId === 'accept_invite' && st === 302;
      if (refusedWithoutEmail.has(route.operationId)) {
        if (res.json<{ code?: string }>().code !== 'email_not_configured')
          return why('expected email_not_configured');
      } else if ((st < 200 || st >= 300) && !redirected) return why('expected 2xx');
      if (deleting && p.target && (await A.seed.exists(p.target.kind, p.target.id)))
        return why('entity still exists after delete');
    } else if (st === 401 || st === 403) return why('allowed caller was refused');
    return undefined;
  }

  it(
    'answers every route for every principal as the spec’s access level says, with no 5xx',
    async () => {
      // Gating (401/403 by access level) is decided in-process before any SQL runs, so every principal is checked on
      // PostgreSQL (the faster backend: every request resolves its caller with a query, and PGlite's queries cost a
      // few times more on this machine). On PGlite the principals whose answers come from SQL are checked: the Owner
      // (every handler, with the 2xx bodies), a Viewer session and a Member key (network grants are joins), the
      // daemon (its network), and the other org's Owner (tenant scoping in every repository query).
      const actors: Actor[] =
        backend === 'postgres'
          ? [
              anonymous,
              ...allRoles.map((r) => A.sessions[r]!),
              ...allRoles.map((r) => A.keys[r]!),
              A.daemon!.actor,
              B.sessions.Owner!,
            ]
          : [A.sessions.Owner!, A.sessions.Viewer!, A.keys.Member!, A.daemon!.actor, B.sessions.Owner!];
      const failures: string[] = [];
      let cells = 0;
      for (const route of routes) {
        for (const actor of actors) {
          // Credentialed calls to public auth routes (login, logout, register) would replace the actor's session.
          if (
            expectedAccess(route.method, route.path) === 'public' &&
            route.method !== 'GET' &&
            actor.kind !== 'anon'
          )
            continue;
          // Signing out everywhere would end the actor's session for the rest of the table; logout-all.test.ts
          // covers it.
          if (route.operationId === 'logout_all' && actor.kind === 'session') continue;
          // A successful reset would wipe the fixtures; orgs.test.ts covers it.
          if (
            route.operationId === 'reset' &&
            actor.org === 'A' &&
            gate(expectedAccess(route.method, route.path), actor) === 'ok'
          )
            continue;
          cells++;
          const problem = await check(route, actor);
          if (problem) failures.push(problem);
        }
      }
      // A generated body must work for every allowed caller, or for none; and the Owner must succeed with it, else
      // the route needs a hand-written body in fixtures/bodies.ts.
      for (const [route, outcomes] of generatedOutcomes) {
        // A point update names a node or edge of the topology; a generated id names none, which every allowed caller
        // must hear the same way (404). Their success path is in contract-responses.test.ts and topology.test.ts.
        const expectOk = (st: number) => (pointUpdates.has(route) ? st === 404 : st >= 200 && st < 300);
        const ok = [...outcomes.values()].map(expectOk);
        if (!outcomes.has('session Owner') || !ok.every(Boolean)) {
          failures.push(`${route} with a generated body: ${JSON.stringify(Object.fromEntries(outcomes))}`);
        }
      }
      expect(failures).toEqual([]);
      // The table covers the skeleton's routes at least (more appear as routes are added).
      expect(routes.length).toBeGreaterThanOrEqual(75);
      expect(cells).toBeGreaterThan(routes.length * (actors.length - 3));
    },
    MATRIX_TIMEOUT_MS,
  );

  it(
    'shows Members and Viewers without a grant nothing of a network, and 404s its entities',
    async () => {
      const ungranted = [
        await addUser(s.app, s.db, { orgId: A.orgId, ownerId: A.owner.id }, 'Member', []),
        await addUser(s.app, s.db, { orgId: A.orgId, ownerId: A.owner.id }, 'Viewer', []),
      ];
      const lists = routes.filter(
        (r) => isList(r) && !r.pathParams.length && r.queryParams.includes('network_id'),
      );
      // Public reads (a share link) are for anyone, grant or not.
      const gets = routes.filter(
        (r) =>
          r.method === 'GET' &&
          r.pathParams.length === 1 &&
          kindOf(r.path) &&
          expectedAccess(r.method, r.path) !== 'public',
      );
      expect(lists.length).toBeGreaterThanOrEqual(8);
      const failures: string[] = [];
      for (const actor of ungranted) {
        for (const r of lists) {
          for (const url of [r.path, `${r.path}?network_id=${A.networkId}`]) {
            const res = await call(s.app, actor, 'GET', url);
            const body = res.json<{ data: unknown[]; meta: { pagination: { total_count: number } } }>();
            if (res.statusCode !== 200 || body.data.length || body.meta.pagination.total_count) {
              failures.push(`${actor.label} GET ${url}: ${res.statusCode} ${res.body.slice(0, 150)}`);
            }
          }
        }
        const nets = await call(s.app, actor, 'GET', '/api/v1/networks');
        if (nets.json<{ data: unknown[] }>().data.length) failures.push(`${actor.label} sees networks`);
        for (const r of gets) {
          const kind = kindOf(r.path)!;
          // Organization- and user-scoped kinds are not per network.
          if (['tags', 'auth/keys', 'users', 'invites', 'organizations'].includes(kind)) continue;
          const res = await call(s.app, actor, 'GET', fillPath(r.path, { '*': await A.seed.fresh(kind) }));
          if (res.statusCode !== 404) failures.push(`${actor.label} GET ${r.path}: ${res.statusCode}`);
        }
      }
      expect(failures).toEqual([]);
    },
    MATRIX_TIMEOUT_MS,
  );

  it('answers a network_id filter for another org’s network with an empty page', async () => {
    await B.seed.host();
    await B.seed.service();
    await B.seed.iface();
    const lists = routes.filter(
      (r) => isList(r) && !r.pathParams.length && r.queryParams.includes('network_id'),
    );
    for (const r of lists) {
      for (const actor of [A.sessions.Owner!, A.keys.Owner!]) {
        const res = await call(s.app, actor, 'GET', `${r.path}?network_id=${B.networkId}`);
        expect(res.statusCode, `${r.path} as ${actor.label}`).toBe(200);
        const body = res.json<{ data: unknown[]; meta: { pagination: { total_count: number } } }>();
        expect(body.data, r.path).toEqual([]);
        expect(body.meta.pagination.total_count).toBe(0);
      }
    }
  });
});
