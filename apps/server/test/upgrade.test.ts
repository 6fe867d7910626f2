import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { testConfig } from '../src/config.ts';
import type { Db } from '../src/db/client.ts';
import { listMigrations, migrate } from '../src/db/migrate.ts';
import { Api, injectTransport } from './fixtures/api-world.ts';
import { backends, freshDb, type Backend } from './harness.ts';
import { sqlRows, sqlScript } from './sql.ts';

/**
 * Upgrades from released databases. Each directory under fixtures/releases/ is one release, made by
 * scripts/snapshot-release.ts (apps/server/README.md, "Upgrade fixtures"): its migrations copied verbatim, the data
 * its own server wrote through its API (data.sql), and what that server answered (world.json).
 */
const releasesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/releases');
const releases = readdirSync(releasesDir).sort();

interface Snapshot {
  version: string;
  password: string;
  owner: { id: string; email: string };
  member: { id: string; email: string };
  organization_id: string;
  open_invite_id: string;
  daemon: { id: string; key_id: string; key: string; host_id: string };
  user_key: { id: string; key: string };
  /** GET responses (`data`) of the release, by URL. */
  api: Record<string, unknown>;
}

/** Fields the server computes per request from the clock or its own version, so they are not data that survives. */
const derived: Record<string, string[]> = {
  '/api/v1/daemons': ['is_unreachable', 'version_status'],
};

type Row = Record<string, unknown>;

/** What changed between the release's answer and ours: missing entities, and stored fields with other values. */
/**
 * Whether `now` still says everything `old` said: the same scalars, arrays of the same length whose items still say
 * what they said, objects with every old key. Fields a later version adds (e.g. a binding's v0.17 ip_address_id) are
 * additions a client can ignore, not differences.
 */
function stillSays(old: unknown, now: unknown): boolean {
  if (Array.isArray(old)) {
    return Array.isArray(now) && old.length === now.length && old.every((x, i) => stillSays(x, now[i]));
  }
  if (old && typeof old === 'object') {
    if (!now || typeof now !== 'object' || Array.isArray(now)) return false;
    return Object.entries(old).every(([k, v]) => stillSays(v, (now as Row)[k]));
  }
  return JSON.stringify(old) === JSON.stringify(now);
}

function differences(url: string, before: unknown, after: unknown): string[] {
  const skip = new Set(derived[url] ?? []);
  const compare = (label: string, old: Row, now: Row | undefined): string[] => {
    if (!now) return [`${url}: ${label} is gone`];
    return Object.keys(old)
      .filter((k) => !skip.has(k) && !stillSays(old[k], now[k]))
      .map((k) => `${url}: ${label}.${k} was ${JSON.stringify(old[k])}, now ${JSON.stringify(now[k])}`);
  };
  if (!Array.isArray(before)) return compare('the object', before as Row, after as Row);
  const byId = new Map((after as Row[]).map((r) => [r.id, r]));
  return (before as Row[]).flatMap((old) => compare(String(old.id), old, byId.get(old.id)));
}

const tableNames = async (db: Db) =>
  (
    await sqlRows<{ t: string }>(
      db,
      "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
    )
  ).map((r) => r.t);

describe.each(releases.flatMap((r) => backends.map((b) => [r, b] as [string, Backend])))(
  'upgrade from %s on %s',
  (release, backend) => {
    const dir = path.join(releasesDir, release);
    const snap = JSON.parse(readFileSync(path.join(dir, 'world.json'), 'utf8')) as Snapshot;
    const shipped = readdirSync(path.join(dir, 'migrations'))
      .filter((f) => f.endsWith('.sql'))
      .sort()
      .map((f) => ({
        version: f.replace(/\.sql$/, ''),
        sql: readFileSync(path.join(dir, 'migrations', f), 'utf8'),
      }));
    let db: Db;
    let drop: () => Promise<void>;
    let app: FastifyInstance;
    let applied: string[];
    let before: { tables: string[]; counts: Record<string, number> };

    beforeAll(async () => {
      ({ db, drop } = await freshDb(backend));
      // The release's database: its schema, the migration table as its migrate() made it, then its rows.
      for (const m of shipped) await sqlScript(db, m.sql);
      await sqlScript(
        db,
        'CREATE TABLE schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
      );
      await sqlScript(db, readFileSync(path.join(dir, 'data.sql'), 'utf8'));
      const tables = await tableNames(db);
      const counts: Record<string, number> = {};
      for (const t of tables) {
        counts[t] = (await sqlRows<{ n: number }>(db, `SELECT count(*)::int AS n FROM ${t}`))[0].n;
      }
      before = { tables, counts };
      applied = await migrate(db);
      app = await buildApp({ config: testConfig({ webDir: '/nonexistent' }), db, logger: false });
      await app.ready();
    });
    afterAll(async () => {
      await app?.close();
      await drop?.();
    });

    it('kept the shipped migrations unchanged and applied exactly the later ones', async () => {
      const current = new Map(listMigrations().map((m) => [m.version, m.sql]));
      for (const m of shipped) {
        expect(current.get(m.version), `${m.version} was edited after ${release} shipped it`).toBe(m.sql);
      }
      const shippedVersions = new Set(shipped.map((m) => m.version));
      const later = listMigrations().filter((m) => !shippedVersions.has(m.version));
      expect(applied).toEqual(later.map((m) => m.version));
      // Tables the later migrations create now exist; none existed before.
      const created = later.flatMap((m) =>
        [...m.sql.matchAll(/CREATE TABLE (?:IF NOT EXISTS )?(\w+)/gi)].map((x) => x[1].toLowerCase()),
      );
      const now = await tableNames(db);
      for (const t of created) {
        expect(before.tables, t).not.toContain(t);
        expect(now, t).toContain(t);
      }
      // No rows of the release's tables were lost.
      for (const t of before.tables) {
        const [{ n }] = await sqlRows<{ n: number }>(db, `SELECT count(*)::int AS n FROM ${t}`);
        expect(n, t).toBeGreaterThanOrEqual(before.counts[t]);
      }
    });

    it("logs the release's users in with their passwords and lists their data with the same ids and values", async () => {
      const send = injectTransport(app);
      const owner = new Api(send);
      const me = await owner.data<{ id: string }>('POST', '/api/auth/login', {
        email: snap.owner.email,
        password: snap.password,
      });
      expect(me.id).toBe(snap.owner.id);
      const member = new Api(send);
      expect(
        (
          await member.data<{ id: string }>('POST', '/api/auth/login', {
            email: snap.member.email,
            password: snap.password,
          })
        ).id,
      ).toBe(snap.member.id);

      const problems: string[] = [];
      for (const [url, old] of Object.entries(snap.api)) {
        problems.push(...differences(url, old, await owner.data('GET', url)));
      }
      expect(problems).toEqual([]);
      expect(Object.keys(snap.api).length).toBeGreaterThanOrEqual(10);
      // Invites expire, so the release's open invite is checked as a row rather than through the list.
      expect(await sqlRows(db, 'SELECT id FROM invites WHERE id = $1', [snap.open_invite_id])).toHaveLength(
        1,
      );
    });

    it("accepts the release's daemon key for a work poll and its user API key for reads", async () => {
      const send = injectTransport(app);
      const daemon = new Api(send, {
        authorization: `Bearer ${snap.daemon.key}`,
        'x-daemon-id': snap.daemon.id,
        'x-daemon-version': snap.version.replace(/^v/, ''),
      });
      const work = await daemon.req('POST', `/api/daemons/${snap.daemon.id}/request-work`, {
        name: 'release-daemon',
        mode: 'daemon_poll',
      });
      expect(work.status, work.text).toBe(200);
      const key = new Api(send, { authorization: `Bearer ${snap.user_key.key}` });
      const hosts = await key.data<{ id: string }[]>('GET', '/api/v1/hosts');
      expect(hosts.map((h) => h.id)).toContain(snap.daemon.host_id);
    });
  },
);
