import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, startTestServer, type TestServer } from './harness.ts';
import { Seeder } from './fixtures/seed.ts';
import { buildOrg, call, data, type Org } from './fixtures/world.ts';
import { sqlRows } from './sql.ts';

describe.each(backends)('dashboard summary on %s', (backend) => {
  let s: TestServer;
  let A: Org;
  let B: Org;
  beforeAll(async () => {
    s = await startTestServer(backend);
    A = await buildOrg(s.app, s.db, 'A', { staff: true });
    B = await buildOrg(s.app, s.db, 'B');
  });
  afterAll(async () => s?.close());

  it("counts each visible network's inventory and lists its daemons and last finished discoveries", async () => {
    const net = await A.seed.network();
    const seed = new Seeder(s.db, A.orgId, net, A.owner.id);
    const daemon = await seed.daemon(); // adds the daemon's host
    await seed.host();
    await seed.service();
    await seed.subnet();
    const selfReport = JSON.stringify({ type: 'SelfReport', host_id: randomUUID() });
    // Finished sessions leave Historical discovery records; a configured (Scheduled) one is not a finished run.
    for (let i = 0; i < 12; i++) {
      const results = { session_id: randomUUID(), phase: 'Complete', progress: 100 };
      await sqlRows(
        s.db,
        `INSERT INTO discovery (id, network_id, daemon_id, name, discovery_type, run_type, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, now() - make_interval(mins => $7))`,
        [
          randomUUID(),
          net,
          daemon,
          `run ${i}`,
          selfReport,
          JSON.stringify({ type: 'Historical', results }),
          i,
        ],
      );
    }
    await sqlRows(
      s.db,
      `INSERT INTO discovery (id, network_id, daemon_id, name, discovery_type, run_type) VALUES ($1, $2, $3, 'nightly', $4, $5)`,
      [
        randomUUID(),
        net,
        daemon,
        selfReport,
        JSON.stringify({ type: 'Scheduled', cron_schedule: '0 0 3 * * *', enabled: true }),
      ],
    );

    const summary = await data(call(s.app, A.sessions.Owner!, 'GET', '/api/v1/dashboard/summary'));
    expect(summary.networks.find((n: { id: string }) => n.id === net)).toMatchObject({
      host_count: 3,
      service_count: 1,
      subnet_count: 1,
      daemon_count: 1,
    });
    expect(summary.daemons.map((d: { id: string }) => d.id)).toEqual([daemon]);
    expect(summary.daemons[0].version_status).toBeDefined();
    expect(summary.recent_discoveries.map((r: { name: string }) => r.name)).toEqual(
      Array.from({ length: 10 }, (_, i) => `run ${i}`),
    );
    expect(summary.recent_discoveries[0].run_type.type).toBe('Historical');
    // Plan usage counts the whole organization (the hosts above, the owner and three staff); no limits self-hosted.
    expect(summary.plan_usage).toEqual({
      host_count: 3,
      network_count: 2,
      seat_count: 4,
      host_limit: null,
      network_limit: null,
      seat_limit: null,
    });

    // A Viewer sees the networks granted to them; another org sees none of this.
    const hidden = await sqlRows<{ id: string }>(
      s.db,
      `INSERT INTO networks (id, organization_id, name) VALUES ($1, $2, 'ungranted') RETURNING id`,
      [randomUUID(), A.orgId],
    );
    const viewer = await data(call(s.app, A.sessions.Viewer!, 'GET', '/api/v1/dashboard/summary'));
    expect(viewer.networks.map((n: { id: string }) => n.id).sort()).toEqual([A.networkId, net].sort());
    expect(viewer.networks.map((n: { id: string }) => n.id)).not.toContain(hidden[0].id);
    const other = await data(call(s.app, B.sessions.Owner!, 'GET', '/api/v1/dashboard/summary'));
    expect(other.networks.map((n: { id: string }) => n.id)).toEqual([B.networkId]);
    expect(other.daemons).toEqual([]);
    expect(
      (await call(s.app, { label: 'anon', kind: 'anon', headers: {} }, 'GET', '/api/v1/dashboard/summary'))
        .statusCode,
    ).toBe(401);
  });
});
