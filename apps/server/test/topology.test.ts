import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EntityEvent, EventScope } from '../src/events/bus.ts';
import { marksStale, TopologyLifecycle } from '../src/entities/topology/topology.lifecycle.ts';
import type { GraphNode } from '../src/entities/topology/topology.builder.ts';
import { UNGROUPED_ID as UNGROUPED } from '../src/entities/topology/topology.views.ts';
import { layoutGraph } from '../src/entities/topology/topology.layout.ts';
import { TopologiesRepository } from '../src/entities/topology/topology.repository.ts';
import { DEFAULT_REQUEST_OPTIONS } from '../src/entities/topology/topology.service.ts';
import { startTestServer, type TestServer } from './harness.ts';
import { buildOrg, call, data, type Actor, type Org } from './fixtures/world.ts';
import { addHost, addSubnet, emptySeed, seedInventory, type InventorySeed } from './topology-fixture.ts';

type Node = {
  id: string;
  node_type: string;
  position: { x: number; y: number };
  size: { x: number; y: number };
  subnet_id?: string;
  header: string | null;
  is_infra?: boolean;
};
type Edge = {
  id: string;
  edge_type: string;
  source: string;
  target: string;
  source_handle: string;
  target_handle: string;
  label: string | null;
};

/**
 * A small home network: gateway and LAN subnets, a router in both, a NAS running Docker with two containers on two
 * bridges, a Proxmox host with a VM, a hidden host, an open-ports-only host, and a request-path group.
 */
function homeLab() {
  const s = emptySeed();
  const gw = addSubnet(s, 'wan', '192.168.0.0/24', 'Gateway');
  const lan = addSubnet(s, 'lan', '10.1.0.0/24', 'Lan');
  const d1 = addSubnet(s, 'bridge', '172.17.0.0/16', 'DockerBridge');
  const d2 = addSubnet(s, 'compose', '172.18.0.0/16', 'DockerBridge');
  const router = addHost(s, 'router', [gw.id, lan.id], ['Gateway', 'Pi-Hole']);
  // Pi-Hole listens on every interface of the router (a port binding without an interface).
  (router.services[1]!.binding as { interface_id: string | null }).interface_id = null;
  const nas = addHost(s, 'nas', [lan.id, d1.id, d2.id], ['Docker', 'PostgreSQL']);
  const docker = nas.services[0]!;
  // Two containers, each bound to its own bridge interface of the NAS.
  const containers = [1, 2].map((k) => {
    const svc = {
      id: randomUUID(),
      host_id: nas.host.id,
      name: k === 1 ? 'Traefik' : 'Redis',
      service_definition: k === 1 ? 'Traefik' : 'Redis',
      virtualization: { type: 'Docker', details: { service_id: docker.id, container_name: `c${k}` } },
    };
    s.services.push(svc);
    const binding = { id: randomUUID(), service_id: svc.id, interface_id: nas.ifaces[k]!.id, port_id: null };
    s.bindings.push(binding);
    return { ...svc, binding };
  });
  const pve = addHost(s, 'pve', [lan.id], ['Proxmox VE']);
  const vm = addHost(s, 'vm1', [lan.id], ['Home Assistant'], {
    virtualization: { type: 'Proxmox', details: { service_id: pve.services[0]!.id } },
  });
  const hidden = addHost(s, 'secret', [lan.id], ['MySQL'], { hidden: true });
  const scanner = addHost(s, 'printer', [lan.id], ['Unclaimed Open Ports']);
  const group = {
    id: randomUUID(),
    name: 'Web path',
    group_type: 'RequestPath',
    binding_ids: [router.services[1]!.binding.id, containers[0]!.binding.id, vm.services[0]!.binding.id],
  };
  s.groups.push(group);
  return { s, gw, lan, d1, d2, router, nas, containers, pve, vm, hidden, scanner, group };
}

/** A card and a subnet box for layout tests that build a graph by hand. */
const card = (id: string, subnet: string): GraphNode => ({
  id,
  node_type: 'InterfaceNode',
  position: { x: 0, y: 0 },
  size: { x: 250, y: 100 },
  header: null,
  subnet_id: subnet,
  host_id: id,
  interface_id: id,
  is_infra: false,
});
const box = (id: string): GraphNode => ({
  id,
  node_type: 'SubnetNode',
  position: { x: 0, y: 0 },
  size: { x: 0, y: 0 },
  header: id,
});

describe('topology', () => {
  let srv: TestServer;
  let A: Org;
  let B: Org;
  let owner: Actor;
  let lab: ReturnType<typeof homeLab>;
  let topo: { id: string; nodes: Node[]; edges: Edge[] } & Record<string, unknown>;

  beforeAll(async () => {
    srv = await startTestServer('pglite');
    A = await buildOrg(srv.app, srv.db, 'A');
    B = await buildOrg(srv.app, srv.db, 'B');
    owner = A.sessions.Owner!;
    lab = homeLab();
    await seedInventory(srv.db, A.networkId, lab.s as InventorySeed);
    topo = await data(
      call(srv.app, owner, 'POST', '/api/v1/topology', { network_id: A.networkId, name: 'Lab' }),
    );
  });
  afterAll(async () => srv?.close());

  const nodes = (t = topo) => t.nodes;
  const edgesOf = (type: string, t = topo) => t.edges.filter((e) => e.edge_type === type);
  /** Rebuild answers an empty success: read the topology back. */
  const rebuild = async (body: unknown) => {
    await data(post('/rebuild', body));
    return data(call(srv.app, owner, 'GET', `/api/v1/topology/${topo.id}`));
  };
  const post = (path: string, body: unknown, who = owner) =>
    call(srv.app, who, 'POST', `/api/v1/topology/${topo.id}${path}`, body);

  it('builds on create: subnets as containers, carded interfaces, hidden hosts and hidden categories left out', () => {
    expect(topo.is_stale).toBe(false);
    const subnetNodes = nodes().filter((n) => n.node_type === 'SubnetNode');
    // wan, lan and one merged docker box for the NAS (group_docker_bridges_by_host is on by default).
    expect(subnetNodes.map((n) => n.id)).toEqual(expect.arrayContaining([lab.gw.id, lab.lan.id]));
    expect(subnetNodes).toHaveLength(3);
    expect(subnetNodes.find((n) => n.header?.startsWith('Docker Bridge'))?.header).toBe(
      'Docker Bridge: (172.17.0.0/16, 172.18.0.0/16)',
    );
    const cards = nodes()
      .filter((n) => n.node_type === 'InterfaceNode')
      .map((n) => n.id);
    expect(cards).toContain(lab.router.ifaces[0]!.id);
    expect(cards).toContain(lab.router.ifaces[1]!.id); // through Pi-Hole's all-interfaces binding
    expect(cards).not.toContain(lab.hidden.ifaces[0]!.id);
    expect(cards).not.toContain(lab.scanner.ifaces[0]!.id); // only an OpenPorts service: hidden category
    expect((topo.hosts as { id: string }[]).map((h) => h.id)).not.toContain(lab.hidden.host.id);
    // Cards sit inside their container and the container holds them.
    for (const c of nodes().filter((n) => n.node_type === 'InterfaceNode')) {
      const parent = nodes().find((n) => n.id === c.subnet_id)!;
      expect(c.position.x + c.size.x).toBeLessThanOrEqual(parent.size.x);
      expect(c.position.y + c.size.y).toBeLessThanOrEqual(parent.size.y);
    }
    // Layer order of §2.2: the gateway subnet above the LAN, the docker box below.
    const y = (id: string) => nodes().find((n) => n.id === id)!.position.y;
    expect(y(lab.gw.id)).toBeLessThan(y(lab.lan.id));
    expect(y(lab.lan.id)).toBeLessThan(subnetNodes.find((n) => n.header?.startsWith('Docker'))!.position.y);
  });

  it('draws each edge type of §1.3', () => {
    const iface = edgesOf('Interface');
    expect(iface).toContainEqual(
      expect.objectContaining({
        source: lab.router.ifaces[0]!.id,
        target: lab.router.ifaces[1]!.id,
        label: 'router',
      }),
    );
    const vm = edgesOf('HostVirtualization');
    expect(vm).toEqual([
      expect.objectContaining({ source: lab.pve.ifaces[0]!.id, target: lab.vm.ifaces[0]!.id }),
    ]);
    const dockerBox = nodes().find((n) => n.header?.startsWith('Docker'))!.id;
    expect(edgesOf('ServiceVirtualization')).toEqual([
      expect.objectContaining({ source: lab.nas.ifaces[0]!.id, target: dockerBox, label: 'Docker @ nas' }),
    ]);
    const paths = edgesOf('RequestPath');
    expect(paths.map((e) => [e.source, e.target])).toEqual([
      [lab.router.ifaces[0]!.id, lab.nas.ifaces[1]!.id],
      [lab.nas.ifaces[1]!.id, lab.vm.ifaces[0]!.id],
    ]);
    // Gateway (edge layer) to LAN (internal): going down a layer is Bottom→Top.
    expect(iface[0]).toMatchObject({ source_handle: 'Bottom', target_handle: 'Top' });
  });

  it('lays out deterministically: rebuilding the same inventory gives the same graph', async () => {
    const again = await rebuild({ network_id: A.networkId, options: topo.options });
    expect(again.nodes).toEqual(topo.nodes);
    expect(again.edges).toEqual(topo.edges);
  });

  it('point updates change one node or edge in place, survive a rebuild, and reset drops them', async () => {
    const card = lab.nas.ifaces[0]!.id;
    const body = { network_id: A.networkId, node_id: card, position: { x: 175, y: 300 } };
    expect(JSON.stringify(body).length).toBeLessThan(300);
    const res = await post('/node-position', body);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ success: true, data: null });
    await data(
      post('/node-resize', {
        network_id: A.networkId,
        node_id: lab.lan.id,
        size: { x: 2000, y: 1500 },
        position: { x: 0, y: 400 },
      }),
    );
    const edge = edgesOf('Interface')[0]!;
    await data(
      post('/edge-handles', {
        network_id: A.networkId,
        edge_id: edge.id,
        source_handle: 'Left',
        target_handle: 'Right',
      }),
    );
    await data(post('/metadata', { network_id: A.networkId, name: 'Renamed' }));

    const read = async () => data(call(srv.app, owner, 'GET', `/api/v1/topology/${topo.id}`));
    const check = (t: typeof topo) => {
      expect(t.nodes.find((n) => n.id === card)!.position).toEqual({ x: 175, y: 300 });
      expect(t.nodes.find((n) => n.id === lab.lan.id)).toMatchObject({
        size: { x: 2000, y: 1500 },
        position: { x: 0, y: 400 },
      });
      expect(t.edges.find((e) => e.id === edge.id)).toMatchObject({
        source_handle: 'Left',
        target_handle: 'Right',
      });
    };
    const stored = await read();
    expect(stored.name).toBe('Renamed');
    check(stored);
    // A rebuild recomputes the graph and keeps what the user placed.
    check(
      await rebuild({
        network_id: A.networkId,
        options: topo.options,
        nodes: stored.nodes,
        edges: stored.edges,
      }),
    );
    // Reset (empty lists) forgets the placements: back to the computed layout.
    const reset = await rebuild({ network_id: A.networkId, options: topo.options, nodes: [], edges: [] });
    expect(reset.nodes).toEqual(topo.nodes);
  });

  it('a full PUT (the reference UI before #451) stores the positions and sizes it carries as placements, in one write', async () => {
    const before = await data(call(srv.app, owner, 'GET', `/api/v1/topology/${topo.id}`));
    const card = lab.router.ifaces[0]!.id;
    const moved = {
      ...before,
      nodes: [
        ...before.nodes.map((n: Node) =>
          n.id === card
            ? { ...n, position: { x: 425, y: 75 } }
            : n.id === lab.lan.id
              ? { ...n, size: { x: 1800, y: 900 } }
              : n,
        ),
        // A node the topology does not have is ignored, not added.
        { id: randomUUID(), node_type: 'InterfaceNode', position: { x: 1, y: 1 }, size: { x: 1, y: 1 } },
      ],
    };
    const put = await data(call(srv.app, owner, 'PUT', `/api/v1/topology/${topo.id}`, moved));
    expect(put.nodes).toHaveLength(before.nodes.length);
    expect(put.nodes.find((n: Node) => n.id === card)!.position).toEqual({ x: 425, y: 75 });
    expect(put.nodes.find((n: Node) => n.id === lab.lan.id)!.size).toEqual({ x: 1800, y: 900 });
    // Every other node is as it was.
    const others = (t: typeof topo) => t.nodes.filter((n) => n.id !== card && n.id !== lab.lan.id);
    expect(others(put)).toEqual(others(before));
    // They are placements: a rebuild keeps them; a reset drops them.
    const again = await rebuild({ network_id: A.networkId, options: topo.options });
    expect(again.nodes.find((n: Node) => n.id === card)!.position).toEqual({ x: 425, y: 75 });
    await rebuild({ network_id: A.networkId, options: topo.options, nodes: [], edges: [] });
  });

  it('answers 404 for an unknown node or edge and 400 for bad bodies, never 500', async () => {
    const unknown = await post('/node-position', {
      network_id: A.networkId,
      node_id: randomUUID(),
      position: { x: 1, y: 2 },
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().code).toBe('topology_node_not_found');
    expect(
      (
        await post('/edge-handles', {
          network_id: A.networkId,
          edge_id: randomUUID(),
          source_handle: 'Top',
          target_handle: 'Top',
        })
      ).statusCode,
    ).toBe(404);
    expect(
      (await post('/node-position', { network_id: A.networkId, node_id: 'nope', position: { x: 1 } }))
        .statusCode,
    ).toBe(400);
    expect(
      (
        await post('/edge-handles', {
          network_id: A.networkId,
          edge_id: randomUUID(),
          source_handle: 'Up',
          target_handle: 'Top',
        })
      ).statusCode,
    ).toBe(400);
    expect(
      (
        await post('/node-resize', {
          network_id: A.networkId,
          node_id: lab.lan.id,
          size: { x: -1, y: 5 },
          position: { x: 0, y: 0 },
        })
      ).statusCode,
    ).toBe(400);
    // Another organization sees nothing; a wrong network_id in the body is a 404 too.
    const other = await post(
      '/node-position',
      { network_id: B.networkId, node_id: lab.lan.id, position: { x: 1, y: 2 } },
      B.sessions.Owner!,
    );
    expect(other.statusCode).toBe(404);
    expect((await post('/lock', undefined, B.sessions.Owner!)).statusCode).toBe(404);
  });

  it('lock blocks rebuild and refresh; unlock allows them again; options.request changes the graph', async () => {
    const locked = await data(post('/lock', undefined));
    expect(locked).toMatchObject({ is_locked: true, locked_by: A.owner.id });
    expect((await post('/rebuild', { network_id: A.networkId, options: topo.options })).statusCode).toBe(409);
    expect((await post('/refresh', { network_id: A.networkId, options: topo.options })).statusCode).toBe(409);
    const unlocked = await data(post('/unlock', undefined));
    expect(unlocked).toMatchObject({ is_locked: false, locked_by: null, locked_at: null });
    const options = {
      ...(topo.options as object),
      request: {
        ...DEFAULT_REQUEST_OPTIONS,
        group_docker_bridges_by_host: false,
        hide_service_categories: [],
      },
    };
    const split = await rebuild({ network_id: A.networkId, options });
    const boxes = (split.nodes as Node[]).filter((n) => n.node_type === 'SubnetNode').map((n) => n.id);
    expect(boxes).toEqual(expect.arrayContaining([lab.d1.id, lab.d2.id]));
    expect((split.nodes as Node[]).map((n) => n.id)).toContain(lab.scanner.ifaces[0]!.id);
    expect(
      (split.edges as Edge[])
        .filter((e) => e.edge_type === 'ServiceVirtualization')
        .map((e) => e.target)
        .sort(),
    ).toEqual([lab.nas.ifaces[1]!.id, lab.nas.ifaces[2]!.id].sort());
    expect(split.options.request.group_docker_bridges_by_host).toBe(false);
  });

  it('Applications view: boxes are application tags (own tag first, then the host’s); tag changes make it stale', async () => {
    const tag = async (name: string, is_application: boolean) =>
      (await data(call(srv.app, owner, 'POST', '/api/v1/tags', { name, color: 'Blue', is_application }))) as {
        id: string;
      };
    const media = await tag('Home media', true);
    const plain = await tag('Critical', false);
    const assign = (entity_type: string, entity_id: string, tag_ids: string[]) =>
      data(call(srv.app, owner, 'PUT', '/api/v1/tags/assign', { entity_type, entity_id, tag_ids }));
    // The NAS carries only a plain tag; the VM host the application tag; Traefik its own plain tag.
    await assign('Host', lab.nas.host.id, [plain.id]);
    await assign('Host', lab.vm.host.id, [media.id]);
    await assign('Service', lab.containers[0]!.id, [plain.id]);
    const view = await data(
      call(srv.app, owner, 'GET', `/api/v1/topology/data?network_id=${A.networkId}&view=Applications`),
    );
    const ns = view.nodes as Node[];
    expect(ns.filter((n) => n.node_type === 'SubnetNode').map((n) => n.header)).toEqual([
      'Home media',
      'Ungrouped',
    ]);
    expect(ns.find((n) => n.id === lab.vm.services[0]!.id)?.subnet_id).toBe(media.id);
    // A plain tag makes no box, on the host or on the service itself.
    expect(ns.find((n) => n.id === lab.containers[0]!.id)?.subnet_id).toBe(UNGROUPED);
    expect(ns.find((n) => n.id === lab.nas.services[1]!.id)?.subnet_id).toBe(UNGROUPED);
    // The service's own application tag wins over its host's.
    const other = await tag('Automation', true);
    await assign('Service', lab.vm.services[0]!.id, [other.id]);
    const again = await data(
      call(srv.app, owner, 'GET', `/api/v1/topology/data?network_id=${A.networkId}&view=Applications`),
    );
    expect((again.nodes as Node[]).find((n) => n.id === lab.vm.services[0]!.id)?.subnet_id).toBe(other.id);

    // Staleness: tagging and flagging tags change only Applications topologies; untagged events change all.
    const apps = await data(
      call(srv.app, owner, 'POST', '/api/v1/topology', {
        network_id: A.networkId,
        name: 'Apps',
        view: 'Applications',
      }),
    );
    const repo = new TopologiesRepository(srv.db.kysely);
    const fresh = async () => {
      await srv.db.kysely
        .updateTable('topologies')
        .set({ is_stale: false })
        .where('network_id', '=', A.networkId)
        .execute();
    };
    const staleOf = async () =>
      new Map((await repo.ofNetworks([A.networkId])).map((t) => [t.id, { stale: t.is_stale, view: t.view }]));
    const lc = new TopologyLifecycle(repo, async () => undefined);
    lc.autoRebuild = false;
    const scope = { network_id: A.networkId, organization_id: A.orgId, ids: [lab.nas.host.id] };
    const event = (
      entity: string,
      changed_fields: string[],
      scopes: EventScope[] = [scope],
    ): EntityEvent => ({
      entity,
      operation: 'updated',
      ids: scopes.flatMap((x) => x.ids),
      network_ids: scopes.map((x) => x.network_id).filter((x): x is string => !!x),
      organization_ids: [A.orgId],
      scopes,
      changed_fields,
      suppress: false,
    });
    for (const e of [
      event('Host', ['tags']),
      event('Tag', ['is_application'], [{ network_id: null, organization_id: A.orgId, ids: [media.id] }]),
    ]) {
      await fresh();
      await lc.onEvent(e);
      const st = await staleOf();
      expect(st.get(apps.id as string)?.stale, e.entity).toBe(true);
      expect(st.get(topo.id)?.stale, e.entity).toBe(false);
    }
    await fresh();
    await lc.onEvent(
      event('Tag', ['color'], [{ network_id: null, organization_id: A.orgId, ids: [media.id] }]),
    );
    expect([...(await staleOf()).values()].every((t) => !t.stale)).toBe(true);
    await lc.onEvent(event('Host', ['hostname']));
    expect([...(await staleOf()).values()].every((t) => t.stale)).toBe(true);
    lc.stop();
    await data(call(srv.app, owner, 'DELETE', `/api/v1/topology/${apps.id as string}`));
    for (const t of [media, plain, other]) await data(call(srv.app, owner, 'DELETE', `/api/v1/tags/${t.id}`));
  });

  it('v0.17 read path: the graph of a network per view, and a Mermaid export', async () => {
    const l3 = await data(
      call(srv.app, owner, 'GET', `/api/v1/topology/data?network_id=${A.networkId}&view=L3Logical`),
    );
    expect(l3.view).toBe('L3Logical');
    expect((l3.nodes as Node[]).map((n) => n.id)).toContain(lab.lan.id);
    const work = await data(
      call(srv.app, owner, 'GET', `/api/v1/topology/data?network_id=${A.networkId}&view=Workloads`),
    );
    const boxes = (work.nodes as Node[]).filter((n) => n.node_type === 'SubnetNode');
    // Bare-metal boxes only: the VM is an element inside its hypervisor's box, containers inside the NAS.
    expect(boxes.map((b) => b.id)).not.toContain(lab.vm.host.id);
    expect((work.nodes as Node[]).find((n) => n.id === lab.vm.host.id)).toMatchObject({
      subnet_id: lab.pve.host.id,
      header: 'VM: vm1',
    });
    expect((work.nodes as Node[]).find((n) => n.id === lab.containers[0]!.id)?.subnet_id).toBe(
      lab.nas.host.id,
    );
    const apps = await data(
      call(srv.app, owner, 'GET', `/api/v1/topology/data?network_id=${A.networkId}&view=Applications`),
    );
    expect((apps.nodes as Node[]).filter((n) => n.node_type === 'SubnetNode').map((n) => n.header)).toEqual([
      'Ungrouped',
    ]);
    expect((apps.edges as Edge[]).filter((e) => e.edge_type === 'RequestPath')).toHaveLength(2);
    expect(
      (await call(srv.app, B.sessions.Owner!, 'GET', `/api/v1/topology/data?network_id=${A.networkId}`))
        .statusCode,
    ).toBe(404);

    const res = await call(srv.app, owner, 'GET', `/api/v1/topology/${topo.id}/export/mermaid`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const lines = res.body.trim().split('\n');
    // Structure checked by hand (the mermaid parser needs a DOM): header, balanced subgraphs, links between declared ids.
    expect(lines[0]).toBe('flowchart TB');
    expect(lines.filter((l) => l.trim().startsWith('subgraph ')).length).toBe(
      lines.filter((l) => l.trim() === 'end').length,
    );
    const declared = new Set(
      lines.map((l) => /^\s+(?:subgraph )?(n_[A-Za-z0-9]+)\[/.exec(l)?.[1]).filter(Boolean),
    );
    const links = lines.filter((l) => / (-->|-\.-)/.test(l));
    expect(links.length).toBeGreaterThan(0);
    for (const l of links) {
      const [, a, b] = /^\s+(n_\w+) .* (n_\w+)$/.exec(l)!;
      expect(declared.has(a!) && declared.has(b!), l).toBe(true);
    }
    expect(res.body).toContain('["lan"]');
  });

  it('puts the subnets of one §2.2 layer in one row, even when an edge joins them', async () => {
    const link = (source: string, target: string) => ({
      id: `${source}-${target}`,
      edge_type: 'Interface',
      source,
      target,
      label: null,
      source_handle: 'Right' as const,
      target_handle: 'Left' as const,
      is_multi_hop: false,
    });
    const graph = {
      nodes: [box('gw'), box('lan'), box('iot'), card('r', 'gw'), card('a', 'lan'), card('b', 'iot')],
      edges: [link('r', 'a'), link('a', 'b')],
    };
    const types: Record<string, string> = { gw: 'Gateway', lan: 'Lan', iot: 'IoT' };
    await layoutGraph({ graph, containerType: (id) => types[id] });
    const at = (id: string) => graph.nodes.find((n) => n.id === id)!.position;
    expect(at('lan').y).toBe(at('iot').y);
    expect(at('gw').y).toBeLessThan(at('lan').y);
    // §2.2 horizontal order inside the row: Lan before IoT.
    expect(at('lan').x).toBeLessThan(at('iot').x);
  });

  it('wraps a layer too wide for any screen into rows, in order, and moves the layers below down', async () => {
    // Thirty LAN subnets of 30 cards each (as the 1,000-host bench) and one Docker bridge in the layer below.
    const lans = Array.from({ length: 30 }, (_, i) => `lan-${String(i).padStart(2, '0')}`);
    const nodes: GraphNode[] = [box('gw'), box('docker'), card('r', 'gw'), card('d', 'docker')];
    for (const lan of lans) {
      nodes.push(box(lan));
      for (let c = 0; c < 30; c++) nodes.push(card(`${lan}-${c}`, lan));
    }
    const types = (id: string) => (id === 'gw' ? 'Gateway' : id === 'docker' ? 'DockerBridge' : 'Lan');
    const graph = { nodes, edges: [] };
    await layoutGraph({ graph, containerType: types });
    const boxes = nodes.filter((n) => n.node_type === 'SubnetNode');
    const at = (id: string) => boxes.find((n) => n.id === id)!;
    const width =
      Math.max(...boxes.map((b) => b.position.x + b.size.x)) - Math.min(...boxes.map((b) => b.position.x));
    const height =
      Math.max(...boxes.map((b) => b.position.y + b.size.y)) - Math.min(...boxes.map((b) => b.position.y));
    // Several rows, and a shape a screen can frame (it was one row, about 24 times wider than high).
    expect(new Set(lans.map((l) => at(l).position.y)).size).toBeGreaterThan(2);
    expect(width / height).toBeLessThan(4);
    // ELK's order is kept: reading the rows left to right, top to bottom gives the §2.2 order (by name here).
    const reading = [...lans].sort(
      (a, b) => at(a).position.y - at(b).position.y || at(a).position.x - at(b).position.x,
    );
    expect(reading).toEqual(lans);
    // Nothing overlaps, and the layers keep their order top to bottom.
    for (const a of boxes)
      for (const b of boxes) {
        if (a === b) continue;
        const apart =
          a.position.x + a.size.x <= b.position.x ||
          b.position.x + b.size.x <= a.position.x ||
          a.position.y + a.size.y <= b.position.y ||
          b.position.y + b.size.y <= a.position.y;
        expect(apart, `${a.id} overlaps ${b.id}`).toBe(true);
      }
    const lowestLan = Math.max(...lans.map((l) => at(l).position.y + at(l).size.y));
    expect(at('gw').position.y + at('gw').size.y).toBeLessThanOrEqual(
      Math.min(...lans.map((l) => at(l).position.y)),
    );
    expect(at('docker').position.y).toBeGreaterThanOrEqual(lowestLan);
    // The same input gives the same coordinates.
    const again = structuredClone({
      nodes: nodes.map((n) => ({ ...n, position: { x: 0, y: 0 } })),
      edges: [],
    });
    await layoutGraph({ graph: again, containerType: types });
    expect(again.nodes.map((n) => n.position)).toEqual(nodes.map((n) => n.position));
  });

  it('staleness follows the field rules of §1.5', () => {
    const ev = (
      entity: string,
      operation: EntityEvent['operation'],
      changed_fields: string[] = [],
    ): EntityEvent => ({
      entity,
      operation,
      ids: [randomUUID()],
      network_ids: [A.networkId],
      organization_ids: [],
      scopes: [],
      changed_fields,
      suppress: false,
    });
    expect(marksStale(ev('Host', 'created'))).toBe(true);
    expect(marksStale(ev('Host', 'deleted'))).toBe(true);
    expect(marksStale(ev('Host', 'updated', ['hostname']))).toBe(true);
    expect(marksStale(ev('Host', 'updated', ['hidden']))).toBe(true);
    expect(marksStale(ev('Host', 'updated', ['virtualization']))).toBe(true);
    expect(marksStale(ev('Host', 'updated', ['description']))).toBe(false);
    expect(marksStale(ev('Interface', 'updated', ['ip_address']))).toBe(true);
    expect(marksStale(ev('Interface', 'updated', ['subnet_id']))).toBe(true);
    expect(marksStale(ev('Interface', 'updated', ['mac_address']))).toBe(false);
    expect(marksStale(ev('Service', 'updated', ['virtualization']))).toBe(true);
    expect(marksStale(ev('Service', 'updated', ['host_id']))).toBe(true);
    expect(marksStale(ev('Service', 'updated', ['position']))).toBe(false);
    expect(marksStale(ev('Binding', 'updated', ['binding_type']))).toBe(true);
    expect(marksStale(ev('Binding', 'updated', ['service_id']))).toBe(true);
    expect(marksStale(ev('Port', 'updated', ['port_type']))).toBe(true);
    expect(marksStale(ev('Port', 'updated', ['host_id']))).toBe(true);
    expect(marksStale(ev('Group', 'updated', ['binding_ids']))).toBe(true);
    expect(marksStale(ev('Group', 'updated', ['color']))).toBe(false);
    expect(marksStale(ev('Subnet', 'updated', ['name', 'cidr']))).toBe(false);
    expect(marksStale(ev('Subnet', 'created'))).toBe(false);
    expect(marksStale(ev('Subnet', 'deleted'))).toBe(true);
    expect(marksStale(ev('Tag', 'created'))).toBe(false);
    expect(marksStale({ ...ev('Host', 'updated', ['hostname']), suppress: true })).toBe(false);
  });

  it('marks stale, records removals, and coalesces auto-rebuilds per network; locked topologies are left alone', async () => {
    await data(post('/lock', undefined));
    const rebuilt: string[] = [];
    const lc = new TopologyLifecycle(
      new TopologiesRepository(srv.db.kysely),
      async (id) => void rebuilt.push(id),
      {
        debounceMs: 60_000,
        maxWaitMs: 60_000,
      },
    );
    const removedHost = randomUUID();
    const scope = { network_id: A.networkId, organization_id: A.orgId, ids: [removedHost] };
    for (let k = 0; k < 200; k++) {
      await lc.onEvent({
        entity: 'Host',
        operation: k === 0 ? 'deleted' : 'created',
        ids: [removedHost],
        network_ids: [A.networkId],
        organization_ids: [A.orgId],
        scopes: [scope],
        changed_fields: [],
        suppress: false,
      });
    }
    const locked = await data(call(srv.app, owner, 'GET', `/api/v1/topology/${topo.id}`));
    expect(locked).toMatchObject({ is_stale: true, is_locked: true, removed_hosts: [removedHost] });
    await lc.flush();
    // The network's default "My Topology" is unlocked and rebuilt; the locked one is stale and left alone.
    expect(rebuilt).not.toContain(topo.id);
    rebuilt.length = 0;
    await data(post('/unlock', undefined));
    await lc.onEvent({
      entity: 'Port',
      operation: 'updated',
      ids: [randomUUID()],
      network_ids: [A.networkId],
      organization_ids: [A.orgId],
      scopes: [{ ...scope, ids: [randomUUID()] }],
      changed_fields: ['port_number'],
      suppress: false,
    });
    await lc.flush();
    // 201 events, one rebuild per unlocked topology of the network (this one and the default My Topology).
    expect(rebuilt.filter((id) => id === topo.id)).toHaveLength(1);
    expect(rebuilt).toHaveLength(2);
    lc.stop();
  });

  it('rebuilds by itself after a write to the inventory (the server subscriber)', async () => {
    const extra = emptySeed();
    extra.subnets.push({ ...lab.lan });
    const added = addHost(extra, 'late', [lab.lan.id], ['Redis']);
    extra.subnets = [];
    await seedInventory(srv.db, A.networkId, extra);
    let found = false;
    for (let k = 0; k < 100 && !found; k++) {
      await new Promise((r) => setTimeout(r, 200));
      const t = await data(call(srv.app, owner, 'GET', `/api/v1/topology/${topo.id}`));
      found = !t.is_stale && (t.nodes as Node[]).some((n) => n.id === added.ifaces[0]!.id);
    }
    expect(found).toBe(true);
  });
});
