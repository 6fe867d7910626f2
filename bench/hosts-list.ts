// GET /api/v1/hosts?limit=50 on 10k hosts with children, against a bare Fastify route serving the same bytes:
// `npx tsx bench/hosts-list.ts`. Writes bench/results/hosts-list-<date>.json and rows in docs/benchmarks.md.
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon, { type Result } from 'autocannon';
import { backends, cpuMs, record, startChild, today } from './lib.ts';

const HOSTS = 10_000;
const DURATION = 10;
const CONNECTIONS = 10;
const URL_PATH = '/api/v1/hosts?limit=50';

const summary = (r: Result) => ({
  requests_per_s: Math.round(r.requests.average),
  latency_p50_ms: r.latency.p50,
  latency_p99_ms: r.latency.p99,
  total: r.requests.total,
  non2xx: r.non2xx,
  errors: r.errors,
});

const results = [];
for (const backend of backends) {
  const real = await startChild({ mode: 'app', backend, hosts: HOSTS, children: true });
  try {
    const headers = { authorization: `Bearer ${real.key}` };
    const sample = await fetch(`http://127.0.0.1:${real.port}${URL_PATH}`, { headers });
    const body = Buffer.from(await sample.arrayBuffer());
    if (sample.status !== 200) throw new Error(`${backend}: ${sample.status} ${body.toString()}`);
    const bodyFile = path.join(tmpdir(), `scanopy-bench-hosts-${process.pid}.json`);
    writeFileSync(bodyFile, body);
    const plain = await startChild({ mode: 'plain', bodyFile });
    try {
      const run = (port: number, h: Record<string, string>) =>
        autocannon({
          url: `http://127.0.0.1:${port}${URL_PATH}`,
          connections: CONNECTIONS,
          duration: DURATION,
          headers: h,
        });
      const cpu0 = cpuMs(real.child.pid!);
      const appRun = await run(real.port, headers);
      // Server CPU per request (user + system), steadier than req/s when other work shares the machine.
      const cpuPerRequest = Math.round(((cpuMs(real.child.pid!) - cpu0) / appRun.requests.total) * 100) / 100;
      const app = { ...summary(appRun), server_cpu_ms_per_request: cpuPerRequest };
      const baseline = summary(await run(plain.port, {}));
      const ratio = Math.round((app.requests_per_s / baseline.requests_per_s) * 1000) / 1000;
      results.push({
        backend,
        seed_seconds: real.seedSeconds,
        body_bytes: body.length,
        app,
        plain: baseline,
        ratio,
      });
      console.log(backend, JSON.stringify(results[results.length - 1]));
    } finally {
      await plain.stop();
    }
  } finally {
    await real.stop();
  }
}

const file = record(
  'hosts-list',
  {
    date: new Date().toISOString(),
    hosts: HOSTS,
    duration_s: DURATION,
    connections: CONNECTIONS,
    path: URL_PATH,
    results,
  },
  results.map(
    (r) =>
      `| ${today()} | hosts-list | ${r.backend} | ${r.app.requests_per_s} req/s, p99 ${r.app.latency_p99_ms} ms, ` +
      `server CPU ${r.app.server_cpu_ms_per_request} ms/request ` +
      `(plain: ${r.plain.requests_per_s} req/s, p99 ${r.plain.latency_p99_ms} ms) | ${r.ratio} |`,
  ),
);
console.log(`wrote ${file}`);
