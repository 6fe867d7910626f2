import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { backends, Client, registerOwner, resetDb, startTestServer, type TestServer } from './harness.ts';
import { sqlRows } from './sql.ts';

const NIL = '00000000-0000-0000-0000-000000000000';

/** A daemon as the server sees it: a key, an id, and the protocol calls of daemon.md §2. */
async function provisionDaemon(s: TestServer) {
  const owner = await registerOwner(s.app);
  const { key } = await owner.client.json('POST', '/api/v1/auth/daemon', {
    name: 'd1',
    network_id: owner.networkId,
  });
  const daemonId = randomUUID();
  const d = new Client(s.app);
  d.headers = { authorization: `Bearer ${key}`, 'x-daemon-id': daemonId, 'x-daemon-version': '0.1.0' };
  return { owner, key, daemonId, d };
}

async function register(d: Client, daemonId: string, networkId: string) {
  return d.json('POST', '/api/daemons/register', {
    daemon_id: daemonId,
    network_id: networkId,
    name: 'lab-daemon',
    mode: 'daemon_poll',
    capabilities: { has_docker_socket: false, interfaced_subnet_ids: [] },
    user_id: null,
    version: '0.1.0',
  });
}

async function subnet(d: Client, networkId: string, cidr: string) {
  return d.json('POST', '/api/v1/subnets', {
    id: randomUUID(),
    network_id: networkId,
    cidr,
    name: cidr,
    description: null,
    subnet_type: 'Lan',
    source: { type: 'Discovery', metadata: [] },
    tags: [],
  });
}

const now = () => ({ created_at: new Date().toISOString(), updated_at: new Date().toISOString() });

function hostBody(
  hostId: string,
  networkId: string,
  ifaces: { subnet_id: string; ip: string; mac?: string }[],
  name = 'box',
) {
  return {
    host: {
      id: hostId,
      name,
      hostname: `${name}.lan`,
      description: null,
      network_id: networkId,
      source: { type: 'Discovery', metadata: [] },
      virtualization: null,
      hidden: false,
      tags: [],
      ...now(),
    },
    interfaces: ifaces.map((i) => ({
      id: randomUUID(),
      host_id: NIL,
      network_id: networkId,
      subnet_id: i.subnet_id,
      ip_address: i.ip,
      mac_address: i.mac ?? null,
      name: 'eth0',
      position: 0,
      ...now(),
    })),
    ports: [],
    services: [],
  };
}

describe.each(backends)('daemon protocol and ingestion on %s', (backend) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(backend);
  });
  afterAll(async () => s?.close());
  beforeEach(async () => resetDb(s.db));

  it('registers a daemon, hands out its self-report once, and records progress', async () => {
    const { owner, daemonId, d } = await provisionDaemon(s);
    // Before registration the server does not know the daemon: startup says so, so the daemon registers.
    const startup = await d.req('POST', `/api/daemons/${daemonId}/startup`, { daemon_version: '0.1.0' });
    expect(startup.statusCode).toBe(404);
    expect(startup.json().code).toBe('entity_not_found');
    const reg = await register(d, daemonId, owner.networkId);
    expect(reg.daemon.id).toBe(daemonId);
    const [work, cancel] = await d.json('POST', `/api/daemons/${daemonId}/request-work`, {
      name: 'lab-daemon',
      mode: 'daemon_poll',
      version: '0.1.0',
    });
    expect(cancel).toBe(false);
    expect(work.discovery_type).toEqual({ type: 'SelfReport', host_id: reg.host_id });
    expect(work.phase).toBe('Starting');
    // Handed out once: the next poll gets nothing while it runs.
    const [again] = await d.json('POST', `/api/daemons/${daemonId}/request-work`, {
      name: 'lab-daemon',
      mode: 'daemon_poll',
    });
    expect(again).toBeNull();
    await d.json('POST', `/api/v1/discovery/${work.session_id}/update`, {
      ...work,
      phase: 'Complete',
      progress: 100,
    });
    const [row] = await sqlRows<{ phase: string; finished_at: Date | null }>(
      s.db,
      'SELECT phase, finished_at FROM discovery_sessions',
    );
    expect(row.phase).toBe('Complete');
    expect(row.finished_at).not.toBeNull();
    const daemons = await owner.client.json('GET', '/api/v1/daemons');
    expect(daemons).toHaveLength(1);
    expect(daemons[0].last_seen).not.toBeNull();
    // The default Network discovery exists but never ran: scanning is always an explicit user action.
    const types = await sqlRows<{ t: string }>(
      s.db,
      "SELECT discovery_type->>'type' AS t FROM discovery WHERE run_type->>'type' <> 'Historical' ORDER BY t",
    );
    expect(types.map((t) => t.t)).toEqual(['Network', 'SelfReport']);
    const ran = await sqlRows<{ t: string }>(
      s.db,
      "SELECT discovery_type->>'type' AS t FROM discovery_sessions",
    );
    expect(ran.map((t) => t.t)).toEqual(['SelfReport']);
  });

  it('tells an unknown daemon with an unknown key to retry, and a known daemon with a bad key that it is revoked', async () => {
    const { owner, daemonId, d } = await provisionDaemon(s);
    const stranger = new Client(s.app);
    stranger.headers = { authorization: 'Bearer scp_d_notarealkey', 'x-daemon-id': randomUUID() };
    const r1 = await stranger.req('POST', `/api/daemons/register`, {});
    expect(r1.statusCode).toBe(401);
    expect(r1.json().code).toBe('auth_daemon_key_not_created');
    await register(d, daemonId, owner.networkId);
    stranger.headers['x-daemon-id'] = daemonId;
    const r2 = await stranger.req('POST', `/api/daemons/${daemonId}/request-work`, {
      name: 'x',
      mode: 'daemon_poll',
    });
    expect(r2.statusCode).toBe(401);
    expect(r2.json().code).toBe('auth_not_authenticated');
    const noId = new Client(s.app);
    noId.headers = { authorization: d.headers.authorization };
    expect((await noId.req('POST', `/api/daemons/register`, {})).statusCode).toBe(403);
  });

  it('returns the existing subnet for a CIDR it already has', async () => {
    const { owner, daemonId, d } = await provisionDaemon(s);
    await register(d, daemonId, owner.networkId);
    const a = await subnet(d, owner.networkId, '10.77.1.0/24');
    const b = await subnet(d, owner.networkId, '10.77.1.0/24');
    expect(b.id).toBe(a.id);
    const c = await subnet(d, owner.networkId, '10.77.2.7/24');
    expect(c.cidr).toBe('10.77.2.0/24');
  });

  it('keeps the Docker bridge subnets of different daemon hosts apart, and gives each host its own back', async () => {
    const { owner, daemonId, d } = await provisionDaemon(s);
    await register(d, daemonId, owner.networkId);
    const fromDocker = (hostId: string, cidr: string, subnetType: string) =>
      d.json('POST', '/api/v1/subnets', {
        id: randomUUID(),
        network_id: owner.networkId,
        cidr,
        name: 'bridge',
        description: null,
        subnet_type: subnetType,
        source: {
          type: 'Discovery',
          metadata: [
            {
              type: 'Docker',
              host_id: hostId,
              host_naming_fallback: 'BestService',
              daemon_id: daemonId,
              date: new Date().toISOString(),
            },
          ],
        },
        tags: [],
      });
    const [hostA, hostB] = [randomUUID(), randomUUID()];
    const a = await fromDocker(hostA, '10.77.70.0/24', 'DockerBridge');
    const b = await fromDocker(hostB, '10.77.70.0/24', 'DockerBridge');
    expect(b.id).not.toBe(a.id);
    expect((await fromDocker(hostA, '10.77.70.0/24', 'DockerBridge')).id).toBe(a.id);
    expect((await fromDocker(hostB, '10.77.70.0/24', 'DockerBridge')).id).toBe(b.id);
    // Any other discovery of the CIDR gets the first one, as for every subnet.
    expect((await subnet(d, owner.networkId, '10.77.70.0/24')).id).toBe(a.id);
    // Only bridges are private to their host: a macvlan subnet is one LAN whoever reports it.
    const m = await fromDocker(hostA, '10.77.71.0/24', 'MacVlan');
    expect((await fromDocker(hostB, '10.77.71.0/24', 'MacVlan')).id).toBe(m.id);
    const rows = await sqlRows<{ n: number }>(
      s.db,
      "SELECT count(*)::int AS n FROM subnets WHERE network_id = $1 AND cidr = '10.77.70.0/24'",
      [owner.networkId],
    );
    expect(rows[0].n).toBe(2);
  });

  it('merges a host seen again with a new IP by its MAC, and adds an interface for the same IP on another subnet', async () => {
    const { owner, daemonId, d } = await provisionDaemon(s);
    await register(d, daemonId, owner.networkId);
    const s1 = await subnet(d, owner.networkId, '10.77.1.0/24');
    const s2 = await subnet(d, owner.networkId, '10.77.2.0/24');
    const first = await d.json(
      'POST',
      '/api/v1/hosts/discovery',
      hostBody(
        randomUUID(),
        owner.networkId,
        [{ subnet_id: s1.id, ip: '10.77.1.5', mac: 'AA:BB:CC:00:00:01' }],
        'printer',
      ),
    );
    // Same MAC, new IP, new client id and a different name: the same host, name unchanged.
    const second = await d.json(
      'POST',
      '/api/v1/hosts/discovery',
      hostBody(
        randomUUID(),
        owner.networkId,
        [{ subnet_id: s1.id, ip: '10.77.1.9', mac: 'aa:bb:cc:00:00:01' }],
        'renamed',
      ),
    );
    expect(second.id).toBe(first.id);
    expect(second.name).toBe('printer');
    expect(second.interfaces).toHaveLength(1);
    expect(second.interfaces[0].ip_address).toBe('10.77.1.9');
    // Same (subnet, IP) matches too; an extra interface on the other subnet is added to that host.
    const third = await d.json(
      'POST',
      '/api/v1/hosts/discovery',
      hostBody(randomUUID(), owner.networkId, [
        { subnet_id: s1.id, ip: '10.77.1.9' },
        { subnet_id: s2.id, ip: '10.77.1.9'.replace('1.9', '2.9') },
      ]),
    );
    expect(third.id).toBe(first.id);
    expect(third.interfaces.map((i: { ip_address: string }) => i.ip_address).sort()).toEqual([
      '10.77.1.9',
      '10.77.2.9',
    ]);
    const hosts = await owner.client.json('GET', `/api/v1/hosts?network_id=${owner.networkId}`);
    // The daemon's placeholder host plus the merged one.
    expect(hosts).toHaveLength(2);
  });

  it('rejects an interface address outside its subnet', async () => {
    const { owner, daemonId, d } = await provisionDaemon(s);
    await register(d, daemonId, owner.networkId);
    const s1 = await subnet(d, owner.networkId, '10.77.1.0/24');
    const r = await d.req(
      'POST',
      '/api/v1/hosts/discovery',
      hostBody(randomUUID(), owner.networkId, [{ subnet_id: s1.id, ip: '10.77.9.1' }]),
    );
    expect(r.statusCode).toBe(400);
    expect(r.json().code).toBe('interface_ip_out_of_range');
  });
  it("names the daemon's placeholder host from its first self-report, and never renames it afterwards", async () => {
    const { owner, daemonId, d } = await provisionDaemon(s);
    const reg = await register(d, daemonId, owner.networkId);
    const s1 = await subnet(d, owner.networkId, '10.77.1.0/24');
    const first = await d.json(
      'POST',
      '/api/v1/hosts/discovery',
      hostBody(reg.host_id, owner.networkId, [{ subnet_id: s1.id, ip: '10.77.1.2' }], 'real-hostname'),
    );
    expect(first.id).toBe(reg.host_id);
    expect(first.name).toBe('real-hostname');
    const again = await d.json(
      'POST',
      '/api/v1/hosts/discovery',
      hostBody(reg.host_id, owner.networkId, [{ subnet_id: s1.id, ip: '10.77.1.2' }], 'other-name'),
    );
    expect(again.name).toBe('real-hostname');
  });
});

describe('default discovery jobs at registration', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer('pglite');
  });
  afterAll(async () => s?.close());

  it('runs the self-report (and Docker with a socket) at once, and only creates the Network discovery', async () => {
    const { owner, daemonId, d } = await provisionDaemon(s);
    await d.json('POST', '/api/daemons/register', {
      daemon_id: daemonId,
      network_id: owner.networkId,
      name: 'docker-host',
      mode: 'daemon_poll',
      capabilities: { has_docker_socket: true, interfaced_subnet_ids: [] },
      user_id: null,
      version: '0.1.0',
    });
    const jobs = await owner.client.json<{ name: string; discovery_type: { type: string } }[]>(
      'GET',
      `/api/v1/discovery?network_id=${owner.networkId}`,
    );
    expect(jobs.map((j) => j.discovery_type.type).sort()).toEqual(['Docker', 'Network', 'SelfReport']);
    const sessions = await sqlRows<{ type: string }>(
      s.db,
      `SELECT discovery_type->>'type' AS type FROM discovery_sessions WHERE daemon_id = $1 ORDER BY created_at`,
      [daemonId],
    );
    // Queue order of the reference; no Network session until a user starts one.
    expect(sessions.map((r) => r.type)).toEqual(['SelfReport', 'Docker']);
  });
});
