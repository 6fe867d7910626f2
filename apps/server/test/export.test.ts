import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import yauzl from 'yauzl';
import { backends, resetDb, startTestServer, type TestServer } from './harness.ts';
import { routeTable, type RouteInfo } from './fixtures/routes.ts';
import { entityKinds, Seeder } from './fixtures/seed.ts';
import { buildOrg, call, createDaemon, createUserKey, type Actor, type Org } from './fixtures/world.ts';
import { sqlRows } from './sql.ts';

type Rec = Record<string, string>;

/** The plural display names the reference uses for the downloaded files (api-model.md §4.4). */
const fileNames: Record<string, string> = {
  hosts: 'Hosts',
  interfaces: 'Interfaces',
  // v0.17 names of interfaces and groups (reference-0.17-delta.md).
  'ip-addresses': 'IP Addresses',
  ports: 'Ports',
  services: 'Services',
  bindings: 'Bindings',
  subnets: 'Subnets',
  tags: 'Tags',
  daemons: 'Daemons',
  networks: 'Networks',
  'auth/daemon': 'Daemon API Keys',
  'auth/keys': 'User API Keys',
  groups: 'Groups',
  dependencies: 'Dependencies',
  discovery: 'Discoveries',
  topology: 'Topologies',
  shares: 'Shares',
  users: 'Users',
};

const hostColumns = [
  'id',
  'name',
  'hostname',
  'description',
  'network_id',
  'source',
  'hidden',
  'created_at',
  'updated_at',
];

function parseCsv(text: string): { header: string[]; rows: Rec[] } {
  const all = parse(text) as string[][];
  const [header, ...data] = all;
  return { header, rows: data.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]]))) };
}

function unzip(buf: Buffer): Promise<Map<string, string>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buf, { lazyEntries: true }, (err, zip) => {
      if (err) return reject(err);
      const files = new Map<string, string>();
      zip.on('entry', (e: yauzl.Entry) => {
        zip.openReadStream(e, (err2, s) => {
          if (err2) return reject(err2);
          const chunks: Buffer[] = [];
          s.on('data', (c: Buffer) => chunks.push(c));
          s.on('end', () => {
            files.set(e.fileName, Buffer.concat(chunks).toString('utf8'));
            zip.readEntry();
          });
        });
      });
      zip.on('end', () => resolve(files));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

describe.each(backends)('CSV and ZIP export on %s', (backend) => {
  let s: TestServer;
  let A: Org;
  let B: Org;
  let owner: Actor;
  let exports: RouteInfo[];

  beforeAll(async () => {
    s = await startTestServer(backend);
    exports = routeTable(s.app).filter((r) => /^export_.*_csv$/.test(r.operationId) && !r.alias);
  });
  afterAll(async () => s?.close());
  beforeEach(async () => {
    await resetDb(s.db);
    A = await buildOrg(s.app, s.db, 'A');
    B = await buildOrg(s.app, s.db, 'B');
    owner = A.sessions.Owner!;
  });

  const listPath = (r: RouteInfo) => r.path.replace(/\/export\/csv$/, '');

  async function exportCsv(url: string, actor = owner) {
    const res = await call(s.app, actor, 'GET', url);
    if (res.statusCode !== 200) throw new Error(`GET ${url} → ${res.statusCode} ${res.body}`);
    return { res, ...parseCsv(res.body) };
  }
  async function listIds(url: string, actor = owner): Promise<string[]> {
    const res = await call(s.app, actor, 'GET', `${url}${url.includes('?') ? '&' : '?'}limit=0`);
    if (res.statusCode !== 200) throw new Error(`GET ${url} → ${res.statusCode} ${res.body}`);
    return res.json<{ data: { id: string }[] }>().data.map((d) => d.id);
  }

  /** Three of every kind in A's first network, two in a second network of A, two of every kind in org B. */
  async function seedWorld() {
    const net2 = await A.seed.network();
    const seed2 = new Seeder(s.db, A.orgId, net2, A.owner.id);
    for (const kind of entityKinds) {
      for (let i = 0; i < 3; i++) await A.seed.fresh(kind, A.owner.id);
      if (kind !== 'networks' && kind !== 'tags') {
        for (let i = 0; i < 2; i++) await seed2.fresh(kind, A.owner.id);
      }
      for (let i = 0; i < 2; i++) await B.seed.fresh(kind, B.owner.id);
    }
    // Keys minted through the API, so a plaintext key exists that must not appear in any export.
    await createUserKey(s.app, owner, { name: 'minted', permissions: 'Viewer', network_ids: [A.networkId] });
    await createDaemon(s.app, owner, A.networkId);
    return { net2, seed2 };
  }

  it('exports every listed entity with the list’s rows, its columns and no secrets', async () => {
    await seedWorld();
    const exported = exports.map((r) => r.path.replace('/api/v1/', '').replace('/export/csv', ''));
    // Every entity that lists gets an export; a new one must say here which file name it downloads as.
    expect(exported).toEqual(expect.arrayContaining(Object.keys(fileNames)));
    expect(exported.filter((k) => !fileNames[k])).toEqual([]);
    const bIds = new Set<string>();
    for (const r of exports) {
      const other = await listIds(listPath(r), B.sessions.Owner!);
      other.forEach((id) => bIds.add(id));
    }
    for (const r of exports) {
      const kind = r.path.replace('/api/v1/', '').replace('/export/csv', '');
      const { res, header, rows } = await exportCsv(r.path);
      expect(res.headers['content-type'], r.path).toBe('text/csv; charset=utf-8');
      expect(res.headers['content-disposition'], r.path).toBe(
        `attachment; filename="${fileNames[kind]}.csv"`,
      );
      const ids = rows.map((x) => x.id);
      expect(ids.length, r.path).toBeGreaterThan(0);
      // Same rows in the same (creation) order as the unpaged list.
      expect(ids, r.path).toEqual(await listIds(listPath(r)));
      expect(
        ids.filter((id) => bIds.has(id)),
        r.path,
      ).toEqual([]);
      expect(
        header.filter((h) => /^(key|key_hash|password_hash|password)$/.test(h)),
        r.path,
      ).toEqual([]);
      for (const row of rows) {
        for (const v of Object.values(row)) expect(v.startsWith('scp_'), `${r.path} ${v}`).toBe(false);
        expect(row.created_at, r.path).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      }
    }
    const hosts = await exportCsv('/api/v1/hosts/export/csv');
    expect(hosts.header).toEqual(hostColumns);
    expect(hosts.rows[0]).toMatchObject({ source: 'Manual', hidden: 'false' });
  });

  it('honours the list’s filters and ignores paging', async () => {
    const { net2 } = await seedWorld();
    const tag = await A.seed.tag();
    const [h1] = await listIds(`/api/v1/hosts?network_id=${A.networkId}`);
    await sqlRows(s.db, `INSERT INTO entity_tags (entity_id, entity_type, tag_id) VALUES ($1, 'Host', $2)`, [
      h1,
      tag,
    ]);
    let checked = 0;
    for (const r of exports) {
      const all = await listIds(listPath(r));
      const variants: string[] = ['limit=1&offset=1&order_by=name&order_direction=desc'];
      if (r.queryParams.includes('network_id')) {
        variants.push(`network_id=${A.networkId}`, `network_id=${net2}`, `network_id=${B.networkId}`);
      }
      if (r.queryParams.includes('ids') && all.length >= 3) variants.push(`ids=${all[0]}&ids=${all[2]}`);
      if (r.queryParams.includes('tag_ids')) variants.push(`tag_ids=${tag}`);
      if (r.queryParams.includes('host_id')) {
        const [host] = await listIds(`/api/v1/hosts?network_id=${net2}`);
        variants.push(`host_id=${host}`);
      }
      for (const v of variants) {
        const { rows } = await exportCsv(`${r.path}?${v}`);
        // Paging and ordering do not apply to exports, so the list is asked for everything in default order.
        const listed = v.startsWith('limit=') ? all : await listIds(`${listPath(r)}?${v}`);
        expect(
          rows.map((x) => x.id),
          `${r.path}?${v}`,
        ).toEqual(listed);
        if (v.startsWith(`network_id=${B.networkId}`)) expect(rows, `${r.path}?${v}`).toEqual([]);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(30);
    expect((await exportCsv(`/api/v1/hosts/export/csv?tag_ids=${tag}`)).rows.map((x) => x.id)).toEqual([h1]);
  });

  it('quotes names with commas, quotes and newlines so they parse back unchanged', async () => {
    const names = ['plain', 'a, b', 'say "hi"', 'line1\nline2', '"', ',\r\n"x"'];
    for (const name of names) await A.seed.host(A.networkId, name);
    await sqlRows(s.db, `UPDATE hosts SET description = 'semi;colon, "and" more' WHERE name = 'a, b'`);
    const { rows } = await exportCsv('/api/v1/hosts/export/csv');
    expect(rows.map((r) => r.name).sort()).toEqual([...names].sort());
    expect(rows.find((r) => r.name === 'a, b')!.description).toBe('semi;colon, "and" more');
    // Empty values (null description) stay empty rather than becoming "null".
    expect(rows.find((r) => r.name === 'plain')!.description).toBe('');
  });

  it('crosses keyset batches without gaps or repeats when many rows share a timestamp', async () => {
    // One statement: every row gets the same now(), so only the id orders them across the 1000-row batches.
    await sqlRows(
      s.db,
      `INSERT INTO hosts (id, network_id, name, source)
       SELECT gen_random_uuid(), $1, 'h' || i, '{"type":"Manual"}' FROM generate_series(1, 2500) AS i`,
      [A.networkId],
    );
    const { rows } = await exportCsv('/api/v1/hosts/export/csv');
    expect(rows).toHaveLength(2500);
    expect(rows.map((r) => r.id)).toEqual(await listIds('/api/v1/hosts'));
  });

  it('writes the header row even when nothing matches', async () => {
    const res = await call(s.app, owner, 'GET', `/api/v1/hosts/export/csv?network_id=${B.networkId}`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe(`${hostColumns.join(',')}\n`);
  });

  it('zips the selected hosts with their children', async () => {
    const { seed2 } = await seedWorld();
    const tag = await A.seed.tag();
    const tagged = await A.seed.host();
    await A.seed.iface(tagged);
    await A.seed.port(tagged);
    await A.seed.service(tagged);
    await sqlRows(s.db, `INSERT INTO entity_tags (entity_id, entity_type, tag_id) VALUES ($1, 'Host', $2)`, [
      tagged,
      tag,
    ]);
    const other = await seed2.host();
    await seed2.iface(other);

    const get = async (q: string) => {
      const res = await s.app.inject({
        method: 'GET',
        url: `/api/v1/hosts/export/zip${q}`,
        headers: owner.headers,
      });
      expect(res.statusCode, res.body.slice(0, 200)).toBe(200);
      expect(res.headers['content-type']).toBe('application/zip');
      expect(res.headers['content-disposition']).toBe('attachment; filename="hosts-export.zip"');
      const files = await unzip(res.rawPayload);
      expect([...files.keys()]).toEqual([
        'hosts.csv',
        'interfaces.csv',
        'ports.csv',
        'services.csv',
        'if_entries.csv',
      ]);
      return Object.fromEntries([...files].map(([k, v]) => [k, parseCsv(v)]));
    };

    const all = await get(`?network_id=${A.networkId}`);
    const hostIds = all['hosts.csv'].rows.map((r) => r.id);
    expect(hostIds).toEqual(await listIds(`/api/v1/hosts?network_id=${A.networkId}`));
    expect(all['hosts.csv'].header).toEqual(hostColumns);
    for (const kind of ['interfaces', 'ports', 'services']) {
      const { rows } = all[`${kind}.csv`];
      expect(
        rows.every((r) => hostIds.includes(r.host_id)),
        kind,
      ).toBe(true);
      expect(
        rows.map((r) => r.id),
        kind,
      ).toEqual(await listIds(`/api/v1/${kind}?network_id=${A.networkId}`));
    }
    expect(all['if_entries.csv'].rows).toEqual([]);
    expect(all['if_entries.csv'].header).toContain('lldp_chassis_id');
    expect(all['if_entries.csv'].header).toHaveLength(26);

    const byTag = await get(`?tag_ids=${tag}`);
    expect(byTag['hosts.csv'].rows.map((r) => r.id)).toEqual([tagged]);
    for (const kind of ['interfaces', 'ports', 'services']) {
      const rows = byTag[`${kind}.csv`].rows;
      expect(rows, kind).toHaveLength(1);
      expect(rows[0].host_id, kind).toBe(tagged);
    }

    // Another org's network selects nothing, and nothing of B leaks.
    const foreign = await get(`?network_id=${B.networkId}`);
    for (const f of Object.values(foreign)) expect(f.rows).toEqual([]);
  });
});
