// The web UI under a stream of changes: 10,000 hosts (2 interfaces, 3 ports, 1 service each) in a real server on
// loopback; Chromium keeps the Hosts page, then the Discovery page, open for UI_MEMORY_SECONDS (default 120) each
// while this script writes 20 host changes per second through the API and starts a Self Report of the integrated
// daemon every 20 s (never a Network discovery). Every 10 s it samples the page's JS heap over CDP (after a forced
// GC: what the page retains) and counts its requests. Peer in the same run: the same with the UI's invalidation
// throttle disabled (`?throttle=off`). `npm run build -w apps/web && npx tsx bench/ui-memory.ts`; writes
// bench/results/ui-memory-<date>.json and rows in docs/benchmarks.md.
import { randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { CDPSession, Page } from 'playwright-core';
import { launchBrowser } from '../e2e/support/browser.ts';
import { ensureWebBuild, startServer } from '../e2e/support/server.ts';
import { mib, record, repoRoot, today } from './lib.ts';

const HOSTS = 10_000;
const SECONDS = Number(process.env.UI_MEMORY_SECONDS ?? 120);
const SAMPLE_S = 10;
const WRITES_PER_S = 20;
const SELF_REPORT_EVERY_S = 20;
const HEAP_GOAL_MIB = 100;
const ADMIN_URL = process.env.SCANOPY_TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const PASSWORD = 'Correct-Horse-9';

interface Envelope<T> {
  success: boolean;
  data: T;
}

async function admin(sql: string) {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  await c.query(sql);
  await c.end();
}

/** 10,000 hosts with children in one statement per table, as bench/server-child.ts seeds its server. */
async function seed(url: string, networkId: string) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query('BEGIN');
    // Replica mode skips the per-row event triggers, which would otherwise notify once per seeded row.
    await c.query('SET LOCAL session_replication_role = replica');
    await c.query(
      `INSERT INTO hosts (id, network_id, name, hostname, source, created_at)
       SELECT gen_random_uuid(), $1, 'host-' || i, 'host-' || i || '.lan', '{"type":"Manual"}',
              now() - make_interval(secs => i)
       FROM generate_series(1, $2::int) AS i`,
      [networkId, HOSTS],
    );
    const subnet = randomUUID();
    await c.query(
      `INSERT INTO subnets (id, network_id, cidr, name, subnet_type, source)
       VALUES ($1, $2, '10.0.0.0/8', 'lan', 'Lan', '{"type":"Manual"}')`,
      [subnet, networkId],
    );
    await c.query(
      `INSERT INTO interfaces (id, host_id, subnet_id, network_id, ip_address, name, position)
       SELECT gen_random_uuid(), h.id, $1, h.network_id,
              ('10.0.0.0'::inet + (row_number() OVER (ORDER BY h.id)) * 2 + k), 'eth' || k, k
       FROM hosts h CROSS JOIN generate_series(0, 1) AS k WHERE h.network_id = $2 AND h.name LIKE 'host-%'`,
      [subnet, networkId],
    );
    await c.query(
      `INSERT INTO ports (id, host_id, network_id, port_number, protocol)
       SELECT gen_random_uuid(), h.id, h.network_id, p, 'Tcp'
       FROM hosts h CROSS JOIN unnest(ARRAY[22, 80, 443]) AS p WHERE h.name LIKE 'host-%'`,
    );
    await c.query(
      `INSERT INTO services (id, host_id, network_id, name, service_definition, source)
       SELECT gen_random_uuid(), h.id, h.network_id, 'SSH', 'SSH', '{"type":"Manual"}'
       FROM hosts h WHERE h.name LIKE 'host-%'`,
    );
    await c.query('COMMIT');
    await c.query('ANALYZE');
  } finally {
    await c.end();
  }
}

async function call<T>(base: string, method: string, url: string, auth: string, body?: unknown): Promise<T> {
  const res = await fetch(`${base}${url}`, {
    method,
    headers: {
      authorization: `Bearer ${auth}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${text.slice(0, 200)}`);
  return (JSON.parse(text) as Envelope<T>).data;
}

/** 20 host renames a second and a Self Report every 20 s, until stopped. */
function startLoad(base: string, key: string, hostIds: string[], selfReportId: string) {
  let writes = 0;
  let writeErrors = 0;
  let selfReports = 0;
  let inflight = 0;
  let n = 0;
  const writer = setInterval(() => {
    // Never more than a second's worth in flight: a slow server gets fewer writes, not a queue.
    if (inflight >= WRITES_PER_S) return;
    const id = hostIds[n++ % hostIds.length]!;
    inflight++;
    call(base, 'PUT', `/api/v1/hosts/${id}`, key, {
      id,
      name: `host-${id.slice(0, 8)}-${n}`,
      hidden: false,
      tags: [],
      description: `change ${n}`,
    })
      .then(() => writes++)
      .catch(() => writeErrors++)
      .finally(() => inflight--);
  }, 1000 / WRITES_PER_S);
  const selfReport = () =>
    call(base, 'POST', '/api/v1/discovery/start-session', key, selfReportId)
      .then(() => selfReports++)
      .catch(() => undefined); // a report still running refuses a second start
  void selfReport();
  const reporter = setInterval(() => void selfReport(), SELF_REPORT_EVERY_S * 1000);
  return {
    stop() {
      clearInterval(writer);
      clearInterval(reporter);
      return { writes, write_errors: writeErrors, self_reports: selfReports };
    },
  };
}

/** What the page keeps: JS heap used after a forced garbage collection. */
async function retainedHeap(cdp: CDPSession): Promise<number> {
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };
  return usedSize;
}

/** A collection GET (`/api/v1/hosts?…`, `/api/v1/discovery?…`): what a list refetch is. */
const isList = (url: string) => /^\/api\/v1\/[\w-]+$/.test(new URL(url).pathname);

async function measure(page: Page, cdp: CDPSession, base: string, path: string, throttleOff: boolean) {
  let requests = 0;
  let lists = 0;
  const onRequest = (r: { url: () => string; method: () => string }) => {
    if (!r.url().startsWith(base) || !new URL(r.url()).pathname.startsWith('/api/')) return;
    requests++;
    if (r.method() === 'GET' && isList(r.url())) lists++;
  };
  page.on('request', onRequest);
  // A fresh load: the app reads ?throttle=off once, when it starts.
  await page.goto(`${base}${path}${throttleOff ? '?throttle=off' : ''}`);
  await page
    .locator('#main-content h1')
    .waitFor()
    .catch(async (err: unknown) => {
      await page.screenshot({ path: '/tmp/ui-memory-failed.png' });
      throw err;
    });
  const samples: { t_s: number; heap_mib: number; requests_per_s: number; list_refetches_per_s: number }[] =
    [];
  const t0 = Date.now();
  let lastReq = requests;
  let lastLists = lists;
  for (let t = SAMPLE_S; t <= SECONDS; t += SAMPLE_S) {
    await new Promise((r) => setTimeout(r, t0 + t * 1000 - Date.now()));
    const heap = await retainedHeap(cdp);
    samples.push({
      t_s: t,
      heap_mib: mib(heap),
      requests_per_s: Math.round(((requests - lastReq) / SAMPLE_S) * 10) / 10,
      list_refetches_per_s: Math.round(((lists - lastLists) / SAMPLE_S) * 10) / 10,
    });
    lastReq = requests;
    lastLists = lists;
    console.log(path, throttleOff ? 'throttle off' : 'throttled', JSON.stringify(samples.at(-1)));
  }
  page.off('request', onRequest);
  // The first sample is taken after a 10 s warm-up (first render, first lists).
  const first = samples[0]!.heap_mib;
  const last = samples.at(-1)!.heap_mib;
  const maxHeap = Math.max(...samples.map((s) => s.heap_mib));
  const maxLists = Math.max(...samples.map((s) => s.list_refetches_per_s));
  return {
    page: path,
    throttle: !throttleOff,
    samples,
    heap_first_mib: first,
    heap_last_mib: last,
    heap_max_mib: maxHeap,
    heap_drift_pct: Math.round(((last - first) / first) * 1000) / 10,
    requests_per_s_mean: Math.round((requests / SECONDS) * 10) / 10,
    list_refetches_per_s_max: maxLists,
    list_refetches_per_s_mean: Math.round((lists / SECONDS) * 10) / 10,
    goal_met: maxHeap <= HEAP_GOAL_MIB && Math.abs(last - first) <= first * 0.1 && maxLists <= 2,
  };
}

ensureWebBuild();
const dbName = `scanopy_bench_ui_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
await admin(`CREATE DATABASE ${dbName}`);
const dbUrl = new URL(ADMIN_URL);
dbUrl.pathname = `/${dbName}`;
// Rate limiting off, as in the other benches: the writer alone makes 1,200 requests a minute.
// A copy of the web build: the run lasts minutes, and a rebuild of apps/web/build meanwhile would swap its assets.
const webCopy = mkdtempSync(path.join(tmpdir(), 'scanopy-bench-web-'));
cpSync(path.join(repoRoot, 'apps/web/build'), webCopy, { recursive: true });
const server = await startServer({
  SCANOPY_DATABASE_URL: dbUrl.toString(),
  SCANOPY_RATE_LIMIT_PER_MINUTE: '0',
  SCANOPY_WEB_DIR: webCopy,
});
const browser = await launchBrowser();
const results = [];
let load: { writes: number; write_errors: number; self_reports: number } | undefined;
try {
  const base = server.baseUrl;
  const page = await browser.context.newPage();
  page.on('pageerror', (err) => console.error('page error:', err.message));
  // The first account, signed in in the browser's context.
  const api = page.request;
  const ok = async (p: Promise<{ ok: () => boolean; text: () => Promise<string> }>) => {
    const r = await p;
    if (!r.ok()) throw new Error(await r.text());
    return JSON.parse(await r.text()) as Envelope<unknown>;
  };
  await ok(
    api.post(`${base}/api/auth/setup`, { data: { organization_name: 'Bench', network: { name: 'Bench' } } }),
  );
  await ok(
    api.post(`${base}/api/auth/register`, {
      data: { email: 'bench@example.com', password: PASSWORD, terms_accepted: true },
    }),
  );
  const networkId = ((await ok(api.get(`${base}/api/v1/networks`))).data as { id: string }[])[0]!.id;
  const key = (
    (
      await ok(
        api.post(`${base}/api/v1/auth/keys`, {
          data: { name: 'bench', permissions: 'Member', network_ids: [networkId] },
        }),
      )
    ).data as { key: string }
  ).key;

  const t0 = performance.now();
  await seed(dbUrl.toString(), networkId);
  const seedSeconds = Math.round((performance.now() - t0) / 100) / 10;
  // The integrated daemon's Self Report job (the only kind this bench ever starts).
  let selfReportId: string | undefined;
  for (let i = 0; i < 60 && !selfReportId; i++) {
    const jobs = await call<{ id: string; discovery_type: { type: string } }[]>(
      base,
      'GET',
      `/api/v1/discovery?network_id=${networkId}&limit=100`,
      key,
    );
    selfReportId = jobs.find((j) => j.discovery_type.type === 'SelfReport')?.id;
    if (!selfReportId) await new Promise((r) => setTimeout(r, 1000));
  }
  if (!selfReportId) throw new Error('the integrated daemon registered no Self Report job');
  const hostIds = (
    await call<{ id: string }[]>(base, 'GET', `/api/v1/hosts?network_id=${networkId}&limit=200`, key)
  ).map((h) => h.id);

  const cdp = await browser.context.newCDPSession(page);
  await cdp.send('HeapProfiler.enable');
  const running = startLoad(base, key, hostIds, selfReportId);
  for (const throttleOff of [false, true]) {
    for (const path of ['/hosts', '/discovery']) {
      results.push(await measure(page, cdp, base, path, throttleOff));
    }
  }
  load = running.stop();
  if (SECONDS < 120) {
    // A shortened run is a smoke test of the script: it records nothing.
    console.log(JSON.stringify({ load, results }, null, 2));
    process.exitCode = 0;
  } else {
    const file = record(
      'ui-memory',
      {
        date: new Date().toISOString(),
        hosts: HOSTS,
        seconds_per_page: SECONDS,
        writes_per_s: WRITES_PER_S,
        self_report_every_s: SELF_REPORT_EVERY_S,
        seed_seconds: seedSeconds,
        load,
        goal: { heap_max_mib: HEAP_GOAL_MIB, heap_drift_pct: 10, list_refetches_per_s: 2 },
        results,
      },
      results.map(
        (r) =>
          `| ${today()} | ui-memory | postgres | ${r.page} ${r.throttle ? 'throttled' : 'throttle off (peer)'}: heap ` +
          `${r.heap_first_mib} → ${r.heap_last_mib} MiB (max ${r.heap_max_mib}, ${r.heap_drift_pct > 0 ? '+' : ''}` +
          `${r.heap_drift_pct} %), ${r.requests_per_s_mean} req/s, list refetches ${r.list_refetches_per_s_mean}/s ` +
          `(max ${r.list_refetches_per_s_max}); goal ${r.goal_met ? 'met' : 'missed'} | — |`,
      ),
    );
    console.log(JSON.stringify({ load, results: results.map(({ samples: _s, ...r }) => r) }, null, 2));
    console.log(`wrote ${file}`);
  }
} finally {
  await browser.close();
  await server.stop();
  rmSync(webCopy, { recursive: true, force: true });
  await admin(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
}
