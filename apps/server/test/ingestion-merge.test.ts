import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, Client, registerOwner, startTestServer, type TestServer } from './harness.ts';

/**
 * Service deduplication, binding conflicts and field provenance of discovery ingestion (daemon.md §7.1–7.2),
 * driven through the daemon's own route with a real daemon key.
 */
const NIL = '00000000-0000-0000-0000-000000000000';
const stamp = () => ({ created_at: new Date().toISOString(), updated_at: new Date().toISOString() });

interface Svc {
  def: string;
  name?: string;
  /** Port numbers bound; `iface: true` binds them on the interface instead of on all interfaces. */
  ports: number[];
  iface?: boolean;
  confidence?: 'Low' | 'Medium' | 'High' | 'Certain';
  container?: { id?: string; name?: string };
}

interface World {
  owner: Awaited<ReturnType<typeof registerOwner>>;
  d: Client;
  daemonId: string;
  subnetId: string;
}

let octet = 10;

async function world(s: TestServer): Promise<World> {
  const owner = await registerOwner(s.app);
  const { key } = await owner.client.json('POST', '/api/v1/auth/daemon', {
    name: 'd',
    network_id: owner.networkId,
  });
  const daemonId = randomUUID();
  const d = new Client(s.app);
  d.headers = { authorization: `Bearer ${key}`, 'x-daemon-id': daemonId };
  await d.json('POST', '/api/daemons/register', {
    daemon_id: daemonId,
    network_id: owner.networkId,
    name: 'lab',
    mode: 'daemon_poll',
    capabilities: { has_docker_socket: false, interfaced_subnet_ids: [] },
    user_id: null,
    version: '0.1.0',
  });
  const subnet = await d.json('POST', '/api/v1/subnets', {
    id: randomUUID(),
    network_id: owner.networkId,
    cidr: '10.77.60.0/24',
    name: 'lab',
    description: null,
    subnet_type: 'Lan',
    source: { type: 'Discovery', metadata: [] },
    tags: [],
  });
  return { owner, d, daemonId, subnetId: subnet.id };
}

/** One discovery report of a host at `ip` with the given services, as a daemon builds it (fresh client ids). */
function report(w: World, ip: string, services: Svc[], extra: { mac?: string; hostname?: string } = {}) {
  const ifaceId = randomUUID();
  const numbers = [...new Set(services.flatMap((s) => s.ports))];
  const ports = numbers.map((n) => ({
    id: randomUUID(),
    host_id: NIL,
    network_id: w.owner.networkId,
    number: n,
    protocol: 'Tcp',
    type: 'Custom',
    ...stamp(),
  }));
  const portId = (n: number) => ports.find((p) => p.number === n)!.id;
  return {
    host: {
      id: randomUUID(),
      name: `host-${ip}`,
      hostname: extra.hostname ?? null,
      description: 'found by discovery',
      network_id: w.owner.networkId,
      source: { type: 'Discovery', metadata: [] },
      virtualization: null,
      hidden: false,
      tags: [],
      ...stamp(),
    },
    interfaces: [
      {
        id: ifaceId,
        host_id: NIL,
        network_id: w.owner.networkId,
        subnet_id: w.subnetId,
        ip_address: ip,
        mac_address: extra.mac ?? null,
        name: null,
        position: 0,
        ...stamp(),
      },
    ],
    ports,
    services: services.map((s) => {
      const id = randomUUID();
      return {
        id,
        host_id: NIL,
        network_id: w.owner.networkId,
        name: s.name ?? s.def,
        service_definition: s.def,
        position: 0,
        tags: [],
        ...stamp(),
        source: {
          type: 'DiscoveryWithMatch',
          metadata: [
            {
              type: 'Network',
              subnet_ids: null,
              host_naming_fallback: 'BestService',
              daemon_id: w.daemonId,
              date: new Date().toISOString(),
            },
          ],
          details: {
            confidence: s.confidence ?? 'High',
            reason: { type: 'reason', data: `${s.def} (${s.confidence ?? 'High'})` },
          },
        },
        virtualization: s.container
          ? {
              type: 'Docker',
              details: {
                service_id: id,
                container_id: s.container.id ?? null,
                container_name: s.container.name ?? null,
              },
            }
          : null,
        bindings: s.ports.map((n) => ({
          id: randomUUID(),
          service_id: id,
          network_id: w.owner.networkId,
          type: 'Port',
          port_id: portId(n),
          interface_id: s.iface ? ifaceId : null,
          ...stamp(),
        })),
      };
    }),
  };
}

interface HostOut {
  id: string;
  name: string;
  hostname: string | null;
  description: string | null;
  tags: string[];
  ports: { id: string; number: number }[];
  services: {
    id: string;
    name: string;
    service_definition: string;
    source: { metadata: unknown[]; details?: { confidence: string; reason: { data: string } } };
    bindings: { type: string; port_id: string | null; interface_id: string | null }[];
  }[];
}

const send = (w: World, body: unknown): Promise<HostOut> => w.d.json('POST', '/api/v1/hosts/discovery', body);
const portsOf = (h: HostOut, def: string) =>
  h.services
    .filter((s) => s.service_definition === def)
    .map((s) =>
      s.bindings
        .map((b) => h.ports.find((p) => p.id === b.port_id)?.number)
        .sort((a, b) => (a ?? 0) - (b ?? 0)),
    );

describe.each(backends)('discovery ingestion: services and provenance on %s', (backend) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(backend);
  });
  afterAll(async () => s?.close());

  it('keeps one service per specific definition across rescans, merging bindings and match details', async () => {
    const w = await world(s);
    const ip = `10.77.60.${octet++}`;
    await send(w, report(w, ip, [{ def: 'Home Assistant', ports: [8123], confidence: 'Medium' }]));
    let h: HostOut | undefined;
    // Twelve rescans: metadata accumulates newest first and stops at ten entries.
    for (let i = 0; i < 12; i++) {
      h = await send(
        w,
        report(w, ip, [{ def: 'Home Assistant', ports: i === 0 ? [8123, 8124] : [8123], confidence: 'Low' }]),
      );
    }
    const ha = h!.services.filter((x) => x.service_definition === 'Home Assistant');
    expect(ha).toHaveLength(1);
    expect(portsOf(h!, 'Home Assistant')).toEqual([[8123, 8124]]);
    expect(ha[0].source.metadata).toHaveLength(10);
    // The earlier Medium match outranks the later Low ones and keeps its reason.
    expect(ha[0].source.details?.confidence).toBe('Medium');
    expect(ha[0].source.details?.reason.data).toMatch(/Medium/);
  });

  it('keeps generic services apart unless they share a port, and containers apart by container id', async () => {
    const w = await world(s);
    const ip = `10.77.60.${octet++}`;
    await send(w, report(w, ip, [{ def: 'Redis', ports: [6379] }]));
    let h = await send(w, report(w, ip, [{ def: 'Redis', ports: [6380] }]));
    expect(portsOf(h, 'Redis')).toEqual([[6379], [6380]]);
    h = await send(w, report(w, ip, [{ def: 'Redis', ports: [6379] }]));
    expect(portsOf(h, 'Redis')).toHaveLength(2);

    const c = `10.77.60.${octet++}`;
    await send(w, report(w, c, [{ def: 'PostgreSQL', ports: [5432], container: { id: 'aaa' } }]));
    h = await send(w, report(w, c, [{ def: 'PostgreSQL', ports: [5433], container: { id: 'bbb' } }]));
    expect(h.services.filter((x) => x.service_definition === 'PostgreSQL')).toHaveLength(2);
    h = await send(w, report(w, c, [{ def: 'PostgreSQL', ports: [5434], container: { id: 'aaa' } }]));
    expect(portsOf(h, 'PostgreSQL')).toEqual([[5432, 5434], [5433]]);
  });

  it('drops a service whose port another service holds, sending its other ports to Unclaimed Open Ports', async () => {
    const w = await world(s);
    const ip = `10.77.60.${octet++}`;
    await send(w, report(w, ip, [{ def: 'Home Assistant', ports: [80] }]));
    // Grafana claims 80 on the interface (collides with "all interfaces") and 3000.
    const h = await send(w, report(w, ip, [{ def: 'Grafana', ports: [80, 3000], iface: true }]));
    expect(h.services.map((x) => x.service_definition).sort()).toEqual([
      'Home Assistant',
      'Unclaimed Open Ports',
    ]);
    expect(portsOf(h, 'Unclaimed Open Ports')).toEqual([[3000]]);
    expect(portsOf(h, 'Home Assistant')).toEqual([[80]]);
  });

  it('moves a port from Unclaimed Open Ports to the service identified on it later', async () => {
    const w = await world(s);
    const ip = `10.77.60.${octet++}`;
    let h = await send(w, report(w, ip, [{ def: 'Unclaimed Open Ports', ports: [3000, 9999] }]));
    expect(portsOf(h, 'Unclaimed Open Ports')).toEqual([[3000, 9999]]);
    h = await send(w, report(w, ip, [{ def: 'Grafana', ports: [3000] }]));
    expect(portsOf(h, 'Grafana')).toEqual([[3000]]);
    expect(portsOf(h, 'Unclaimed Open Ports')).toEqual([[9999]]);
    h = await send(w, report(w, ip, [{ def: 'Unclaimed Open Ports', ports: [9999] }]));
    expect(portsOf(h, 'Unclaimed Open Ports')).toEqual([[9999]]);
    h = await send(w, report(w, ip, [{ def: 'Grafana', ports: [9999] }]));
    // The emptied singleton is gone; both ports belong to the one Grafana.
    expect(h.services.map((x) => x.service_definition)).toEqual(['Grafana']);
    expect(portsOf(h, 'Grafana')).toEqual([[3000, 9999]]);
  });

  it('replaces interface-specific bindings with a later all-interfaces binding of the same port', async () => {
    const w = await world(s);
    const ip = `10.77.60.${octet++}`;
    let h = await send(w, report(w, ip, [{ def: 'Grafana', ports: [3000], iface: true }]));
    expect(h.services[0].bindings[0].interface_id).not.toBeNull();
    h = await send(w, report(w, ip, [{ def: 'Grafana', ports: [3000] }]));
    expect(h.services[0].bindings).toHaveLength(1);
    expect(h.services[0].bindings[0].interface_id).toBeNull();
    // And an interface-specific binding is covered by the all-interfaces one: nothing is added.
    h = await send(w, report(w, ip, [{ def: 'Grafana', ports: [3000], iface: true }]));
    expect(h.services[0].bindings).toHaveLength(1);
  });

  it('never overwrites what a user edited: host name, hostname, description, tags, service names', async () => {
    const w = await world(s);
    const ip = `10.77.60.${octet++}`;
    const first = await send(w, report(w, ip, [{ def: 'Grafana', ports: [3000] }], { hostname: 'old.lan' }));
    expect(first.description).toBe('found by discovery');
    expect(first.hostname).toBe('old.lan');
    const tag = await w.owner.client.json('POST', '/api/v1/tags', { name: `t${octet}`, color: 'Blue' });
    const current = await w.owner.client.json('GET', `/api/v1/hosts/${first.id}`);
    await w.owner.client.json('PUT', `/api/v1/hosts/${first.id}`, {
      id: first.id,
      name: 'my nas',
      hidden: false,
      tags: [tag.id],
      hostname: '',
      description: '',
      expected_updated_at: current.updated_at,
    });
    const svc = first.services[0];
    await w.owner.client.json('PUT', `/api/v1/services/${svc.id}`, { ...svc, name: 'Dashboards' });

    const after = await send(w, report(w, ip, [{ def: 'Grafana', ports: [3000] }], { hostname: 'nas.lan' }));
    expect(after.id).toBe(first.id);
    expect(after.name).toBe('my nas');
    // Cleared by the user: stays cleared although discovery reports values.
    expect(after.hostname).toBeNull();
    expect(after.description).toBeNull();
    expect(after.tags).toEqual([tag.id]);
    expect(after.services.map((x) => x.name)).toEqual(['Dashboards']);

    // A host nobody edited still gets its empty fields filled.
    const other = `10.77.60.${octet++}`;
    await send(w, report(w, other, []));
    const filled = await send(w, report(w, other, [], { hostname: 'printer.lan' }));
    expect(filled.hostname).toBe('printer.lan');
  });

  it('creates one host when the same device is reported many times at once', async () => {
    const w = await world(s);
    const ip = `10.77.60.${octet++}`;
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        send(w, report(w, ip, [{ def: 'Grafana', ports: [3000] }], { mac: 'aa:bb:cc:dd:ee:01' })),
      ),
    );
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
    const hosts = await w.owner.client.json('GET', `/api/v1/hosts?network_id=${w.owner.networkId}`);
    const mine = (hosts as HostOut[]).filter((h) => h.name === `host-${ip}`);
    expect(mine).toHaveLength(1);
    expect(mine[0].services).toHaveLength(1);
    expect(mine[0].ports).toHaveLength(1);
  });
});
