import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, startTestServer, type TestServer } from './harness.ts';
import { Seeder } from './fixtures/seed.ts';
import { buildOrg, call, data, type Actor, type Org } from './fixtures/world.ts';
import { sqlRows } from './sql.ts';

describe.each(backends)('discovery configurations on %s', (backend) => {
  let s: TestServer;
  let A: Org;
  let B: Org;
  let owner: Actor;
  let daemonId: string;
  let hostId: string;
  beforeAll(async () => {
    s = await startTestServer(backend);
    A = await buildOrg(s.app, s.db, 'A');
    B = await buildOrg(s.app, s.db, 'B');
    owner = A.sessions.Owner!;
    daemonId = await A.seed.daemon();
    [{ host_id: hostId }] = await sqlRows<{ host_id: string }>(
      s.db,
      'SELECT host_id FROM daemons WHERE id = $1',
      [daemonId],
    );
  });
  afterAll(async () => s?.close());

  const body = (extra: Record<string, unknown> = {}) => ({
    name: 'Nightly',
    network_id: A.networkId,
    daemon_id: daemonId,
    discovery_type: { type: 'SelfReport', host_id: hostId },
    run_type: { type: 'Scheduled', cron_schedule: '0 0 3 * * *', enabled: true, timezone: 'Europe/Berlin' },
    ...extra,
  });

  it('creates, reads, lists by daemon, updates, exports and deletes a configuration', async () => {
    const subnet = await A.seed.subnet();
    const tag = await A.seed.tag();
    const created = await data(
      call(
        s.app,
        owner,
        'POST',
        '/api/v1/discovery',
        body({
          tags: [tag],
          discovery_type: { type: 'Network', subnet_ids: [subnet], host_naming_fallback: 'BestService' },
        }),
      ),
    );
    expect(created).toMatchObject({
      name: 'Nightly',
      daemon_id: daemonId,
      network_id: A.networkId,
      discovery_type: { type: 'Network', subnet_ids: [subnet] },
      run_type: { type: 'Scheduled', cron_schedule: '0 0 3 * * *', enabled: true, timezone: 'Europe/Berlin' },
      tags: [tag],
    });
    expect(await data(call(s.app, owner, 'GET', `/api/v1/discovery/${created.id}`))).toEqual(created);

    const other = await A.seed.discovery();
    const byDaemon = await data(call(s.app, owner, 'GET', `/api/v1/discovery?daemon_id=${daemonId}`));
    expect(byDaemon.map((d: { id: string }) => d.id)).toEqual([created.id]);
    const all = await data(call(s.app, owner, 'GET', `/api/discovery?network_id=${A.networkId}`));
    expect(all.map((d: { id: string }) => d.id).sort()).toEqual([created.id, other].sort());

    const updated = await data(
      call(
        s.app,
        owner,
        'PUT',
        `/api/v1/discovery/${created.id}`,
        body({ name: 'Once', run_type: { type: 'AdHoc' } }),
      ),
    );
    expect(updated).toMatchObject({ name: 'Once', run_type: { type: 'AdHoc' }, tags: [] });

    const csv = await call(s.app, owner, 'GET', `/api/v1/discovery/export/csv?daemon_id=${daemonId}`);
    expect(csv.headers['content-disposition']).toBe('attachment; filename="Discoveries.csv"');
    const lines = csv.body.trim().split(/\r?\n/);
    expect(lines[0]).toBe('id,name,discovery_type,run_type,daemon_id,network_id,created_at,updated_at');
    expect(lines.slice(1).map((l) => l.split(',').slice(0, 4))).toEqual([
      [created.id, 'Once', 'SelfReport', 'AdHoc'],
    ]);

    await data(call(s.app, owner, 'DELETE', `/api/v1/discovery/${created.id}`));
    expect((await call(s.app, owner, 'GET', `/api/v1/discovery/${created.id}`)).statusCode).toBe(404);
  });

  it('refuses Historical run types, and daemons, hosts or subnets of another network, with 400', async () => {
    const historical = { type: 'Historical', results: {} };
    const res = await call(s.app, owner, 'POST', '/api/v1/discovery', body({ run_type: historical }));
    expect(res.statusCode).toBe(400);
    const net2 = await A.seed.network();
    const seed2 = new Seeder(s.db, A.orgId, net2, A.owner.id);
    const foreignDaemon = await seed2.daemon();
    const foreignSubnet = await seed2.subnet();
    const cases = [
      body({ daemon_id: foreignDaemon }),
      body({ discovery_type: { type: 'Docker', host_id: await seed2.host(), host_naming_fallback: 'Ip' } }),
      body({ discovery_type: { type: 'Network', subnet_ids: [foreignSubnet], host_naming_fallback: 'Ip' } }),
      body({ run_type: { type: 'Scheduled', enabled: true } }),
    ];
    for (const b of cases)
      expect((await call(s.app, owner, 'POST', '/api/v1/discovery', b)).statusCode).toBe(400);

    const stored = await A.seed.discovery();
    await sqlRows(
      s.db,
      `UPDATE discovery SET run_type = '{"type":"Historical","results":{}}' WHERE id = $1`,
      [stored],
    );
    const edit = await call(s.app, owner, 'PUT', `/api/v1/discovery/${stored}`, body());
    expect(edit.statusCode).toBe(400);
    const overwrite = await call(
      s.app,
      owner,
      'PUT',
      `/api/v1/discovery/${stored}`,
      body({ run_type: historical }),
    );
    expect(overwrite.statusCode).toBe(400);
  });

  it("hides another org's configurations", async () => {
    const id = await A.seed.discovery();
    const other = B.sessions.Owner!;
    expect((await call(s.app, other, 'GET', `/api/v1/discovery/${id}`)).statusCode).toBe(404);
    expect((await call(s.app, other, 'PUT', `/api/v1/discovery/${id}`, body())).statusCode).toBe(404);
    expect((await call(s.app, other, 'DELETE', `/api/v1/discovery/${id}`)).statusCode).toBe(404);
    expect(await data(call(s.app, other, 'GET', '/api/v1/discovery'))).toEqual([]);
  });
});
