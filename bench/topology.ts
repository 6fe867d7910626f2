// The topology server on 1,000 hosts in 30 subnets with 3,000 services, seeded through the public API of a real
// server on loopback: build + layout time (a stored rebuild, and the v0.17 on-the-fly read), then saving a drag as a
// point update (POST node-position) beside its peer in the same run, the whole-topology PUT the reference sent on
// every drag before its issue #451: bytes and time per save. `npx tsx bench/topology.ts`. Writes
// bench/results/topology-<date>.json and rows in docs/benchmarks.md.
import { randomUUID } from 'node:crypto';
import { startServer } from '../e2e/support/server.ts';
import { record, today } from './lib.ts';

const SUBNETS = 30;
const HOSTS = 1000;
const SERVICES_PER_HOST = 3;
const BUILDS = 5;
const SAVES = 30;
const DEFINITIONS = [
  'Traefik',
  'PostgreSQL',
  'Redis',
  'Grafana',
  'SSH',
  'Home Assistant',
  'Samba',
  'Pi-Hole',
];

interface Node {
  id: string;
  node_type: string;
  host_id?: string;
  position: { x: number; y: number };
}
interface Topology {
  id: string;
  network_id: string;
  nodes: Node[];
  edges: unknown[];
  options: unknown;
}

// Rate limiting off: the seeding sends 1,000 host writes as fast as the server takes them.
const server = await startServer({ SCANOPY_INTEGRATED_DAEMON: 'false', SCANOPY_RATE_LIMIT_PER_MINUTE: '0' });
let cookie = '';

/** One API call; returns the answer's data, the request and response sizes and the wall time. */
async function call<T>(method: string, url: string, data?: unknown) {
  const body = data === undefined ? undefined : JSON.stringify(data);
  const start = performance.now();
  const res = await fetch(`${server.baseUrl}${url}`, {
    method,
    headers: { cookie, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body,
  });
  const text = await res.text();
  const ms = performance.now() - start;
  const set = res.headers.getSetCookie();
  if (set.length) cookie = set.map((c) => c.split(';')[0]).join('; ');
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${text.slice(0, 300)}`);
  return {
    data: (JSON.parse(text) as { data: T }).data,
    sent: body === undefined ? 0 : Buffer.byteLength(body),
    received: Buffer.byteLength(text),
    ms,
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};
const r1 = (x: number) => Math.round(x * 10) / 10;

/** 30 subnets, 1,000 hosts with one interface and three services bound to ports each, 8 requests at a time. */
async function seed(networkId: string) {
  const subnets: string[] = [];
  for (let s = 0; s < SUBNETS; s++) {
    const body = {
      network_id: networkId,
      cidr: `10.${s}.0.0/16`,
      name: `Subnet ${s}`,
      subnet_type: 'Lan',
      tags: [],
    };
    subnets.push((await call<{ id: string }>('POST', '/api/v1/subnets', body)).data.id);
  }
  const host = async (i: number) => {
    const s = i % SUBNETS;
    const iface = randomUUID();
    const ports = Array.from({ length: SERVICES_PER_HOST }, (_, k) => ({
      id: randomUUID(),
      number: 8000 + k,
      protocol: 'Tcp',
    }));
    await call('POST', '/api/v1/hosts', {
      name: `host-${i}`,
      network_id: networkId,
      tags: [],
      interfaces: [{ id: iface, subnet_id: subnets[s], ip_address: `10.${s}.${i >> 7}.${(i & 127) + 2}` }],
      ports,
      services: ports.map((p, k) => ({
        id: randomUUID(),
        name: DEFINITIONS[(i + k) % DEFINITIONS.length],
        service_definition: DEFINITIONS[(i + k) % DEFINITIONS.length],
        bindings: [{ id: randomUUID(), type: 'Port', port_id: p.id, interface_id: iface }],
      })),
    });
  };
  for (let i = 0; i < HOSTS; i += 8) await Promise.all(Array.from({ length: 8 }, (_, k) => host(i + k)));
}

try {
  await call('POST', '/api/auth/setup', { organization_name: 'Bench', network: { name: 'Big' } });
  await call('POST', '/api/auth/register', {
    email: 'bench@example.com',
    password: 'CorrectHorse9',
    terms_accepted: true,
  });
  const networkId = (await call<{ id: string }[]>('GET', '/api/v1/networks')).data[0]!.id;
  const t0 = (await call<Topology[]>('GET', `/api/v1/topology?network_id=${networkId}`)).data[0]!;
  // Locked while seeding: a locked topology only turns stale, so the seeding is not slowed by auto-rebuilds of an
  // ever larger graph (every 15 s) and none runs during the timings.
  await call('POST', `/api/v1/topology/${t0.id}/lock`);
  const seedStart = performance.now();
  await seed(networkId);
  const seedS = (performance.now() - seedStart) / 1000;
  await call('POST', `/api/v1/topology/${t0.id}/unlock`);

  // Build + layout, each the whole pipeline (read the inventory, build, ELK, store); the v0.17 read builds on the fly
  // and stores nothing.
  const rebuildMs: number[] = [];
  for (let k = 0; k < BUILDS; k++) {
    const r = await call('POST', `/api/v1/topology/${t0.id}/rebuild`, {
      network_id: networkId,
      options: t0.options,
    });
    rebuildMs.push(r.ms);
  }
  const readMs: number[] = [];
  let readBytes = 0;
  for (let k = 0; k < BUILDS; k++) {
    const r = await call('GET', `/api/v1/topology/data?network_id=${networkId}&view=L3Logical`);
    readMs.push(r.ms);
    readBytes = r.received;
  }
  const got = await call<Topology>('GET', `/api/v1/topology/${t0.id}`);
  const t = got.data;
  const cards = t.nodes.filter((n) => n.node_type === 'InterfaceNode');
  if (new Set(cards.map((n) => n.host_id)).size !== HOSTS)
    throw new Error(`built ${cards.length} cards, not ${HOSTS}`);

  // Saving a drag, both ways, interleaved so load on the machine hits both alike.
  const point = { ms: [] as number[], bytes: 0 };
  const full = { ms: [] as number[], bytes: 0 };
  for (let k = 0; k < SAVES; k++) {
    const card = cards[k % cards.length]!;
    const position = { x: card.position.x + 25 * ((k % 4) + 1), y: card.position.y };
    const p = await call('POST', `/api/v1/topology/${t.id}/node-position`, {
      network_id: networkId,
      node_id: card.id,
      position,
    });
    point.ms.push(p.ms);
    point.bytes = p.sent;
    if (k % 3 === 0) {
      // The peer: the whole stored topology sent back with one card moved.
      const moved = { ...t, nodes: t.nodes.map((n) => (n.id === card.id ? { ...n, position } : n)) };
      const f = await call('PUT', `/api/v1/topology/${t.id}`, moved);
      full.ms.push(f.ms);
      full.bytes = f.sent;
    }
  }

  const result = {
    date: today(),
    backend: 'pglite',
    hosts: HOSTS,
    subnets: SUBNETS,
    services: HOSTS * SERVICES_PER_HOST,
    nodes: t.nodes.length,
    edges: t.edges.length,
    seed_s: r1(seedS),
    rebuild_ms: { median: Math.round(median(rebuildMs)), all: rebuildMs.map(Math.round) },
    data_read_ms: { median: Math.round(median(readMs)), all: readMs.map(Math.round), bytes: readBytes },
    topology_get_bytes: got.received,
    point_update: { bytes: point.bytes, saves: point.ms.length, median_ms: r1(median(point.ms)) },
    full_put: { bytes: full.bytes, saves: full.ms.length, median_ms: r1(median(full.ms)) },
  };
  console.log(JSON.stringify(result, null, 2));
  const bytesRatio = Math.round(full.bytes / point.bytes);
  const timeRatio = r1(median(full.ms) / median(point.ms));
  const rows = [
    `| ${today()} | topology       | pglite   | ${HOSTS} hosts, ${SUBNETS} subnets, ${HOSTS * SERVICES_PER_HOST} services ` +
      `(${t.nodes.length} nodes, ${t.edges.length} edges), seeded through the API: build + layout + store ` +
      `(POST rebuild) median ${(median(rebuildMs) / 1000).toFixed(2)} s of ${BUILDS}; on-the-fly read ` +
      `(GET /topology/data, ${(readBytes / 2 ** 20).toFixed(1)} MiB) ${(median(readMs) / 1000).toFixed(2)} s | — |`,
    `| ${today()} | topology       | pglite   | saving a drag: point update (node-position) ${point.bytes} B, median ` +
      `${r1(median(point.ms))} ms of ${point.ms.length}; peer: whole-topology PUT ${(full.bytes / 2 ** 20).toFixed(1)} MiB, ` +
      `median ${r1(median(full.ms))} ms of ${full.ms.length} | ${bytesRatio}× fewer bytes, ${timeRatio}× faster |`,
  ];
  console.log(`results: ${record('topology', result, rows)}`);
} finally {
  await server.stop();
}
