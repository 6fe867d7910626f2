import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
}

/** The one database interface the server uses; the same SQL runs on PGlite and PostgreSQL. */
export interface Db extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Runs fn in a transaction; rolls back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

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

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const tx: Queryable = {
        query: async <R>(sql: string, params: unknown[] = []) =>
          (await client.query(sql, params)).rows as R[],
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

  async close(): Promise<void> {
    await this.pool.end();
  }
}

class PgliteDb implements Db {
  readonly kind = 'pglite' as const;
  /** PGlite is single-connection: transactions are serialized so a query never lands inside another's transaction. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly pg: PGlite) {}

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return this.serial(async () => (await this.pg.query<T>(sql, params)).rows);
  }

  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.serial(() =>
      this.pg.transaction(async (t) => {
        const tx: Queryable = {
          query: async <R>(sql: string, params: unknown[] = []) => (await t.query<R>(sql, params)).rows,
        };
        return fn(tx);
      }),
    );
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
}

export async function openDb(opts: OpenDbOptions): Promise<Db> {
  if (opts.databaseUrl) {
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: 10 });
    pool.on('error', () => undefined);
    await pool.query('select 1');
    return new PgDb(pool);
  }
  if (opts.pgliteDir) mkdirSync(path.dirname(opts.pgliteDir), { recursive: true });
  const db = opts.pgliteDir ? new PGlite(opts.pgliteDir) : new PGlite();
  await db.waitReady;
  return new PgliteDb(db);
}

export function isPgError(err: unknown): err is { code: string; constraint?: string; detail?: string } {
  return (
    typeof err === 'object' &&
    err !== null &&
    typeof (err as { code?: unknown }).code === 'string' &&
    /^[0-9A-Z]{5}$/.test((err as { code: string }).code)
  );
}
