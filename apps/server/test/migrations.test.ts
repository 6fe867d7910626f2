import { afterEach, describe, expect, it } from 'vitest';
import { listMigrations, migrate } from '../src/db/migrate.ts';
import { openDb } from '../src/db/client.ts';
import { backends, freshDb } from './harness.ts';
import { sqlRows } from './sql.ts';

describe.each(backends)('migrations on %s', (backend) => {
  let drop: (() => Promise<void>) | undefined;
  afterEach(async () => drop?.());

  it('migrates an empty database, then re-runs as a no-op', async () => {
    const f = await freshDb(backend);
    drop = f.drop;
    const all = listMigrations().map((m) => m.version);
    expect(await migrate(f.db)).toEqual(all);
    expect(await migrate(f.db)).toEqual([]);
    const tables = await sqlRows<{ t: string }>(
      f.db,
      "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
    );
    expect(tables.map((r) => r.t)).toEqual(
      expect.arrayContaining(['hosts', 'interfaces', 'daemons', 'schema_migrations']),
    );
  });

  it('upgrades a database made by an earlier migration set without touching its data', async () => {
    const f = await freshDb(backend);
    drop = f.drop;
    const all = listMigrations();
    await migrate(f.db, all[0].version);
    await sqlRows(
      f.db,
      "INSERT INTO organizations (id, name) VALUES ('11111111-1111-4111-8111-111111111111', 'Kept')",
    );
    await migrate(f.db);
    expect(await sqlRows(f.db, 'SELECT name FROM organizations')).toEqual([{ name: 'Kept' }]);
    expect((await sqlRows(f.db, 'SELECT version FROM schema_migrations')).length).toBe(all.length);
  });
});

describe('migrations under concurrency', () => {
  it('lets two servers start on one PostgreSQL at once: the advisory lock applies each migration once', async () => {
    const f = await freshDb('postgres');
    try {
      const url = (f.db as unknown as { pool: { options: { connectionString: string } } }).pool.options
        .connectionString;
      const other = await openDb({ databaseUrl: url });
      const [a, b] = await Promise.all([migrate(f.db), migrate(other)]);
      await other.close();
      expect([...a, ...b].sort()).toEqual(listMigrations().map((m) => m.version));
    } finally {
      await f.drop();
    }
  });
});
