// The topology editor in Chromium on 1,000 hosts in 30 subnets with 3,000 services: first render, bytes of one
// drag's save, JS heap of the open editor; peer in the same run: the whole-topology PUT a drag would otherwise send.
// `npm run build -w apps/web && npx tsx bench/topology-ui.ts`. Writes bench/results/topology-ui-<date>.json and a
// row in docs/benchmarks.md.
import { randomUUID } from 'node:crypto';
import type { APIRequestContext } from 'playwright-core';
import { launchBrowser } from '../e2e/support/browser.ts';
import { ensureWebBuild, startServer } from '../e2e/support/server.ts';
import { mib, record, today } from './lib.ts';

const SUBNETS = 30;
const HOSTS = 1000;
const SERVICES_PER_HOST = 3;
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

interface Envelope<T> {
  success: boolean;
  data: T;
}
interface Node {
  id: string;
  node_type: string;
  host_id?: string;
  position: { x: number; y: number };
  size: { x: number; y: number };
}
interface Topology {
  id: string;
  network_id: string;
  nodes: Node[];
  options: unknown;
}

async function call<T>(api: APIRequestContext, base: string, method: string, url: string, data?: unknown) {
  const res = await api.fetch(`${base}${url}`, { method, ...(data === undefined ? {} : { data }) });
  const text = await res.text();
  if (!res.ok()) throw new Error(`${method} ${url}: ${res.status()} ${text.slice(0, 300)}`);
  return { data: (JSON.parse(text) as Envelope<T>).data, bytes: Buffer.byteLength(text) };
}

/** 30 subnets, 1,000 hosts with one interface and three services bound to ports each, through the public API. */
async function seed(api: APIRequestContext, base: string, networkId: string) {
  const subnets: string[] = [];
  for (let s = 0; s < SUBNETS; s++) {
    const body = {
      network_id: networkId,
      cidr: `10.${s}.0.0/16`,
      name: `Subnet ${s}`,
      subnet_type: 'Lan',
      tags: [],
    };
    subnets.push((await call<{ id: string }>(api, base, 'POST', '/api/v1/subnets', body)).data.id);
  }
  const one = async (i: number) => {
    const s = i % SUBNETS;
    const iface = randomUUID();
    const ports = Array.from({ length: SERVICES_PER_HOST }, (_, k) => ({
      id: randomUUID(),
      number: 8000 + k,
      protocol: 'Tcp',
    }));
    await call(api, base, 'POST', '/api/v1/hosts', {
      name: `host-${i}`,
      network_id: networkId,
      tags: [],
      interfaces: [
        { id: iface, subnet_id: subnets[s], ip_address: `10.${s}.${Math.floor(i / 250)}.${(i % 250) + 2}` },
      ],
      ports,
      services: ports.map((p, k) => ({
        id: randomUUID(),
        name: DEFINITIONS[(i + k) % DEFINITIONS.length],
        service_definition: DEFINITIONS[(i + k) % DEFINITIONS.length],
        bindings: [{ id: randomUUID(), type: 'Port', port_id: p.id, interface_id: iface }],
      })),
    });
  };
  for (let i = 0; i < HOSTS; i += 8) await Promise.all(Array.from({ length: 8 }, (_, k) => one(i + k)));
}

ensureWebBuild();
// Rate limiting off: the seeding sends 1,000 host writes as fast as the server takes them.
const server = await startServer({ SCANOPY_INTEGRATED_DAEMON: 'false', SCANOPY_RATE_LIMIT_PER_MINUTE: '0' });
const browser = await launchBrowser();
try {
  const base = server.baseUrl;
  const api = browser.context.request;
  await api.post(`${base}/api/auth/setup`, {
    data: { organization_name: 'Bench', network: { name: 'Big' } },
  });
  await api.post(`${base}/api/auth/register`, {
    data: { email: 'bench@example.com', password: 'CorrectHorse9', terms_accepted: true },
  });
  const networkId = (await call<{ id: string }[]>(api, base, 'GET', '/api/v1/networks')).data[0]!.id;
  const existing = (await call<Topology[]>(api, base, 'GET', `/api/v1/topology?network_id=${networkId}`))
    .data;
  // Locked while seeding, so auto-rebuilds of an ever larger graph do not slow the seeding down.
  if (existing[0]) await call(api, base, 'POST', `/api/v1/topology/${existing[0].id}/lock`);
  const seedStart = performance.now();
  await seed(api, base, networkId);
  const seedS = (performance.now() - seedStart) / 1000;
  if (existing[0]) await call(api, base, 'POST', `/api/v1/topology/${existing[0].id}/unlock`);
  const buildStart = performance.now();
  let t =
    existing[0] ??
    (await call<Topology>(api, base, 'POST', '/api/v1/topology', { network_id: networkId, name: 'Big' }))
      .data;
  await call(api, base, 'POST', `/api/v1/topology/${t.id}/rebuild`, {
    network_id: networkId,
    options: t.options,
  });
  const buildS = (performance.now() - buildStart) / 1000;
  const got = await call<Topology>(api, base, 'GET', `/api/v1/topology/${t.id}`);
  t = got.data;
  const cards = t.nodes.filter((n) => n.node_type === 'InterfaceNode');
  const boxes = t.nodes.filter((n) => n.node_type === 'SubnetNode');
  const diagram = {
    w: Math.max(...boxes.map((n) => n.position.x + n.size.x)) - Math.min(...boxes.map((n) => n.position.x)),
    h: Math.max(...boxes.map((n) => n.position.y + n.size.y)) - Math.min(...boxes.map((n) => n.position.y)),
  };
  if (new Set(cards.map((n) => n.host_id)).size !== HOSTS)
    throw new Error(`built ${cards.length} cards, not ${HOSTS}`);

  // First render: navigation start to the diagram on screen with its status line counting every host.
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto(`${base}/topology?id=${t.id}`);
  await page.locator('[data-testid="topology-host"]').first().waitFor({ timeout: 120_000 });
  await page
    .getByTestId('topology-status')
    .filter({ hasText: `${HOSTS} hosts` })
    .waitFor({ timeout: 60_000 });
  const firstRenderMs = await page.evaluate(() => performance.now());

  // One drag and the request it saved with.
  const target = page.locator('[data-testid="topology-host"]').first();
  const box = (await target.boundingBox())!;
  const saved = page.waitForRequest((r) => r.url().endsWith('/node-position'));
  const dragStart = performance.now();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.6);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2 + 50, box.y + box.height * 0.6 + 50, { steps: 5 });
  await page.mouse.up();
  const request = await saved;
  const response = await request.response();
  const dragSaveMs = performance.now() - dragStart;
  const dragBytes = request.postDataBuffer()?.length ?? 0;
  await page.getByTestId('topology-status').filter({ hasText: 'Saved position' }).waitFor();

  const cdp = await browser.context.newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage');
  const heap = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number; totalSize: number };

  // Zoom to fit: the whole diagram on screen (a layout too wide for a screen stops at the minimum zoom, 0.05).
  await page.locator('.svelte-flow__controls-fitview').click();
  await page.waitForTimeout(600);
  const fitZoom = await page.evaluate(() => {
    const doc = (globalThis as unknown as { document: { querySelector(s: string): unknown } }).document;
    const el = doc.querySelector('.svelte-flow__viewport') as { style: { transform: string } } | null;
    return Number(/scale\(([\d.]+)\)/.exec(el?.style.transform ?? '')?.[1] ?? NaN);
  });
  if (process.env.BENCH_SHOTS)
    await page.screenshot({ path: `${process.env.BENCH_SHOTS}/topology-ui-fit.png` });

  // Peer: the pre-point-update way, the whole topology PUT back with one card moved.
  const moved = {
    ...t,
    nodes: t.nodes.map((n) =>
      n.id === cards[1]!.id ? { ...n, position: { x: n.position.x + 25, y: n.position.y } } : n,
    ),
  };
  const putBody = JSON.stringify(moved);
  const putStart = performance.now();
  const put = await api.fetch(`${base}/api/v1/topology/${t.id}`, {
    method: 'PUT',
    data: putBody,
    headers: { 'content-type': 'application/json' },
  });
  const putMs = performance.now() - putStart;

  const result = {
    date: today(),
    hosts: HOSTS,
    subnets: SUBNETS,
    services: HOSTS * SERVICES_PER_HOST,
    seed_s: Math.round(seedS * 10) / 10,
    build_s: Math.round(buildS * 10) / 10,
    topology_get_bytes: got.bytes,
    first_render_ms: Math.round(firstRenderMs),
    drag_bytes: dragBytes,
    drag_status: response?.status(),
    drag_save_ms: Math.round(dragSaveMs),
    js_heap_used_mib: mib(heap.usedSize),
    diagram_px: diagram,
    zoom_to_fit: Math.round(fitZoom * 1000) / 1000,
    peer_put_bytes: Buffer.byteLength(putBody),
    peer_put_ms: Math.round(putMs),
    peer_put_status: put.status(),
  };
  console.log(result);
  const row =
    `| ${today()} | topology-ui | pglite | ${HOSTS} hosts, ${SUBNETS} subnets, ${HOSTS * SERVICES_PER_HOST} services in ` +
    `Chromium: first render ${(firstRenderMs / 1000).toFixed(2)} s, a drag saves ${dragBytes} B ` +
    `(${Math.round(dragSaveMs)} ms to the request), JS heap ${mib(heap.usedSize)} MiB, diagram ` +
    `${diagram.w}×${diagram.h} px (zoom to fit ${result.zoom_to_fit}); peer: whole-topology PUT ` +
    `${(Buffer.byteLength(putBody) / 1024).toFixed(0)} KiB in ${Math.round(putMs)} ms (HTTP ${put.status()}) | ` +
    `${Math.round(Buffer.byteLength(putBody) / Math.max(1, dragBytes))}× fewer bytes per drag |`;
  console.log(`results: ${record('topology-ui', result, [row])}`);
} finally {
  await browser.close();
  await server.stop();
}
