import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, startTestServer, type TestServer } from './harness.ts';
import { buildOrg, type Org } from './fixtures/world.ts';
import { inTransaction, sqlRows } from './sql.ts';

const HOSTS = 100_000;
/**
 * Bound on the live heap growth of this process (server and client) while the whole export streams. Buffering the
 * export would need far more: 100k rows are ~20 MB of CSV text and several times that as row objects. Streaming
 * holds one 1000-row batch plus socket buffers, a few MiB.
 */
const HEAP_BOUND = 64 * 1024 * 1024;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe.each(backends)('a 100k-host CSV export on %s', (backend) => {
  let s: TestServer;
  let A: Org;
  let base: string;

  beforeAll(async () => {
    s = await startTestServer(backend);
    A = await buildOrg(s.app, s.db, 'A');
    await inTransaction(s.db, async (tx) => {
      // Replica mode skips the per-row event triggers: 100k NOTIFYs would dominate the setup time and flood the
      // event bus with notifications nothing here reads.
      await sqlRows(tx, 'SET LOCAL session_replication_role = replica');
      await sqlRows(
        tx,
        `INSERT INTO hosts (id, network_id, name, hostname, source, created_at)
         SELECT gen_random_uuid(), $1, 'host-' || i, 'host-' || i || '.lan', '{"type":"Manual"}',
                now() - make_interval(secs => i)
         FROM generate_series(1, $2::int) AS i`,
        [A.networkId, HOSTS],
      );
    });
    await s.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(s.app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => s?.close());

  it('streams every row over a real socket with bounded heap growth', async () => {
    gc();
    const before = process.memoryUsage().heapUsed;
    let peak = before;
    let newlines = 0;
    let bytes = 0;
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.get(
        `${base}/api/v1/hosts/export/csv`,
        { headers: A.sessions.Owner!.headers },
        (res) => {
          let sampledAt = 0;
          res.on('data', (chunk: Buffer) => {
            bytes += chunk.length;
            for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) newlines++;
            // Live memory, sampled every MiB: the peak of heapUsed alone would also count garbage the collector has
            // not reclaimed yet, which depends on GC timing (it reached 78 MiB with 0.7 MiB retained afterwards).
            if (bytes - sampledAt >= 2 ** 20) {
              sampledAt = bytes;
              gc();
              peak = Math.max(peak, process.memoryUsage().heapUsed);
            }
          });
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
    });
    expect(status).toBe(200);
    // Seeded names have no newlines, so every line is one record; the first is the header.
    expect(newlines - 1).toBe(HOSTS);
    expect(bytes).toBeGreaterThan(HOSTS * 100);
    const growth = peak - before;
    console.log(
      `${backend}: ${HOSTS} rows, ${(bytes / 2 ** 20).toFixed(1)} MiB, heap growth ${(growth / 2 ** 20).toFixed(1)} MiB`,
    );
    expect(growth).toBeLessThan(HEAP_BOUND);
  });
});
