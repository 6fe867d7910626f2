import { createHash, randomUUID } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import pg from 'pg';
import { buildApp } from '../src/app.ts';
import { testConfig, type ServerConfig } from '../src/config.ts';
import { dumpPglite, openDb, type Db } from '../src/db/client.ts';
import { listMigrations, migrate } from '../src/db/migrate.ts';
import { sqlRows } from './sql.ts';

export type Backend = 'pglite' | 'postgres';
/** Every database-backed suite runs on both backends. */
export const backends: Backend[] = ['pglite', 'postgres'];
export const ADMIN_URL =
  process.env.SCANOPY_TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

let migratedDump: Promise<Blob> | undefined;

/**
 * A migrated in-memory PGlite. PGlite's initdb dominates its start-up, so a migrated database is snapshotted once
 * per set of migrations (in the temp dir, shared by the test files of a run) and later ones start from it; migrate()
 * then finds nothing to do.
 */
async function migratedPglite(): Promise<Db> {
  migratedDump ??= (async () => {
    const hash = createHash('sha256');
    for (const m of listMigrations()) hash.update(m.version).update(m.sql);
    const file = path.join(os.tmpdir(), `scanopy-test-pglite-${hash.digest('hex').slice(0, 16)}.tar`);
    try {
      return new Blob([await readFile(file)]);
    } catch {
      // Not there yet: make it.
    }
    const db = await openDb({});
    try {
      await migrate(db);
      const dump = await dumpPglite(db);
      const tmp = `${file}.${process.pid}.${randomUUID()}`;
      await writeFile(tmp, Buffer.from(await dump.arrayBuffer()));
      await rename(tmp, file);
      return dump;
    } finally {
      await db.close();
    }
  })();
  return openDb({ pgliteDump: await migratedDump });
}

/**
 * A fresh database: in-memory PGlite, or a new database on the local PostgreSQL server. Empty unless `migrated`
 * (PGlite then starts from a migrated snapshot; PostgreSQL databases are always created empty).
 */
export async function freshDb(
  backend: Backend,
  opts: { migrated?: boolean } = {},
): Promise<{ db: Db; drop: () => Promise<void> }> {
  if (backend === 'pglite') {
    const db = opts.migrated ? await migratedPglite() : await openDb({});
    return { db, drop: () => db.close() };
  }
  const name = `scanopy_test_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.query(`ALTER DATABASE ${name} SET synchronous_commit = off`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const db = await openDb({ databaseUrl: url.toString() });
  return {
    db,
    drop: async () => {
      await db.close();
      const a = new pg.Client({ connectionString: ADMIN_URL });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}

export interface TestServer {
  app: FastifyInstance;
  db: Db;
  config: ServerConfig;
  close: () => Promise<void>;
}

export async function startTestServer(
  backend: Backend,
  overrides: Partial<ServerConfig> = {},
): Promise<TestServer> {
  const { db, drop } = await freshDb(backend, { migrated: true });
  await migrate(db);
  const config = testConfig({ webDir: '/nonexistent', ...overrides });
  const app = await buildApp({
    config,
    db,
    logger: process.env.TEST_LOG ? { level: process.env.TEST_LOG } : false,
  });
  await app.ready();
  return {
    app,
    db,
    config,
    close: async () => {
      await app.close();
      await drop();
    },
  };
}

/** Deletes all rows so tests in one file start from an empty database without paying for a new one. */
export async function resetDb(db: Db): Promise<void> {
  // The server writes a few things off the request path (a key's last_used, a session's sliding expiry); one of
  // them still running can deadlock with the TRUNCATE's table locks on PostgreSQL. PostgreSQL then aborts one side:
  // try again.
  for (let attempt = 1; ; attempt++) {
    try {
      await sqlRows(
        db,
        `TRUNCATE organizations, users, sessions, networks, tags, entity_tags, subnets, hosts, interfaces, ports,
         services, bindings, api_keys, daemons, user_api_keys, discovery, discovery_sessions, server_state CASCADE`,
      );
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== '40P01' || attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, 50 * attempt));
    }
  }
}

export const PASSWORD = 'Correct-Horse-9';

/** A client that keeps the session cookie between calls, like a browser. */
export class Client {
  cookie?: string;
  headers: Record<string, string> = {};
  constructor(readonly app: FastifyInstance) {}

  async req(
    method: string,
    url: string,
    body?: unknown,
    extraHeaders: Record<string, string> = {},
  ): Promise<LightMyRequestResponse> {
    const res = await this.app.inject({
      method: method as 'GET',
      url,
      headers: {
        ...this.headers,
        ...(this.cookie ? { cookie: `session_id=${this.cookie}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...extraHeaders,
      },
      payload: body === undefined ? undefined : JSON.stringify(body),
    });
    const set = res.cookies.find((c) => c.name === 'session_id');
    if (set) this.cookie = set.value || undefined;
    return res;
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON payloads
  async json<T = any>(method: string, url: string, body?: unknown, expect = 200): Promise<T> {
    const res = await this.req(method, url, body);
    if (res.statusCode !== expect) {
      throw new Error(`${method} ${url} → ${res.statusCode} (expected ${expect}): ${res.body}`);
    }
    return (res.json() as { data: T }).data;
  }
}

export async function registerOwner(
  app: FastifyInstance,
  email = `owner-${randomUUID().slice(0, 8)}@example.com`,
) {
  const c = new Client(app);
  const user = await c.json('POST', '/api/auth/register', {
    email,
    password: PASSWORD,
    terms_accepted: true,
  });
  const networks = await c.json<{ id: string }[]>('GET', '/api/v1/networks');
  return { client: c, user, networkId: networks[0].id, email };
}
