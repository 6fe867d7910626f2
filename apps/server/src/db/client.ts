import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

/** The one database interface the server uses; the same SQL runs on PGlite and PostgreSQL. */
export interface Db extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Runs fn in a transaction; rolls back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
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

class PgDb implements Db {
  readonly kind = 'postgres' as const;
  constructor(private readonly pool: pg.Pool) {}

  async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    const res = await this.pool.query(sql, params);
    return res.rows as T[];
  }

  async exec(sql: string): Promise<void> {
    await this.pool.query(sql);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const tx: Queryable = {
        query: async <R>(sql: string, params: unknown[] = []) =>
          (await client.query(sql, params)).rows as R[],
        // Without parameters pg uses the simple protocol, which accepts several statements.
        exec: async (sql: string) => {
          await client.query(sql);
        },
      };
      const out = await fn(tx);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
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

  async close(): Promise<void> {
    await this.pool.end();
  }
}

class PgliteDb implements Db {
  readonly kind = 'pglite' as const;
  /** PGlite is single-connection: transactions are serialized so a query never lands inside another's transaction. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly pg: PGlite) {}

  async dump(): Promise<Blob> {
    return this.serial(async () => (await this.pg.dumpDataDir('none')) as Blob);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return this.serial(async () => (await this.pg.query<T>(sql, params)).rows);
  }

  exec(sql: string): Promise<void> {
    return this.serial(async () => {
      await this.pg.exec(sql);
    });
  }

  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.serial(() =>
      this.pg.transaction(async (t) => {
        const tx: Queryable = {
          query: async <R>(sql: string, params: unknown[] = []) => (await t.query<R>(sql, params)).rows,
          exec: async (sql: string) => {
            await t.exec(sql);
          },
        };
        return fn(tx);
      }),
    );
  }

  // In-process: the listener cannot lose its connection, so there is never a reconnect to report.
  async listen(channel: string, cb: (payload: string) => void): Promise<() => Promise<void>> {
    if (!channelName.test(channel)) throw new Error(`invalid channel name ${channel}`);
    const unlisten = await this.serial(() => this.pg.listen(channel, cb));
    return async () => {
      if (!this.pg.closed) await this.serial(() => unlisten()).catch(() => undefined);
    };
  }

  async close(): Promise<void> {
    await this.chain;
    await this.pg.close();
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
