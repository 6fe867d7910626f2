import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, startTestServer, type TestServer } from './harness.ts';
import { Seeder } from './fixtures/seed.ts';
import { buildOrg, call, data, type Org } from './fixtures/world.ts';

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

  it("counts each visible network's inventory and lists its daemons and last finished sessions", async () => {
    const net = await A.seed.network();
    const seed = new Seeder(s.db, A.orgId, net, A.owner.id);
    const daemon = await seed.daemon(); // adds the daemon's host
    await seed.host();
    await seed.service();
    await seed.subnet();
    const selfReport = JSON.stringify({ type: 'SelfReport', host_id: randomUUID() });
    for (let i = 0; i < 12; i++) {
      await s.db.query(
        `INSERT INTO discovery_sessions (id, daemon_id, network_id, discovery_type, phase, progress, finished_at)
         VALUES ($1, $2, $3, $4, 'Complete', 100, now() - make_interval(mins => $5))`,
        [randomUUID(), daemon, net, selfReport, i],
      );
    }
    await s.db.query(
      `INSERT INTO discovery_sessions (id, daemon_id, network_id, discovery_type, phase) VALUES ($1, $2, $3, $4, 'Scanning')`,
      [randomUUID(), daemon, net, selfReport],
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
    expect(summary.recent_discoveries).toHaveLength(10);
    const finished = summary.recent_discoveries.map((r: { finished_at: string }) =>
      Date.parse(r.finished_at),
    );
    expect(finished).toEqual([...finished].sort((a, b) => b - a));
    expect(summary.recent_discoveries.every((r: { phase: string }) => r.phase === 'Complete')).toBe(true);

    // A Viewer sees the networks granted to them; another org sees none of this.
    const hidden = await s.db.query<{ id: string }>(
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
