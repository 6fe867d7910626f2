import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { testConfig } from '../src/config.ts';
import type { Db } from '../src/db/client.ts';
import { DiscoveryLoop } from '../src/discovery/discovery-loop.ts';
import { createServices } from '../src/services.ts';
import { backends, Client, registerOwner, resetDb, startTestServer, type TestServer } from './harness.ts';

const NIL = '00000000-0000-0000-0000-000000000000';
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const stamp = () => ({ created_at: new Date().toISOString(), updated_at: new Date().toISOString() });

type Owner = Awaited<ReturnType<typeof registerOwner>>;
type Json = Record<string, unknown>;

/** The discovery loop as main.ts runs it, ticked by hand, with server_poll retries short for loopback. */
function loopOf(app: FastifyInstance, db: Db) {
  const services = createServices({
    config: testConfig({ webDir: '/nonexistent' }),
    db,
    log: app.log,
    serverPoll: { attempts: 1, backoffInitialMs: 10, backoffMaxMs: 10, timeoutMs: 5000, holdSeconds: 0 },
  });
  return new DiscoveryLoop(services);
}

/** What a daemon reports after scanning one machine: its subnet, then the host with an interface, ports, services. */
function scanReport(networkId: string, daemonId: string) {
  const subnet = {
    id: randomUUID(),
    network_id: networkId,
    cidr: '10.9.0.0/24',
    name: '10.9.0.0/24',
    description: null,
    subnet_type: 'Lan',
    source: { type: 'Discovery', metadata: [] },
    tags: [],
    ...stamp(),
  };
  const ifaceId = randomUUID();
  const port = (number: number) => ({
    id: randomUUID(),
    host_id: NIL,
    network_id: networkId,
    number,
    protocol: 'Tcp',
    type: 'Custom',
    ...stamp(),
  });
  const ports = [port(22), port(80), port(443)];
  const service = (name: string, definition: string, portIds: string[], onInterface: boolean) => {
    const id = randomUUID();
    return {
      id,
      host_id: NIL,
      network_id: networkId,
      name,
      service_definition: definition,
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
            daemon_id: daemonId,
            date: new Date().toISOString(),
          },
        ],
        details: { confidence: 'High', reason: { type: 'reason', data: `${definition} (High)` } },
      },
      virtualization: null,
      bindings: portIds.map((portId) => ({
        id: randomUUID(),
        service_id: id,
        network_id: networkId,
        type: 'Port',
        port_id: portId,
        interface_id: onInterface ? ifaceId : null,
        ...stamp(),
      })),
    };
  };
  const host = {
    host: {
      id: randomUUID(),
      name: 'web-1',
      hostname: 'web-1.lab',
      description: 'found by discovery',
      network_id: networkId,
      source: {
        type: 'Discovery',
        metadata: [
          {
            type: 'Network',
            subnet_ids: null,
            host_naming_fallback: 'BestService',
            daemon_id: daemonId,
            date: new Date().toISOString(),
          },
        ],
      },
      virtualization: null,
      hidden: false,
      tags: [],
      ...stamp(),
    },
    interfaces: [
      {
        id: ifaceId,
        host_id: NIL,
        network_id: networkId,
        subnet_id: subnet.id,
        ip_address: '10.9.0.21',
        mac_address: '02:42:0a:09:00:15',
        name: 'eth0',
        position: 0,
        ...stamp(),
      },
    ],
    ports,
    services: [
      service('SSH', 'SSH', [ports[0].id], true),
      service('Nginx', 'Nginx', [ports[1].id, ports[2].id], false),
    ],
  };
  return { subnet, host };
}

/**
 * The HTTP API a daemon in server_poll mode serves (apps/daemon daemon-http.ts and server-poll.ts), on loopback:
 * Bearer check of its key, first-contact adopts the server's daemon id, poll hands out every uncollected entity and
 * the running session's progress, entities-created confirms them.
 */
class ServerPollEndpoint {
  readonly received: { subnets: [string, Json][]; hosts: [string, Json][] }[] = [];
  readonly initiated: { session_id: string; discovery_type: Json }[] = [];
  id = '';
  networkId = '';
  pending: { subnets: Json[]; hosts: Json[] } = { subnets: [], hosts: [] };
  private server?: http.Server;

  /** Set once the server provisioned the daemon (the key it shows once). */
  key = '';

  constructor(private readonly hasDockerSocket: boolean) {}

  async listen(): Promise<string> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private status() {
    return {
      name: 'dmz-daemon',
      mode: 'server_poll',
      version: '0.1.0',
      capabilities: { has_docker_socket: this.hasDockerSocket, interfaced_subnet_ids: [] },
    };
  }

  private answer(method: string, path: string, body: unknown): unknown {
    switch (`${method} ${path}`) {
      case 'GET /api/status':
        return this.status();
      case 'POST /api/first-contact':
        this.id = (body as { daemon_id: string }).daemon_id;
        return this.status();
      case 'GET /api/poll': {
        const running = this.initiated.at(-1);
        const progress = running && {
          session_id: running.session_id,
          daemon_id: this.id,
          network_id: this.networkId,
          phase: 'Started',
          discovery_type: running.discovery_type,
          progress: 0,
          error: null,
          started_at: null,
          finished_at: null,
        };
        return { progress: progress ?? null, entities: this.pending };
      }
      case 'POST /api/discovery/entities-created': {
        const created = body as ServerPollEndpoint['received'][number];
        this.received.push(created);
        const confirmed = new Set([...created.subnets, ...created.hosts].map(([pendingId]) => pendingId));
        this.pending = {
          subnets: this.pending.subnets.filter((s) => !confirmed.has(String(s.id))),
          hosts: this.pending.hosts.filter((h) => !confirmed.has(String((h.host as Json).id))),
        };
        return { confirmed: confirmed.size };
      }
      case 'POST /api/discovery/initiate':
        this.initiated.push(body as ServerPollEndpoint['initiated'][number]);
        return { session_id: (body as { session_id: string }).session_id };
      default:
        return undefined;
    }
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req as AsyncIterable<Buffer>) chunks.push(c);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${this.key}`) return send(401, { success: false });
    const text = Buffer.concat(chunks).toString('utf8');
    const data = this.answer(req.method ?? 'GET', req.url ?? '/', text ? JSON.parse(text) : undefined);
    if (data === undefined) return send(404, { success: false, code: 'route_not_found' });
    send(200, { success: true, data, meta: { api_version: 1, server_version: '0.1.0' } });
  }
}

/** A daemon_poll daemon registered over the protocol with its own key. */
async function daemonPollDaemon(s: TestServer, owner: Owner, hasDockerSocket: boolean) {
  const { key } = await owner.client.json('POST', '/api/v1/auth/daemon', {
    name: 'poll-key',
    network_id: owner.networkId,
  });
  const id = randomUUID();
  const d = new Client(s.app);
  d.headers = { authorization: `Bearer ${key}`, 'x-daemon-id': id, 'x-daemon-version': '0.1.0' };
  await d.json('POST', '/api/daemons/register', {
    daemon_id: id,
    network_id: owner.networkId,
    name: 'lab-daemon',
    mode: 'daemon_poll',
    capabilities: { has_docker_socket: hasDockerSocket, interfaced_subnet_ids: [] },
    user_id: null,
    version: '0.1.0',
  });
  return { id, d };
}

/** A server_poll daemon provisioned for a loopback endpoint, which the loop contacted once. */
async function serverPollDaemon(s: TestServer, owner: Owner, hasDockerSocket: boolean) {
  const endpoint = new ServerPollEndpoint(hasDockerSocket);
  const url = await endpoint.listen();
  const { daemon, daemon_api_key: key } = await owner.client.json(
    'POST',
    '/api/v1/daemons/provision',
    { name: 'dmz-daemon', network_id: owner.networkId, url },
    201,
  );
  endpoint.key = key as string;
  endpoint.networkId = owner.networkId;
  return { id: daemon.id as string, endpoint };
}

/**
 * An entity with what legitimately differs between two daemons' networks made comparable: ids become what they name
 * (the host, its interface by IP, a port by number, a service by name, the subnet by CIDR, the network, the daemon),
 * timestamps a placeholder, and lists a set.
 */
function comparable(value: unknown, names: Map<string, string>): unknown {
  if (typeof value === 'string') {
    if (UUID_RE.test(value)) return names.get(value) ?? '<id>';
    if (/^\d{4}-\d{2}-\d{2}T/.test(value)) return '<time>';
    return value;
  }
  if (Array.isArray(value)) {
    return value
      .map((v) => comparable(v, names))
      .sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  }
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, comparable(v, names)]));
  }
  return value;
}

interface StoredHost {
  id: string;
  network_id: string;
  interfaces: { id: string; ip_address: string }[];
  ports: { id: string; number: number; protocol: string }[];
  services: { id: string; name: string }[];
}

function namesOf(host: StoredHost, subnet: { id: string; cidr: string }, daemonId: string) {
  return new Map<string, string>([
    [host.id, 'host'],
    [host.network_id, 'network'],
    [daemonId, 'daemon'],
    [subnet.id, `subnet ${subnet.cidr}`],
    ...host.interfaces.map((i): [string, string] => [i.id, `interface ${i.ip_address}`]),
    ...host.ports.map((p): [string, string] => [p.id, `port ${p.number}/${p.protocol}`]),
    ...host.services.map((x): [string, string] => [x.id, `service ${x.name}`]),
  ]);
}

/** The daemon's default jobs through the API, with their ids, host and timestamps made comparable. */
async function defaultJobs(owner: Owner, daemonId: string, hostId: string) {
  const jobs = await owner.client.json<Json[]>(
    'GET',
    `/api/v1/discovery?daemon_id=${daemonId}&run_type=AdHoc&run_type=Scheduled`,
  );
  const active = await owner.client.json<{ discovery_type: { type: string } }[]>(
    'GET',
    '/api/v1/discovery/active-sessions',
  );
  const names = new Map([
    [daemonId, 'daemon'],
    [owner.networkId, 'network'],
    [hostId, "the daemon's host"],
  ]);
  return {
    jobs: comparable(jobs, names),
    queued: active.map((a) => a.discovery_type.type).sort(),
  };
}

describe.each(backends)('daemon_poll and server_poll daemons on %s', (backend) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(backend);
  });
  afterAll(async () => s?.close());
  beforeEach(async () => resetDb(s.db));

  it('stores the same host report the same way whether the daemon posts it or the server polls it', async () => {
    // daemon_poll: the daemon posts its subnet, then the host on it.
    const a = await registerOwner(s.app);
    const posting = await daemonPollDaemon(s, a, false);
    const reportA = scanReport(a.networkId, posting.id);
    const subnetA = await posting.d.json('POST', '/api/v1/subnets', reportA.subnet);
    const answeredA = await posting.d.json('POST', '/api/v1/hosts/discovery', reportA.host);

    // server_poll: the same report waits on the daemon until the server polls it.
    const b = await registerOwner(s.app);
    const polled = await serverPollDaemon(s, b, false);
    const reportB = scanReport(b.networkId, polled.id);
    polled.endpoint.pending = { subnets: [reportB.subnet], hosts: [reportB.host] };
    const loop = loopOf(s.app, s.db);
    try {
      expect((await loop.tick()).polled).toBe(1);
    } finally {
      await polled.endpoint.close();
    }
    expect(polled.endpoint.id).toBe(polled.id);
    expect(polled.endpoint.pending).toEqual({ subnets: [], hosts: [] });
    expect(polled.endpoint.received).toHaveLength(1);
    const [[pendingSubnet, subnetB]] = polled.endpoint.received[0].subnets;
    const [[pendingHost, answeredB]] = polled.endpoint.received[0].hosts;
    expect([pendingSubnet, pendingHost]).toEqual([reportB.subnet.id, reportB.host.host.id]);

    // Through the API, each network now holds the daemon's own host and the reported one, identical but for ids.
    const hostA = await a.client.json<StoredHost>('GET', `/api/v1/hosts/${answeredA.id}`);
    const hostB = await b.client.json<StoredHost>('GET', `/api/v1/hosts/${(answeredB as Json).id as string}`);
    const namesA = namesOf(hostA, subnetA, posting.id);
    const namesB = namesOf(hostB, subnetB as { id: string; cidr: string }, polled.id);
    expect(hostA.interfaces).toHaveLength(1);
    expect(hostA.ports).toHaveLength(3);
    expect(hostA.services).toHaveLength(2);
    expect(comparable(hostB, namesB)).toEqual(comparable(hostA, namesA));
    for (const owner of [a, b]) expect(await owner.client.json('GET', '/api/v1/hosts')).toHaveLength(2);
    const lists = async (owner: Owner, host: StoredHost, names: Map<string, string>) => ({
      subnets: comparable(
        (await owner.client.json<Json[]>('GET', '/api/v1/subnets')).filter((x) => x.subnet_type === 'Lan'),
        names,
      ),
      interfaces: comparable(await owner.client.json('GET', `/api/v1/interfaces?host_id=${host.id}`), names),
      ports: comparable(await owner.client.json('GET', `/api/v1/ports?host_id=${host.id}`), names),
      services: comparable(await owner.client.json('GET', `/api/v1/services?host_id=${host.id}`), names),
    });
    expect(await lists(b, hostB, namesB)).toEqual(await lists(a, hostA, namesA));

    // The daemon learns the stored entities as a daemon_poll daemon reads them from the route's answer.
    expect(comparable(answeredB, namesB)).toEqual(comparable(answeredA, namesA));
    expect(comparable(subnetB, namesB)).toEqual(comparable(subnetA, namesA));
  });

  it('gives a daemon the same default jobs whichever way it connects, Docker included when it has a socket', async () => {
    for (const docker of [true, false]) {
      const a = await registerOwner(s.app);
      const posting = await daemonPollDaemon(s, a, docker);
      const [postingDaemon] = await a.client.json<{ host_id: string }[]>('GET', '/api/v1/daemons');

      const b = await registerOwner(s.app);
      const polled = await serverPollDaemon(s, b, docker);
      // Provisioned but never reached: the server does not know yet whether the daemon has a Docker socket.
      expect(await b.client.json('GET', `/api/v1/discovery?daemon_id=${polled.id}`)).toEqual([]);
      const loop = loopOf(s.app, s.db);
      try {
        await loop.tick();
      } finally {
        await polled.endpoint.close();
      }
      const [polledDaemon] = await b.client.json<{ host_id: string }[]>('GET', '/api/v1/daemons');

      const jobsA = await defaultJobs(a, posting.id, postingDaemon.host_id);
      const jobsB = await defaultJobs(b, polled.id, polledDaemon.host_id);
      expect(jobsB).toEqual(jobsA);
      expect(jobsA.queued).toEqual(docker ? ['Docker', 'SelfReport'] : ['SelfReport']);
      expect((jobsA.jobs as { name: string }[]).map((j) => j.name).sort()).toEqual(
        [docker && 'Docker — My Network', 'Network — My Network', 'Self Report — My Network'].filter(Boolean),
      );
      // The Network discovery is created but never started by itself.
      expect(polled.endpoint.initiated.map((i) => i.discovery_type.type)).not.toContain('Network');
    }
  });
});
