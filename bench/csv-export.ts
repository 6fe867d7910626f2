// GET /api/v1/hosts/export/csv over 100k hosts: wall time and the server process's peak RSS during the export:
// `npx tsx bench/csv-export.ts`. Writes bench/results/csv-export-<date>.json and rows in docs/benchmarks.md.
import http from 'node:http';
import { backends, mib, record, rss, startChild, today } from './lib.ts';

const HOSTS = 100_000;

function download(port: number, key: string): Promise<{ status: number; bytes: number; lines: number }> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      `http://127.0.0.1:${port}/api/v1/hosts/export/csv`,
      { headers: { authorization: `Bearer ${key}` } },
      (res) => {
        let bytes = 0;
        let lines = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, lines }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
  });
}

const results = [];
for (const backend of backends) {
  const server = await startChild({ mode: 'app', backend, hosts: HOSTS, children: false });
  try {
    const pid = server.child.pid!;
    const before = rss(pid).now;
    let peak = before;
    const poll = setInterval(() => (peak = Math.max(peak, rss(pid).now)), 20);
    const t0 = performance.now();
    const got = await download(server.port, server.key);
    const seconds = Math.round((performance.now() - t0) / 10) / 100;
    clearInterval(poll);
    if (got.status !== 200 || got.lines - 1 !== HOSTS) throw new Error(`${backend}: ${JSON.stringify(got)}`);
    results.push({
      backend,
      rows: got.lines - 1,
      mib: mib(got.bytes),
      seconds,
      rss_before_mib: mib(before),
      rss_peak_mib: mib(peak),
      rss_growth_mib: mib(peak - before),
      seed_seconds: Math.round(server.seedSeconds * 10) / 10,
    });
    console.log(backend, JSON.stringify(results[results.length - 1]));
  } finally {
    await server.stop();
  }
}

const file = record(
  'csv-export',
  { date: new Date().toISOString(), hosts: HOSTS, results },
  results.map(
    (r) =>
      `| ${today()} | csv-export | ${r.backend} | ${r.rows} rows (${r.mib} MiB) in ${r.seconds} s; ` +
      `server RSS ${r.rss_before_mib} → peak ${r.rss_peak_mib} MiB (+${r.rss_growth_mib}) | — |`,
  ),
);
console.log(`wrote ${file}`);
