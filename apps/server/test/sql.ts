import { CompiledQuery } from 'kysely';
import type { Db, Kdb } from '../src/db/client.ts';

/**
 * Raw SQL for tests, fixtures and benchmarks, which check and seed the database directly. Server code never uses
 * these: its SQL lives in repositories, written with Kysely.
 */
export async function sqlRows<T = Record<string, unknown>>(
  on: Db | Kdb,
  text: string,
  params: unknown[] = [],
): Promise<T[]> {
  const k = isDb(on) ? on.kysely : on;
  return (await k.executeQuery<T>(CompiledQuery.raw(text, params))).rows as T[];
}

/** Runs a parameterless script of several statements. */
export function sqlScript(db: Db, script: string): Promise<void> {
  return db.runScript(db.kysely, script);
}

/** Runs fn in one transaction (rolled back when it throws); sqlRows(trx, ...) runs in it. */
export function inTransaction<T>(db: Db, fn: (trx: Kdb) => Promise<T>): Promise<T> {
  return db.kysely.transaction().execute(fn);
}

function isDb(on: Db | Kdb): on is Db {
  return 'runScript' in on;
}
