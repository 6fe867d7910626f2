// A server for the benchmarks, in its own process: `app` = the real server on a fresh database seeded with hosts;
// `plain` = a bare Fastify route answering a fixed body from memory (the ceiling the real route is compared with).
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import pg from 'pg';
import { buildApp } from '../apps/server/src/app.ts';
import { testConfig } from '../apps/server/src/config.ts';
import { openDb, type Db } from '../apps/server/src/db/client.ts';
import { migrate } from '../apps/server/src/db/migrate.ts';
import { inTransaction, sqlRows } from '../apps/server/test/sql.ts';

interface Args {
  mode: 'app' | 'plain';
  backend?: 'pglite' | 'postgres';
  hosts?: number;
  children?: boolean;
  /** plain mode: file holding the body to serve. */
  bodyFile?: string;
}

const args = JSON.parse(process.env.BENCH_ARGS ?? '{}') as Args;
const ADMIN_URL = process.env.SCANOPY_TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

async function adminQuery(sql: string) {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  await c.query(sql);
  await c.end();
}

async function freshDb(backend: 'pglite' | 'postgres'): Promise<{ db: Db; drop: () => Promise<void> }> {
  if (backend === 'pglite') {
    const db = await openDb({});
    return { db, drop: () => db.close() };
  }
  const name = `scanopy_bench_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const db = await openDb({ databaseUrl: url.toString() });
  return {
    db,
    drop: async () => {
      await db.close();
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

/** N hosts in the network; with children each has 2 interfaces, 3 ports and 1 service. One statement per table. */
async function seed(db: Db, networkId: string, hosts: number, children: boolean) {
  await inTransaction(db, async (tx) => {
    // Replica mode skips the per-row event triggers, which would otherwise NOTIFY once per seeded row.
    await sqlRows(tx, 'SET LOCAL session_replication_role = replica');
    await sqlRows(
      tx,
      `INSERT INTO hosts (id, network_id, name, hostname, source, created_at)
       SELECT gen_random_uuid(), $1, 'host-' || i, 'host-' || i || '.lan', '{"type":"Manual"}',
              now() - make_interval(secs => i)
       FROM generate_series(1, $2::int) AS i`,
      [networkId, hosts],
    );
    if (!children) return;
    const subnet = randomUUID();
    await sqlRows(
      tx,
      `INSERT INTO subnets (id, network_id, cidr, name, subnet_type, source)
       VALUES ($1, $2, '10.0.0.0/8', 'lan', 'Lan', '{"type":"Manual"}')`,
      [subnet, networkId],
    );
    await sqlRows(
      tx,
      `INSERT INTO interfaces (id, host_id, subnet_id, network_id, ip_address, name, position)
       SELECT gen_random_uuid(), h.id, $1, h.network_id,
              ('10.0.0.0'::inet + (row_number() OVER (ORDER BY h.id)) * 2 + k), 'eth' || k, k
       FROM hosts h CROSS JOIN generate_series(0, 1) AS k`,
      [subnet],
    );
    await sqlRows(
      tx,
      `INSERT INTO ports (id, host_id, network_id, port_number, protocol)
       SELECT gen_random_uuid(), h.id, h.network_id, p, 'Tcp' FROM hosts h CROSS JOIN unnest(ARRAY[22, 80, 443]) AS p`,
    );
    await sqlRows(
      tx,
      `INSERT INTO services (id, host_id, network_id, name, service_definition, source)
       SELECT gen_random_uuid(), h.id, h.network_id, 'SSH', 'SSH', '{"type":"Manual"}' FROM hosts h`,
    );
  });
  // Fresh statistics, as autovacuum would give PostgreSQL shortly after a bulk load (PGlite has no autovacuum).
  await sqlRows(db, 'ANALYZE');
}

async function inject(
  app: FastifyInstance,
  method: 'GET' | 'POST',
  url: string,
  body?: unknown,
  cookie?: string,
) {
  const res = await app.inject({
    method,
    url,
    headers: { ...(cookie ? { cookie } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    payload: body ? JSON.stringify(body) : undefined,
  });
  if (res.statusCode >= 300) throw new Error(`${method} ${url} → ${res.statusCode} ${res.body}`);
  return res;
}

async function startApp(): Promise<{
  app: FastifyInstance;
  key: string;
  seedSeconds: number;
  close: () => Promise<void>;
}> {
  const { db, drop } = await freshDb(args.backend ?? 'pglite');
  await migrate(db);
  // testConfig: rate limiting off, so the figures measure the route rather than the limiter's 429s.
  const app = await buildApp({ config: testConfig({ webDir: '/nonexistent' }), db });
  await app.ready();
  const reg = await inject(app, 'POST', '/api/auth/register', {
    email: 'bench@example.com',
    password: 'Correct-Horse-9',
    terms_accepted: true,
  });
  const cookie = `session_id=${reg.cookies.find((c) => c.name === 'session_id')!.value}`;
  const networkId = (await inject(app, 'GET', '/api/v1/networks', undefined, cookie)).json<{
    data: { id: string }[];
  }>().data[0].id;
  const created = await inject(
    app,
    'POST',
    '/api/v1/auth/keys',
    { name: 'bench', permissions: 'Viewer', network_ids: [networkId] },
    cookie,
  );
  const key = created.json<{ data: { key: string } }>().data.key;
  const t0 = performance.now();
  await seed(db, networkId, args.hosts ?? 0, args.children ?? false);
  const seedSeconds = (performance.now() - t0) / 1000;
  return {
    app,
    key,
    seedSeconds,
    close: async () => {
      await app.close();
      await drop();
    },
  };
}

async function startPlain(): Promise<{ app: FastifyInstance; close: () => Promise<void> }> {
  const body = readFileSync(args.bodyFile!);
  const app = Fastify();
  app.get('/api/v1/hosts', async (_req, reply) => reply.type('application/json; charset=utf-8').send(body));
  return { app, close: () => app.close() };
}

const server =
  args.mode === 'plain' ? { ...(await startPlain()), key: '', seedSeconds: 0 } : await startApp();
await server.app.listen({ port: 0, host: '127.0.0.1' });
const port = (server.app.server.address() as AddressInfo).port;
process.on('message', (m) => {
  if (m === 'stop') void server.close().then(() => process.exit(0));
});
process.send!({ port, key: server.key, seedSeconds: server.seedSeconds });
