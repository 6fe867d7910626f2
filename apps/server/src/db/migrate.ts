import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import type { Db } from './client.ts';

const migrationsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');
/** Any constant works; it only has to be the same for every replica of this server. */
const MIGRATION_LOCK_ID = 7_206_072;

export function listMigrations(): { version: string; sql: string }[] {
  return readdirSync(migrationsDir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((f) => ({
      version: f.replace(/\.sql$/, ''),
      sql: readFileSync(path.join(migrationsDir, f), 'utf8'),
    }));
}

/**
 * Applies pending forward-only migrations in one transaction under an advisory lock, so replicas starting together
 * never race. Returns the versions applied now.
 */
export async function migrate(db: Db, upTo?: string): Promise<string[]> {
  return db.kysely.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_ID})`.execute(trx);
    // Created by hand: the one table that exists before any migration has run.
    await sql`CREATE TABLE IF NOT EXISTS schema_migrations (
      version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`.execute(trx);
    const { rows } = await sql<{ version: string }>`SELECT version FROM schema_migrations`.execute(trx);
    const done = new Set(rows.map((r) => r.version));
    const applied: string[] = [];
    for (const m of listMigrations()) {
      if (upTo && m.version > upTo) break;
      if (done.has(m.version)) continue;
      try {
        // The whole file runs as one script, so function bodies with semicolons need no special care.
        await db.runScript(trx, m.sql);
      } catch (err) {
        throw new Error(`migration ${m.version} failed: ${(err as Error).message}`, { cause: err });
      }
      await sql`INSERT INTO schema_migrations (version) VALUES (${m.version})`.execute(trx);
      applied.push(m.version);
    }
    return applied;
  });
}
