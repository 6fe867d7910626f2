import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { categoryOf } from '../src/entities/topology/topology.builder.ts';
import { DEFAULT_REQUEST_OPTIONS } from '../src/entities/topology/topology.service.ts';
import { startTestServer, type TestServer } from './harness.ts';
import { buildOrg, call, data, type Actor, type Org } from './fixtures/world.ts';
import { addHost, addSubnet, emptySeed, seedInventory, type InventorySeed } from './topology-fixture.ts';

type Node = {
  id: string;
  node_type: string;
  size: { x: number; y: number };
  header: string | null;
  is_infra?: boolean;
};

/** A router (gateway and DNS), a NAS with a database, and a Proxmox VM whose card sits in a Docker bridge. */
function lab() {
  const s = emptySeed();
  const wan = addSubnet(s, 'wan', '192.168.60.0/24', 'Gateway');
  const lan = addSubnet(s, 'lan', '10.60.0.0/24', 'Lan');
  const dock = addSubnet(s, 'docker0', '172.30.0.0/16', 'DockerBridge');
  const router = addHost(s, 'router', [wan.id, lan.id], ['Gateway']);
  const nas = addHost(s, 'nas', [lan.id], ['PostgreSQL', 'Samba']);
  const pve = addHost(s, 'pve', [lan.id], ['Proxmox VE']);
  const vm = addHost(s, 'vmhost', [dock.id], ['Redis'], {
    virtualization: { type: 'Proxmox', details: { service_id: pve.services[0]!.id } },
  });
  return { s, router, nas, vm };
}

/*
 * The request options of §1.4 the builder honours, one by one through the API (a rebuild with the option set, the
 * stored graph read back): hide_ports, left_zone_service_categories, show_gateway_in_left_zone and
 * hide_vm_title_on_docker_container. (group_docker_bridges_by_host and hide_service_categories are in
 * topology.test.ts.)
 */
describe('topology request options', () => {
  let srv: TestServer;
  let A: Org;
  let owner: Actor;
  let home: ReturnType<typeof lab>;
  let topo: { id: string; options: { local: object } };

  beforeAll(async () => {
    srv = await startTestServer('pglite', { topologyAutoRebuild: false });
    A = await buildOrg(srv.app, srv.db, 'A');
    owner = A.sessions.Owner!;
    home = lab();
    await seedInventory(srv.db, A.networkId, home.s as InventorySeed);
    topo = await data(
      call(srv.app, owner, 'POST', '/api/v1/topology', { network_id: A.networkId, name: 'Options' }),
    );
  });
  afterAll(async () => srv?.close());

  /** The stored graph's nodes after a rebuild with these request options over the defaults. */
  async function built(request: Partial<typeof DEFAULT_REQUEST_OPTIONS>): Promise<Node[]> {
    await data(
      call(srv.app, owner, 'POST', `/api/v1/topology/${topo.id}/rebuild`, {
        network_id: A.networkId,
        options: { ...topo.options, request: { ...DEFAULT_REQUEST_OPTIONS, ...request } },
      }),
    );
    const t = await data(call(srv.app, owner, 'GET', `/api/v1/topology/${topo.id}`));
    expect(t.options.request).toMatchObject(request);
    return t.nodes as Node[];
  }
  const card = (nodes: Node[], id: string) => nodes.find((n) => n.id === id)!;

  it('hide_ports shrinks each card by the port row of every service bound to a port', async () => {
    const nas = home.nas.ifaces[0]!.id;
    const shown = card(await built({ hide_ports: false }), nas).size.y;
    const hidden = card(await built({ hide_ports: true }), nas).size.y;
    // Two port-bound services on the NAS card, 25 px of port row each.
    expect(shown - hidden).toBe(50);
  });

  it('left_zone_service_categories puts cards with those categories in the left zone', async () => {
    const nas = home.nas.ifaces[0]!.id;
    const database = categoryOf({ service_definition: 'PostgreSQL' });
    expect(database).not.toBe('Unknown');
    expect(card(await built({ left_zone_service_categories: [] }), nas).is_infra).toBe(false);
    const categories = [database] as (typeof DEFAULT_REQUEST_OPTIONS)['left_zone_service_categories'];
    expect(card(await built({ left_zone_service_categories: categories }), nas).is_infra).toBe(true);
  });

  it('show_gateway_in_left_zone decides whether gateway services count as infrastructure', async () => {
    const gw = home.router.ifaces[0]!.id;
    const none = { left_zone_service_categories: [] };
    expect(card(await built({ ...none, show_gateway_in_left_zone: true }), gw).is_infra).toBe(true);
    expect(card(await built({ ...none, show_gateway_in_left_zone: false }), gw).is_infra).toBe(false);
  });

  it('hide_vm_title_on_docker_container drops the "VM:" header of a VM card in a Docker bridge', async () => {
    const vm = home.vm.ifaces[0]!.id;
    expect(card(await built({ hide_vm_title_on_docker_container: false }), vm).header).toBe('VM: vmhost');
    const header = card(await built({ hide_vm_title_on_docker_container: true }), vm).header;
    expect(header ?? '').not.toMatch(/^VM: /);
  });
});
