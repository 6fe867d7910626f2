import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { migrate } from '../src/db/migrate.ts';
import { backends, freshDb, startTestServer, type TestServer } from './harness.ts';
import { listenLocal, SseClient } from './events-sse.helpers.ts';
import { buildOrg, call, data, type Actor, type Org } from './fixtures/world.ts';
import { sqlRows } from './sql.ts';
import { addHost, addSubnet, emptySeed, seedInventory, type InventorySeed } from './topology-fixture.ts';

type Node = {
  id: string;
  node_type: string;
  position: { x: number; y: number };
  size: { x: number; y: number };
};
type Edge = { id: string; edge_type: string; source_handle: string; target_handle: string };
type Topo = { id: string; nodes: Node[]; edges: Edge[]; updated_at: string; last_refreshed: string } & Record<
  string,
  unknown
>;

const wait = { timeout: 15_000, interval: 20 };

/** A router in two subnets (an Interface edge between its cards) and a NAS beside it. */
function lab() {
  const s = emptySeed();
  const wan = addSubnet(s, 'wan', '192.168.50.0/24', 'Gateway');
  const lan = addSubnet(s, 'lan', '10.50.0.0/24', 'Lan');
  const router = addHost(s, 'router', [wan.id, lan.id], ['Gateway', 'Pi-Hole']);
  // Pi-Hole listens on every interface of the router, so both of its interfaces get a card (and an edge joins them).
  (router.services[1]!.binding as { interface_id: string | null }).interface_id = null;
  const nas = addHost(s, 'nas', [lan.id], ['PostgreSQL', 'Samba']);
  return { s, wan, lan, router, nas };
}

/*
 * Issue 11, point updates in place: a drag writes one small placement row (topology_placements, migration 0017) and
 * neither the graph column nor the topologies row; reads lay the placements over the stored graph. And the topology
 * stream tells open editors what happened (lock, unlock, rebuild, refresh, rename, full save, arrangement, staleness)
 * with the topology's state after it.
 */
describe.each(backends)('topology placements and stream on %s', (backend) => {
  let srv: TestServer;
  let A: Org;
  let B: Org;
  let owner: Actor;
  let home: ReturnType<typeof lab>;
  let topo: Topo;
  let base: string;

  beforeAll(async () => {
    srv = await startTestServer(backend, { topologyAutoRebuild: false });
    base = await listenLocal(srv.app);
    A = await buildOrg(srv.app, srv.db, 'A');
    B = await buildOrg(srv.app, srv.db, 'B');
    owner = A.sessions.Owner!;
    home = lab();
    await seedInventory(srv.db, A.networkId, home.s as InventorySeed);
    topo = await data(
      call(srv.app, owner, 'POST', '/api/v1/topology', { network_id: A.networkId, name: 'Placements' }),
    );
  });
  afterAll(async () => srv?.close());

  const post = (path: string, body: unknown, who = owner, id = topo.id) =>
    call(srv.app, who, 'POST', `/api/v1/topology/${id}${path}`, body);
  const read = (id = topo.id): Promise<Topo> => data(call(srv.app, owner, 'GET', `/api/v1/topology/${id}`));
  /** The row's version (a rewrite of the row, even of one column, gives it a new one) and its stored graph. */
  const row = async (id = topo.id) =>
    (
      await sqlRows<{ v: string; nodes: Node[]; edges: Edge[] }>(
        srv.db,
        'SELECT xmin::text AS v, nodes, edges FROM topologies WHERE id = $1',
        [id],
      )
    )[0]!;
  const placements = (id = topo.id) =>
    sqlRows<{ kind: string; element_id: string; placement: Record<string, unknown>; bytes: number }>(
      srv.db,
      `SELECT kind, element_id, placement, octet_length(placement::text) + octet_length(element_id) AS bytes
       FROM topology_placements WHERE topology_id = $1 ORDER BY kind, element_id`,
      [id],
    );

  it('a point update writes one placement row of under 200 bytes and leaves the graph and the row alone', async () => {
    const card = home.nas.ifaces[0]!.id;
    const computed = topo.nodes.find((n) => n.id === card)!.position;
    const before = await row();

    const body = { network_id: A.networkId, node_id: card, position: { x: 425, y: 175 } };
    expect(JSON.stringify(body).length).toBeLessThan(300);
    expect(await data(post('/node-position', body))).toBeNull();

    const after = await row();
    // Not one byte of the topologies row was written: same row version, same stored graph.
    expect(after.v).toBe(before.v);
    expect(after.nodes.find((n) => n.id === card)!.position).toEqual(computed);
    const [p] = await placements();
    expect(p).toMatchObject({ kind: 'node', element_id: card, placement: { position: { x: 425, y: 175 } } });
    expect(p!.bytes).toBeLessThan(200);

    // Reads lay the placement over the graph, and updated_at moves with it.
    const got = await read();
    expect(got.nodes.find((n) => n.id === card)!.position).toEqual({ x: 425, y: 175 });
    expect(Date.parse(got.updated_at)).toBeGreaterThan(Date.parse(topo.updated_at));
    // So does the list.
    const listed = await data<Topo[]>(
      call(srv.app, owner, 'GET', `/api/v1/topology?network_id=${A.networkId}`),
    );
    expect(listed.find((t) => t.id === topo.id)!.nodes.find((n) => n.id === card)!.position).toEqual({
      x: 425,
      y: 175,
    });
  });

  it('resize merges into the node’s placement, edge handles get their own; still no write to the row', async () => {
    const before = await row();
    const card = home.nas.ifaces[0]!.id;
    await data(
      post('/node-resize', {
        network_id: A.networkId,
        node_id: card,
        size: { x: 300, y: 150 },
        position: { x: 450, y: 200 },
      }),
    );
    const edge = topo.edges.find((e) => e.edge_type === 'Interface')!;
    expect(edge).toBeDefined();
    const handles = edge.source_handle === 'Left' ? ['Top', 'Bottom'] : ['Left', 'Right'];
    await data(
      post('/edge-handles', {
        network_id: A.networkId,
        edge_id: edge.id,
        source_handle: handles[0],
        target_handle: handles[1],
      }),
    );
    expect((await row()).v).toBe(before.v);
    const ps = await placements();
    expect(ps.map((p) => [p.kind, p.element_id, p.placement])).toEqual([
      ['edge', edge.id, { source_handle: handles[0], target_handle: handles[1] }],
      ['node', card, { position: { x: 450, y: 200 }, size: { x: 300, y: 150 } }],
    ]);
    for (const p of ps) expect(p.bytes).toBeLessThan(200);
    const got = await read();
    expect(got.nodes.find((n) => n.id === card)).toMatchObject({
      position: { x: 450, y: 200 },
      size: { x: 300, y: 150 },
    });
    expect(got.edges.find((e) => e.id === edge.id)).toMatchObject({
      source_handle: handles[0],
      target_handle: handles[1],
    });
  });

  it('refuses unknown nodes and edges with 404 and writes nothing (an edge id is not a node id)', async () => {
    const count = (await placements()).length;
    const edge = topo.edges[0]!;
    for (const [path, body] of [
      ['/node-position', { node_id: randomUUID(), position: { x: 1, y: 2 } }],
      ['/node-position', { node_id: edge.id, position: { x: 1, y: 2 } }],
      ['/node-resize', { node_id: randomUUID(), size: { x: 10, y: 10 }, position: { x: 1, y: 2 } }],
      ['/edge-handles', { edge_id: home.lan.id, source_handle: 'Top', target_handle: 'Top' }],
    ] as const) {
      const res = await post(path, { network_id: A.networkId, ...body });
      expect(res.statusCode, path).toBe(404);
      expect(res.json().code).toBe('topology_node_not_found');
    }
    // Another organization's caller cannot place anything on this topology.
    const other = await post(
      '/node-position',
      { network_id: B.networkId, node_id: home.lan.id, position: { x: 1, y: 2 } },
      B.sessions.Owner!,
    );
    expect(other.statusCode).toBe(404);
    expect(await placements()).toHaveLength(count);
  });

  it('a rebuild applies and keeps the placements; another view or a reset drops them', async () => {
    const card = home.nas.ifaces[0]!.id;
    const rebuilt = async (body: object) => {
      await data(post('/rebuild', { network_id: A.networkId, options: topo.options, ...body }));
      return read();
    };
    const kept = await rebuilt({});
    expect(kept.nodes.find((n) => n.id === card)!.position).toEqual({ x: 450, y: 200 });
    // The rebuild wrote the placements into the stored graph too.
    expect((await row()).nodes.find((n) => n.id === card)!.position).toEqual({ x: 450, y: 200 });
    expect(await placements()).toHaveLength(2);

    const reset = await rebuilt({ nodes: [], edges: [] });
    expect(await placements()).toHaveLength(0);
    expect(reset.nodes).toEqual(topo.nodes);

    await data(
      post('/node-position', { network_id: A.networkId, node_id: card, position: { x: 25, y: 50 } }),
    );
    expect(await placements()).toHaveLength(1);
    await rebuilt({ view: 'Workloads' });
    expect(await placements()).toHaveLength(0);
    await rebuilt({ view: 'L3Logical' });
  });

  it('a full PUT stores placements for known nodes only, without rewriting the graph column', async () => {
    const t = await read();
    const card = home.router.ifaces[0]!.id;
    const graphBefore = (await row()).nodes;
    const moved = {
      ...t,
      nodes: [
        ...t.nodes.map((n) => (n.id === card ? { ...n, position: { x: 75, y: 100 } } : n)),
        { id: randomUUID(), node_type: 'InterfaceNode', position: { x: 1, y: 1 }, size: { x: 1, y: 1 } },
      ],
    };
    const put = await data<Topo>(call(srv.app, owner, 'PUT', `/api/v1/topology/${t.id}`, moved));
    expect(put.nodes).toHaveLength(t.nodes.length);
    expect(put.nodes.find((n) => n.id === card)!.position).toEqual({ x: 75, y: 100 });
    expect((await row()).nodes).toEqual(graphBefore);
    const ps = await placements();
    expect(ps).toHaveLength(t.nodes.length);
    expect(ps.every((p) => t.nodes.some((n) => n.id === p.element_id))).toBe(true);
    await data(post('/rebuild', { network_id: A.networkId, options: topo.options, nodes: [], edges: [] }));
  });

  it('deleting a topology deletes its placements', async () => {
    const other = await data<Topo>(
      call(srv.app, owner, 'POST', '/api/v1/topology', { network_id: A.networkId, name: 'Doomed' }),
    );
    const card = other.nodes.find((n) => n.node_type === 'InterfaceNode')!;
    await data(
      post(
        '/node-position',
        { network_id: A.networkId, node_id: card.id, position: card.position },
        owner,
        other.id,
      ),
    );
    expect(await placements(other.id)).toHaveLength(1);
    await data(call(srv.app, owner, 'DELETE', `/api/v1/topology/${other.id}`));
    expect(await placements(other.id)).toHaveLength(0);
  });

  it('the topology stream tells open editors what happened, with the state after it and without the graph', async () => {
    const cookie = (a: Actor) => ({ cookie: a.headers.cookie! });
    const mine = await SseClient.open(base, '/api/v1/topology/stream', cookie(owner));
    const theirs = await SseClient.open(base, '/api/v1/topology/stream', cookie(B.sessions.Owner!));
    expect([mine.status, theirs.status]).toEqual([200, 200]);
    type Msg = { type: string; id: string; action: string; changed_fields: string[]; topology?: Topo };
    const about = (s: SseClient) =>
      (s.messages as Msg[]).filter((m) => m.type === 'topology' && m.id === topo.id);
    const next = async (action: string) => {
      await vi.waitFor(() => expect(about(mine).map((m) => m.action)).toContain(action), wait);
      return about(mine).find((m) => m.action === action)!;
    };

    // Events of the tests before this one may still be on their way: start from a quiet stream.
    await new Promise((r) => setTimeout(r, 500));
    mine.messages.length = 0;

    const before = await read();
    await data(post('/lock', undefined));
    expect((await next('locked')).topology).toMatchObject({
      id: topo.id,
      network_id: A.networkId,
      is_locked: true,
      locked_by: A.owner.id,
    });
    await data(post('/unlock', undefined));
    expect((await next('unlocked')).topology).toMatchObject({
      is_locked: false,
      locked_by: null,
      locked_at: null,
    });

    await data(post('/rebuild', { network_id: A.networkId, options: topo.options }));
    const rebuilt = await next('rebuilt');
    expect(Date.parse(rebuilt.topology!.last_refreshed)).toBeGreaterThan(Date.parse(before.last_refreshed));
    expect(rebuilt.topology!.is_stale).toBe(false);

    await data(post('/refresh', { network_id: A.networkId, options: topo.options }));
    const refreshed = await next('refreshed');
    expect(Date.parse(refreshed.topology!.last_refreshed)).toBeGreaterThan(
      Date.parse(rebuilt.topology!.last_refreshed),
    );

    await data(post('/metadata', { network_id: A.networkId, name: 'Renamed map' }));
    expect((await next('updated')).topology!.name).toBe('Renamed map');

    const card = home.nas.ifaces[0]!.id;
    await data(
      post('/node-position', { network_id: A.networkId, node_id: card, position: { x: 50, y: 75 } }),
    );
    expect((await next('arranged')).changed_fields).toEqual(['placements']);

    const t = await read();
    await data(call(srv.app, owner, 'PUT', `/api/v1/topology/${t.id}`, t));
    await next('saved');

    // An inventory write makes the (not auto-rebuilt) topology stale; the stream says so with its removed lists.
    await data(
      call(srv.app, owner, 'POST', '/api/v1/hosts', { name: 'late', network_id: A.networkId, tags: [] }),
    );
    expect((await next('stale')).topology).toMatchObject({ is_stale: true });

    // A whole topology never travels on the stream, and another organization hears nothing of it.
    for (const m of about(mine)) {
      expect(m.topology?.nodes).toBeUndefined();
      expect(m.topology?.hosts).toBeUndefined();
      expect(JSON.stringify(m).length).toBeLessThan(2000);
    }
    expect(about(mine).map((m) => m.action)).toEqual([
      'locked',
      'unlocked',
      'rebuilt',
      'refreshed',
      'updated',
      'arranged',
      'saved',
      'stale',
    ]);
    expect(
      (theirs.messages as (Msg & { network_id: string })[]).filter((m) => m.network_id === A.networkId),
    ).toEqual([]);

    // Created and deleted topologies are announced too.
    const extra = await data<Topo>(
      call(srv.app, owner, 'POST', '/api/v1/topology', { network_id: A.networkId, name: 'Extra' }),
    );
    await data(call(srv.app, owner, 'DELETE', `/api/v1/topology/${extra.id}`));
    await vi.waitFor(
      () =>
        expect(
          (mine.messages as Msg[])
            .filter((m) => m.type === 'topology' && m.id === extra.id)
            .map((m) => m.action),
        ).toEqual(['created', 'rebuilt', 'deleted']),
      wait,
    );
    mine.close();
    theirs.close();
  });

  it('migration 0017 moves the overrides of 0014 into placements and lists the graph’s ids', async () => {
    const f = await freshDb(backend);
    try {
      await migrate(f.db, '0016_add_dependency_members');
      const org = randomUUID();
      const net = randomUUID();
      const id = randomUUID();
      await sqlRows(f.db, "INSERT INTO organizations (id, name) VALUES ($1, 'Old')", [org]);
      await sqlRows(f.db, "INSERT INTO networks (id, organization_id, name) VALUES ($1, $2, 'Old net')", [
        net,
        org,
      ]);
      const nodes = [
        { id: 'n1', node_type: 'SubnetNode', position: { x: 0, y: 0 }, size: { x: 10, y: 10 } },
        { id: 'n2', node_type: 'InterfaceNode', position: { x: 5, y: 5 }, size: { x: 1, y: 1 } },
      ];
      const edges = [{ id: 'e1', source: 'n1', target: 'n2', source_handle: 'Top', target_handle: 'Top' }];
      const overrides = {
        nodes: { n2: { position: { x: 5, y: 5 } } },
        edges: { e1: { source_handle: 'Top', target_handle: 'Top' } },
      };
      await sqlRows(
        f.db,
        `INSERT INTO topologies (id, network_id, name, nodes, edges, overrides)
         VALUES ($1, $2, 'Old map', $3::jsonb, $4::jsonb, $5::jsonb)`,
        [id, net, JSON.stringify(nodes), JSON.stringify(edges), JSON.stringify(overrides)],
      );
      await migrate(f.db);
      expect(await sqlRows(f.db, 'SELECT node_ids, edge_ids FROM topologies WHERE id = $1', [id])).toEqual([
        { node_ids: ['n1', 'n2'], edge_ids: ['e1'] },
      ]);
      expect(
        await sqlRows(
          f.db,
          'SELECT kind, element_id, placement FROM topology_placements WHERE topology_id = $1 ORDER BY kind',
          [id],
        ),
      ).toEqual([
        { kind: 'edge', element_id: 'e1', placement: { source_handle: 'Top', target_handle: 'Top' } },
        { kind: 'node', element_id: 'n2', placement: { position: { x: 5, y: 5 } } },
      ]);
      const cols = await sqlRows(
        f.db,
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'topologies' AND column_name = 'overrides'",
      );
      expect(cols).toEqual([]);
    } finally {
      await f.drop();
    }
  });
});
