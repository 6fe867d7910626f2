import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import type { DB } from './schema.ts';
import { parseTimestamptz } from './timestamptz.ts';

/** Every query goes through Kysely; a transaction is a `Kysely<DB>` too, so repositories take either. */
export type Kdb = Kysely<DB>;

/** The one database handle the server uses; the same SQL runs on PGlite and PostgreSQL. */
export interface Db {
  readonly kind: 'pglite' | 'postgres';
  /** The typed query builder (table types generated from the migrated schema, db/schema.ts). */
  readonly kysely: Kdb;
  /** Runs a parameterless script of several statements on `on` (the database, or a transaction of it). */
  runScript(on: Kdb, script: string): Promise<void>;
  /**
   * Calls cb with the payload of every NOTIFY on channel (a plain lowercase identifier) until the returned stop
   * function runs. PostgreSQL uses a dedicated connection that reconnects on its own after errors.
   */
  listen(
    channel: string,
    cb: (payload: string) => void,
    onReconnect?: () => void,
  ): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

const channelName = /^[a-z_][a-z0-9_]*$/;

// pg parses these types into JS values we do not want on the wire: keep timestamps as Date (serialized by
// JSON to ISO) and bigint counts as numbers.
pg.types.setTypeParser(20, (v) => Number(v));
pg.types.setTypeParser(pg.types.builtins.TIMESTAMPTZ, parseTimestamptz);

abstract class KyselyDb implements Db {
  abstract readonly kind: 'pglite' | 'postgres';

  constructor(readonly kysely: Kdb) {}

  abstract runScript(on: Kdb, script: string): Promise<void>;
  abstract listen(
    channel: string,
    cb: (payload: string) => void,
    onReconnect?: () => void,
  ): Promise<() => Promise<void>>;

  async close(): Promise<void> {
    await this.kysely.destroy();
  }
}

class PgDb extends KyselyDb {
  readonly kind = 'postgres' as const;

  constructor(private readonly pool: pg.Pool) {
    super(new Kysely<DB>({ dialect: new PostgresDialect({ pool }) }));
  }

  // Without parameters pg uses the simple query protocol, which accepts several statements.
  async runScript(on: Kdb, script: string): Promise<void> {
    await sql.raw(script).execute(on);
  }

  async listen(
    channel: string,
    cb: (payload: string) => void,
    onReconnect?: () => void,
  ): Promise<() => Promise<void>> {
    if (!channelName.test(channel)) throw new Error(`invalid channel name ${channel}`);
    let client: pg.Client | undefined;
    let stopped = false;
    let retry: NodeJS.Timeout | undefined;
    let delay = 500;
    const connect = async () => {
      const c = new pg.Client({ connectionString: this.pool.options.connectionString });
      c.on('notification', (m) => {
        if (m.channel === channel && m.payload !== undefined) cb(m.payload);
      });
      const lost = () => {
        if (client !== c || stopped) return;
        client = undefined;
        c.end().catch(() => undefined);
        retry = setTimeout(() => void reconnect(), delay);
        delay = Math.min(delay * 2, 30_000);
      };
      c.on('error', lost);
      c.on('end', lost);
      try {
        await c.connect();
        await c.query(`LISTEN ${channel}`);
      } catch (err) {
        await c.end().catch(() => undefined);
        throw err;
      }
      // Set only once listening, so a failure while connecting is handled by the caller, not by `lost`.
      if (stopped) await c.end().catch(() => undefined);
      else client = c;
      delay = 500;
    };
    const reconnect = async () => {
      if (stopped) return;
      try {
        await connect();
        // Notifications sent while the connection was down are gone for good: tell the caller to resync.
        if (!stopped) onReconnect?.();
      } catch {
        retry = setTimeout(() => void reconnect(), delay);
        delay = Math.min(delay * 2, 30_000);
      }
    };
    await connect();
    return async () => {
      stopped = true;
      clearTimeout(retry);
      const c = client;
      client = undefined;
      await c?.end().catch(() => undefined);
    };
  }
}

/**
 * PGlite is one connection. The dialect hands it to one Kysely connection at a time (a transaction holds it until
 * it ends), so everything that talks to PGlite directly (scripts, LISTEN, dumps) borrows that connection too:
 * otherwise it could run inside someone else's open transaction.
 */
class PgliteDb extends KyselyDb {
  readonly kind = 'pglite' as const;

  constructor(private readonly pg: PGlite) {
    super(new Kysely<DB>({ dialect: new PGliteDialect(pg) }));
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.kysely.connection().execute(fn);
  }

  async dump(): Promise<Blob> {
    return this.exclusive(async () => (await this.pg.dumpDataDir('none')) as Blob);
  }

  // PGlite's query() uses the extended protocol (one statement); exec() runs a script. Inside a transaction the
  // caller already holds the connection, so the script runs there directly.
  async runScript(on: Kdb, script: string): Promise<void> {
    if (on.isTransaction) await this.pg.exec(script);
    else await this.exclusive(() => this.pg.exec(script));
  }

  // In-process: the listener cannot lose its connection, so there is never a reconnect to report.
  async listen(channel: string, cb: (payload: string) => void): Promise<() => Promise<void>> {
    if (!channelName.test(channel)) throw new Error(`invalid channel name ${channel}`);
    const unlisten = await this.exclusive(() => this.pg.listen(channel, cb));
    return async () => {
      if (!this.pg.closed) await this.exclusive(() => unlisten()).catch(() => undefined);
    };
  }
}

export interface OpenDbOptions {
  databaseUrl?: string;
  /** Directory for PGlite data; undefined = in-memory (tests). */
  pgliteDir?: string;
  /** In-memory PGlite only: start from this data directory dump (see dumpPglite) instead of running initdb. */
  pgliteDump?: Blob;
}

export async function openDb(opts: OpenDbOptions): Promise<Db> {
  if (opts.databaseUrl) {
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: 10 });
    pool.on('error', () => undefined);
    await pool.query('select 1');
    return new PgDb(pool);
  }
  if (opts.pgliteDir) mkdirSync(path.dirname(opts.pgliteDir), { recursive: true });
  const db = opts.pgliteDir
    ? new PGlite(opts.pgliteDir)
    : new PGlite(opts.pgliteDump ? { loadDataDir: opts.pgliteDump } : {});
  await db.waitReady;
  return new PgliteDb(db);
}

/** A snapshot of an in-memory PGlite database, for openDb({ pgliteDump }) (tests start from a migrated one). */
export async function dumpPglite(db: Db): Promise<Blob> {
  if (!(db instanceof PgliteDb)) throw new Error('dumpPglite needs a PGlite database');
  return db.dump();
}

export function isPgError(err: unknown): err is { code: string; constraint?: string; detail?: string } {
  return (
    typeof err === 'object' &&
    err !== null &&
    typeof (err as { code?: unknown }).code === 'string' &&
    /^[0-9A-Z]{5}$/.test((err as { code: string }).code)
  );
}
