import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../src/app.ts';
import { repoRoot, testConfig } from '../src/config.ts';
import { openDb, type Db } from '../src/db/client.ts';
import { DiscoveryLoop } from '../src/discovery/discovery-loop.ts';
import { createServices } from '../src/services.ts';
import { nextRun, ScheduleError } from '../src/discovery/schedule.ts';
import {
  ADMIN_URL,
  backends,
  Client,
  registerOwner,
  resetDb,
  startTestServer,
  type Backend,
  type TestServer,
} from './harness.ts';
import { listenLocal, SseClient } from './events-sse.helpers.ts';
import { sqlRows } from './sql.ts';

const STALL = 300;

/** The discovery loop as main.ts runs it, ticked by hand; server_poll retries shortened for loopback. */
function loopOf(app: FastifyInstance, db: Db) {
  const services = createServices({
    config: testConfig({
      webDir: '/nonexistent',
      schedulerIntervalSeconds: 10,
      discoveryStallSeconds: STALL,
    }),
    db,
    log: app.log,
    serverPoll: { attempts: 2, backoffInitialMs: 20, backoffMaxMs: 50, timeoutMs: 5000, holdSeconds: 0 },
  });
  return new DiscoveryLoop(services);
}

type Owner = Awaited<ReturnType<typeof registerOwner>>;

/** A daemon_poll daemon registered over the protocol with its own key; registration queues its self-report. */
async function daemonOf(s: TestServer, owner: Owner) {
  const { key } = await owner.client.json('POST', '/api/v1/auth/daemon', {
    name: `key-${randomUUID().slice(0, 6)}`,
    network_id: owner.networkId,
  });
  const daemonId = randomUUID();
  const d = new Client(s.app);
  d.headers = { authorization: `Bearer ${key}`, 'x-daemon-id': daemonId, 'x-daemon-version': '0.1.0' };
  const reg = await d.json('POST', '/api/daemons/register', {
    daemon_id: daemonId,
    network_id: owner.networkId,
    name: 'lab-daemon',
    mode: 'daemon_poll',
    capabilities: { has_docker_socket: false, interfaced_subnet_ids: [] },
    user_id: null,
    version: '0.1.0',
  });
  const jobs = await owner.client.json<{ id: string; discovery_type: { type: string } }[]>(
    'GET',
    `/api/v1/discovery?daemon_id=${daemonId}`,
  );
  const selfReport = jobs.find((j) => j.discovery_type.type === 'SelfReport')!;
  const requestWork = () =>
    d.json<[Record<string, unknown> | null, boolean]>('POST', `/api/daemons/${daemonId}/request-work`, {
      name: 'lab-daemon',
      mode: 'daemon_poll',
    });
  const report = (work: Record<string, unknown>, phase: string, progress: number) =>
    d.json('POST', `/api/v1/discovery/${String(work.session_id)}/update`, {
      session_id: work.session_id,
      daemon_id: daemonId,
      network_id: owner.networkId,
      discovery_type: work.discovery_type,
      phase,
      progress,
    });
  return { d, daemonId, hostId: reg.host_id as string, selfReportId: selfReport.id, requestWork, report };
}

async function dockerDiscovery(owner: Owner, daemonId: string, hostId: string, runType: object) {
  return owner.client.json('POST', '/api/v1/discovery', {
    name: `docker-${randomUUID().slice(0, 6)}`,
    network_id: owner.networkId,
    daemon_id: daemonId,
    discovery_type: { type: 'Docker', host_id: hostId, host_naming_fallback: 'BestService' },
    run_type: runType,
    tags: [],
  });
}

async function sessionRow(db: Db, id: string) {
  const [row] = await sqlRows<{
    phase: string;
    progress: number;
    error: string | null;
    cancel_requested: boolean;
  }>(db, 'SELECT phase, progress, error, cancel_requested FROM discovery_sessions WHERE id = $1', [id]);
  return row;
}

async function historyOf(db: Db, sessionId: string) {
  return sqlRows<{ name: string; run_type: { results: Record<string, unknown> } }>(
    db,
    `SELECT name, run_type FROM discovery WHERE run_type->>'type' = 'Historical'
     AND run_type->'results'->>'session_id' = $1`,
    [sessionId],
  );
}

const parisClock = (d: Date) =>
  new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Europe/Paris',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).format(d);

/** A second server on the same database, as another replica or the same server after a restart. */
async function replicaOf(
  s: TestServer,
  backend: Backend,
): Promise<{ app: FastifyInstance; db: Db; close: () => Promise<void> }> {
  let db = s.db;
  if (backend === 'postgres') {
    const [{ name }] = await sqlRows<{ name: string }>(s.db, 'SELECT current_database() AS name');
    const url = new URL(ADMIN_URL);
    url.pathname = `/${name}`;
    db = await openDb({ databaseUrl: url.toString() });
  }
  const app = await buildApp({ config: testConfig({ webDir: '/nonexistent' }), db, logger: false });
  await app.ready();
  return {
    app,
    db,
    close: async () => {
      await app.close();
      if (db !== s.db) await db.close();
    },
  };
}

describe('discovery schedules: cron in an IANA time zone', () => {
  it('computes 09:00 Europe/Paris as 08:00 UTC in winter, 07:00 UTC in summer and across the DST switch', () => {
    const nine = '0 0 9 * * *';
    expect(nextRun(nine, 'Europe/Paris', new Date('2026-01-15T10:00:00Z'))?.toISOString()).toBe(
      '2026-01-16T08:00:00.000Z',
    );
    expect(nextRun(nine, 'Europe/Paris', new Date('2026-07-15T06:59:59Z'))?.toISOString()).toBe(
      '2026-07-15T07:00:00.000Z',
    );
    // Clocks go forward on 2026-03-29: the day before is still UTC+1, that morning already UTC+2.
    expect(nextRun(nine, 'Europe/Paris', new Date('2026-03-28T07:59:00Z'))?.toISOString()).toBe(
      '2026-03-28T08:00:00.000Z',
    );
    expect(nextRun(nine, 'Europe/Paris', new Date('2026-03-28T08:00:00Z'))?.toISOString()).toBe(
      '2026-03-29T07:00:00.000Z',
    );
    // The reference's default weekly job (Sundays 00:00 UTC), a 5-field expression, and no zone meaning UTC.
    expect(nextRun('0 0 0 * * 0', 'UTC', new Date('2026-01-15T10:00:00Z'))?.toISOString()).toBe(
      '2026-01-18T00:00:00.000Z',
    );
    expect(nextRun('30 9 * * 1', null, new Date('2026-01-15T10:00:00Z'))?.toISOString()).toBe(
      '2026-01-19T09:30:00.000Z',
    );
    for (const [cron, tz] of [
      ['0 0 9 * * *', 'Mars/Olympus'],
      ['0 0 9 * * *', '+02:00'],
      ['every day', 'UTC'],
      ['2030-01-01T00:00:00', 'UTC'],
      ['0 0 25 * * *', 'UTC'],
    ]) {
      expect(() => nextRun(cron, tz, new Date()), `${cron} ${tz}`).toThrow(ScheduleError);
    }
  });
});

describe.each(backends)('discovery sessions on %s', (backend) => {
  let s: TestServer;
  let base: string;
  beforeAll(async () => {
    s = await startTestServer(backend);
    base = await listenLocal(s.app);
  });
  afterAll(async () => s?.close());
  beforeEach(async () => resetDb(s.db));

  it('runs a session from start-session to Complete: streamed, listed while active, then kept as history', async () => {
    const owner = await registerOwner(s.app);
    const other = await registerOwner(s.app);
    const stream = await SseClient.open(base, '/api/v1/discovery/stream', {
      cookie: `session_id=${owner.client.cookie}`,
    });
    const dm = await daemonOf(s, owner);

    // Registration queued the self-report; starting it again returns that session instead of a second one.
    const started = await owner.client.json('POST', '/api/v1/discovery/start-session', dm.selfReportId);
    expect(started).toMatchObject({ phase: 'Pending', daemon_id: dm.daemonId, progress: 0 });
    const again = await owner.client.json('POST', '/api/v1/discovery/start-session', dm.selfReportId);
    expect(again.session_id).toBe(started.session_id);
    const sid = started.session_id as string;
    const active = await owner.client.json<{ session_id: string }[]>(
      'GET',
      '/api/v1/discovery/active-sessions',
    );
    expect(active.map((a) => a.session_id)).toEqual([sid]);
    expect(await other.client.json('GET', '/api/v1/discovery/active-sessions')).toEqual([]);

    const [work, cancel] = await dm.requestWork();
    expect(cancel).toBe(false);
    expect(work).toMatchObject({ session_id: sid, phase: 'Starting' });
    for (const [phase, progress] of [
      ['Started', 0],
      ['Scanning', 40],
      ['Scanning', 80],
      ['Complete', 100],
    ] as const) {
      await dm.report(work!, phase, progress);
    }
    const ofSession = () =>
      stream.messages.filter((m: { session_id: string }) => m.session_id === sid) as {
        phase: string;
        progress: number;
      }[];
    await vi.waitFor(() => expect(ofSession().at(-1)?.phase).toBe('Complete'), { timeout: 10_000 });
    expect(ofSession().map((m) => `${m.phase} ${m.progress}`)).toEqual([
      'Pending 0',
      'Starting 0',
      'Started 0',
      'Scanning 40',
      'Scanning 80',
      'Complete 100',
    ]);
    stream.close();

    expect(await owner.client.json('GET', '/api/v1/discovery/active-sessions')).toEqual([]);
    const discoveries = await owner.client.json<
      { id: string; name: string; run_type: Record<string, unknown> }[]
    >('GET', '/api/v1/discovery');
    const config = discoveries.find((x) => x.id === dm.selfReportId)!;
    expect(config.run_type.type).toBe('AdHoc');
    expect(config.run_type.last_run).toEqual(expect.any(String));
    const history = discoveries.filter((x) => x.run_type.type === 'Historical');
    expect(history).toHaveLength(1);
    expect(history[0].name).toBe(config.name);
    expect(history[0].run_type.results).toMatchObject({ session_id: sid, phase: 'Complete', progress: 100 });
    expect((history[0].run_type.results as { finished_at: string }).finished_at).toEqual(expect.any(String));

    // History is read-only, unknown and other organizations' discoveries are not found, the body is a UUID.
    const historical = await owner.client.req('POST', '/api/v1/discovery/start-session', history[0].id);
    expect(historical.statusCode).toBe(400);
    expect(historical.json().code).toBe('discovery_historical_read_only');
    const edit = await owner.client.req('PUT', `/api/v1/discovery/${history[0].id}`, {
      name: 'x',
      network_id: owner.networkId,
      daemon_id: dm.daemonId,
      discovery_type: { type: 'SelfReport', host_id: dm.hostId },
      run_type: { type: 'AdHoc' },
    });
    expect(edit.json().code).toBe('discovery_historical_read_only');
    expect((await owner.client.req('POST', '/api/v1/discovery/start-session', randomUUID())).statusCode).toBe(
      404,
    );
    expect(
      (await other.client.req('POST', '/api/v1/discovery/start-session', dm.selfReportId)).statusCode,
    ).toBe(404);
    expect((await owner.client.req('POST', '/api/v1/discovery/start-session', 'nope')).statusCode).toBe(400);
  });

  it('never shows SNMP communities on the discovery stream, only to the daemon', async () => {
    const owner = await registerOwner(s.app);
    const dm = await daemonOf(s, owner);
    const stream = await SseClient.open(base, '/api/v1/discovery/stream', {
      cookie: `session_id=${owner.client.cookie}`,
    });
    const job = await owner.client.json('POST', '/api/v1/discovery', {
      name: 'snmp sweep',
      network_id: owner.networkId,
      daemon_id: dm.daemonId,
      discovery_type: {
        type: 'Network',
        subnet_ids: null,
        host_naming_fallback: 'Ip',
        snmp_credentials: { default_credential: { version: 'V2c', community: 'sekrit-community' } },
      },
      run_type: { type: 'AdHoc', last_run: null },
      tags: [],
    });
    const started = await owner.client.json('POST', '/api/v1/discovery/start-session', job.id);
    await vi.waitFor(
      () => expect(stream.messages.some((m) => m.session_id === started.session_id)).toBe(true),
      { timeout: 10_000, interval: 20 },
    );
    stream.close();
    expect(stream.text).not.toContain('sekrit-community');
    expect(stream.text).toContain('********');
  });

  it('cancels a Pending session at once and a running one through the daemon', async () => {
    const owner = await registerOwner(s.app);
    const other = await registerOwner(s.app);
    const dm = await daemonOf(s, owner);
    const docker = await dockerDiscovery(owner, dm.daemonId, dm.hostId, { type: 'AdHoc' });
    const queued = await owner.client.json('POST', '/api/v1/discovery/start-session', docker.id);

    // As in the reference, cancel answers data: null; the session row tells what happened.
    expect(await owner.client.json('POST', `/api/v1/discovery/${queued.session_id}/cancel`)).toBeNull();
    expect(await sessionRow(s.db, queued.session_id)).toMatchObject({ phase: 'Cancelled' });
    expect(await historyOf(s.db, queued.session_id)).toHaveLength(1);
    // The list filters by run type: jobs without the history, or the history alone.
    const types = async (q: string) =>
      (
        await owner.client.json<{ run_type: { type: string } }[]>(
          'GET',
          `/api/v1/discovery?network_id=${owner.networkId}&${q}`,
        )
      )
        .map((d) => d.run_type.type)
        .sort();
    expect(await types('run_type=Historical')).toEqual(['Historical']);
    expect(await types('run_type=AdHoc&run_type=Scheduled')).toEqual(['AdHoc', 'AdHoc', 'AdHoc']);
    expect((await owner.client.req('GET', '/api/v1/discovery?run_type=Sometimes')).statusCode).toBe(400);

    // The self-report is handed out and started; cancelling it asks the daemon, who confirms.
    const [work] = await dm.requestWork();
    expect(work?.discovery_type).toMatchObject({ type: 'SelfReport' });
    await dm.report(work!, 'Started', 0);
    const sid = String(work!.session_id);
    // Another organization cannot touch it, and learns nothing about it.
    expect(await other.client.json('POST', `/api/v1/discovery/${sid}/cancel`)).toBeNull();
    expect((await sessionRow(s.db, sid)).cancel_requested).toBe(false);

    expect(await owner.client.json('POST', `/api/v1/discovery/${sid}/cancel`)).toBeNull();
    expect(await sessionRow(s.db, sid)).toMatchObject({ phase: 'Started', cancel_requested: true });
    // The daemon is told on every poll until it confirms, and gets no new work meanwhile.
    expect(await dm.requestWork()).toEqual([null, true]);
    expect(await dm.requestWork()).toEqual([null, true]);
    await dm.report(work!, 'Cancelled', 0);
    expect(await sessionRow(s.db, sid)).toMatchObject({ phase: 'Cancelled', cancel_requested: false });
    expect(await dm.requestWork()).toEqual([null, false]);
    expect(await historyOf(s.db, sid)).toHaveLength(1);

    // Cancel is idempotent: a finished session stays as it is, an unknown one changes nothing.
    expect(await owner.client.json('POST', `/api/v1/discovery/${sid}/cancel`)).toBeNull();
    expect(await sessionRow(s.db, sid)).toMatchObject({ phase: 'Cancelled' });
    expect(await owner.client.json('POST', `/api/v1/discovery/${randomUUID()}/cancel`)).toBeNull();
    expect(await historyOf(s.db, sid)).toHaveLength(1);
  });

  it('fires a due schedule once with two servers ticking at the same time, at 09:00 Paris time', async () => {
    const owner = await registerOwner(s.app);
    const dm = await daemonOf(s, owner);
    const refused = await owner.client.req('POST', '/api/v1/discovery', {
      name: 'bad zone',
      network_id: owner.networkId,
      daemon_id: dm.daemonId,
      discovery_type: { type: 'SelfReport', host_id: dm.hostId },
      run_type: {
        type: 'Scheduled',
        cron_schedule: '0 0 9 * * *',
        enabled: true,
        timezone: 'Europe/Atlantis',
      },
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error).toContain('Europe/Atlantis');
    const schedule = {
      type: 'Scheduled',
      cron_schedule: '0 0 9 * * *',
      enabled: true,
      timezone: 'Europe/Paris',
    };
    const docker = await dockerDiscovery(owner, dm.daemonId, dm.hostId, schedule);
    const nextAt = async () =>
      (
        await sqlRows<{ next_run_at: Date | null }>(s.db, 'SELECT next_run_at FROM discovery WHERE id = $1', [
          docker.id,
        ])
      )[0].next_run_at;
    const planned = (await nextAt())!;
    expect(parisClock(planned)).toBe('09:00:00');
    expect(planned.getTime()).toBeGreaterThan(Date.now());
    expect(planned.getTime() - Date.now()).toBeLessThanOrEqual(24 * 3600_000);

    const replica = await replicaOf(s, backend);
    try {
      const loops = [loopOf(s.app, s.db), loopOf(replica.app, replica.db)];
      await sqlRows(s.db, `UPDATE discovery SET next_run_at = now() - interval '1 second' WHERE id = $1`, [
        docker.id,
      ]);
      const results = await Promise.all(loops.map((l) => l.tick()));
      const fired = results.flatMap((r) => r.fired);
      expect(fired).toHaveLength(1);
      expect(fired[0]).toMatchObject({ discovery_id: docker.id, created: true });
      const sessions = await sqlRows(s.db, 'SELECT id FROM discovery_sessions WHERE discovery_id = $1', [
        docker.id,
      ]);
      expect(sessions).toHaveLength(1);
      const moved = (await nextAt())!;
      expect(parisClock(moved)).toBe('09:00:00');
      expect(moved.getTime()).toBeGreaterThan(Date.now());
      const [cfg] = await sqlRows<{ run_type: { last_run: string | null } }>(
        s.db,
        'SELECT run_type FROM discovery WHERE id = $1',
        [docker.id],
      );
      expect(cfg.run_type.last_run).toEqual(expect.any(String));

      // Nothing due: nothing fires. Due again while the last run is still queued: skipped, not doubled.
      expect((await Promise.all(loops.map((l) => l.tick()))).flatMap((r) => r.fired)).toEqual([]);
      await sqlRows(s.db, `UPDATE discovery SET next_run_at = now() - interval '1 second' WHERE id = $1`, [
        docker.id,
      ]);
      const overlap = (await Promise.all(loops.map((l) => l.tick()))).flatMap((r) => r.fired);
      expect(overlap).toEqual([expect.objectContaining({ created: false })]);
      expect(
        await sqlRows(s.db, 'SELECT id FROM discovery_sessions WHERE discovery_id = $1', [docker.id]),
      ).toHaveLength(1);

      // Disabling clears the due time.
      await owner.client.json('PUT', `/api/v1/discovery/${docker.id}`, {
        name: docker.name,
        network_id: owner.networkId,
        daemon_id: dm.daemonId,
        discovery_type: docker.discovery_type,
        run_type: { ...schedule, enabled: false },
      });
      expect(await nextAt()).toBeNull();
    } finally {
      await replica.close();
    }
  });

  it('fails a running session whose daemon went silent, and tells the daemon if it comes back', async () => {
    const owner = await registerOwner(s.app);
    const dm = await daemonOf(s, owner);
    const loop = loopOf(s.app, s.db);
    const [work] = await dm.requestWork();
    const sid = String(work!.session_id);
    await dm.report(work!, 'Scanning', 10);
    const docker = await dockerDiscovery(owner, dm.daemonId, dm.hostId, { type: 'AdHoc' });
    const queued = await owner.client.json('POST', '/api/v1/discovery/start-session', docker.id);
    expect((await loop.tick()).stalled).toEqual([]);

    const age = () =>
      sqlRows(
        s.db,
        `UPDATE discovery_sessions SET last_activity_at = now() - make_interval(secs => $1), created_at = now() - interval '1 day'`,
        [STALL + 1],
      );
    // No progress report for a long while, but the daemon still polls: it is alive, the session stays.
    await age();
    expect(await dm.requestWork()).toEqual([null, false]);
    expect((await loop.tick()).stalled).toEqual([]);

    // Silent for longer than the stall timeout; a queued session waits for its daemon however long.
    await age();
    const { stalled } = await loop.tick();
    expect(stalled.map((r) => r.id)).toEqual([sid]);
    const row = await sessionRow(s.db, sid);
    expect(row.phase).toBe('Failed');
    expect(row.error).toContain('stalled');
    expect((await historyOf(s.db, sid))[0].run_type.results).toMatchObject({ phase: 'Failed' });
    expect((await sessionRow(s.db, queued.session_id)).phase).toBe('Pending');

    // The daemon was alive after all: its late report changes nothing, and its next poll tells it to stop first.
    await dm.report(work!, 'Scanning', 50);
    expect((await sessionRow(s.db, sid)).phase).toBe('Failed');
    expect(await dm.requestWork()).toEqual([null, true]);
    const [next, cancel] = await dm.requestWork();
    expect(cancel).toBe(false);
    expect(next?.session_id).toBe(queued.session_id);
  });

  it('checks sessions left running at boot: server downtime is forgiven, restarted daemons fail theirs', async () => {
    const owner = await registerOwner(s.app);
    const [d1, d2, d3] = [await daemonOf(s, owner), await daemonOf(s, owner), await daemonOf(s, owner)];
    const [w1] = await d1.requestWork();
    await d1.report(w1!, 'Scanning', 30);
    const [w2] = await d2.requestWork();
    await d2.report(w2!, 'Scanning', 30);
    const [w3] = await d3.requestWork(); // dispatched, not yet started
    await loopOf(s.app, s.db).tick();

    // The server went down 10 minutes ago. d1 and d3 were heard from just before; d2 had been silent for 400 s.
    await sqlRows(
      s.db,
      `UPDATE server_state SET value = jsonb_build_object('ticked_at', now() - interval '600 seconds')
       WHERE key = 'discovery_loop'`,
    );
    await sqlRows(
      s.db,
      `UPDATE discovery_sessions SET last_activity_at = now() - make_interval(secs => CASE id WHEN $1 THEN 1000 ELSE 600 END)
       WHERE phase IN ('Starting', 'Started', 'Scanning')`,
      [w2!.session_id],
    );

    const restarted = await replicaOf(s, backend);
    const loop = loopOf(restarted.app, restarted.db);
    try {
      const boot = await loop.start();
      expect(boot.forgivenSeconds).toBeGreaterThanOrEqual(590);
      expect(boot.stalled.map((r) => r.id)).toEqual([w2!.session_id]);
      expect((await sessionRow(s.db, String(w1!.session_id))).phase).toBe('Scanning');
      expect((await sessionRow(s.db, String(w3!.session_id))).phase).toBe('Starting');

      // d1 carries on to the end; d3 restarted meanwhile, and its startup call closes what it had been given.
      await d1.report(w1!, 'Complete', 100);
      expect((await sessionRow(s.db, String(w1!.session_id))).phase).toBe('Complete');
      await d3.d.json('POST', `/api/daemons/${d3.daemonId}/startup`, { daemon_version: '0.1.0' });
      const r3 = await sessionRow(s.db, String(w3!.session_id));
      expect(r3.phase).toBe('Failed');
      expect(r3.error).toContain('restarted');
    } finally {
      await loop.stop();
      await restarted.close();
    }
  });

  it("keeps a server_poll daemon's stored key current when the key is rotated, and no other key in clear", async () => {
    const owner = await registerOwner(s.app);
    const { daemon } = await owner.client.json(
      'POST',
      '/api/v1/daemons/provision',
      { name: 'dmz2', network_id: owner.networkId, url: 'http://127.0.0.1:9/' },
      201,
    );
    const [{ api_key_id: keyId }] = await sqlRows<{ api_key_id: string }>(
      s.db,
      'SELECT api_key_id FROM daemons WHERE id = $1',
      [daemon.id],
    );
    const rotated = await owner.client.json<string>('POST', `/api/v1/auth/daemon/${keyId}/rotate`);
    const plain = async (id: string) =>
      (
        await sqlRows<{ p: string | null }>(s.db, 'SELECT plaintext_key AS p FROM api_keys WHERE id = $1', [
          id,
        ])
      )[0].p;
    expect(await plain(keyId)).toBe(rotated);
    const {
      api_key: { id: otherId },
    } = await owner.client.json('POST', '/api/v1/auth/daemon', {
      name: 'poll-key',
      network_id: owner.networkId,
    });
    await owner.client.json('POST', `/api/v1/auth/daemon/${otherId}/rotate`);
    expect(await plain(otherId)).toBeNull();
  });

  it('polls a real server_poll daemon on loopback through a whole self-report, then marks it unreachable', async () => {
    const owner = await registerOwner(s.app);
    const port = await freePort();
    const bad = await owner.client.req('POST', '/api/v1/daemons/provision', {
      name: 'dmz',
      network_id: owner.networkId,
      url: 'ftp://127.0.0.1/',
    });
    expect(bad.statusCode).toBe(400);
    const { daemon, daemon_api_key: key } = await owner.client.json(
      'POST',
      '/api/v1/daemons/provision',
      { name: 'dmz', network_id: owner.networkId, url: `http://127.0.0.1:${port}/` },
      201,
    );
    expect(daemon).toMatchObject({ mode: 'server_poll', last_seen: null, url: `http://127.0.0.1:${port}` });
    expect(key).toMatch(/^scp_d_/);

    const dir = mkdtempSync(path.join(os.tmpdir(), 'scanopy-dmz-'));
    const child = spawnDaemon(dir, port, key as string, owner.networkId);
    const loop = loopOf(s.app, s.db);
    try {
      await vi.waitFor(
        async () => expect((await fetch(`http://127.0.0.1:${port}/api/health`)).status).toBe(200),
        { timeout: 20_000, interval: 100 },
      );
      const anonymous = await fetch(`http://127.0.0.1:${port}/api/status`);
      expect(anonymous.status).toBe(401);
      const wrongKey = await fetch(`http://127.0.0.1:${port}/api/poll`, {
        headers: { authorization: 'Bearer scp_d_wrong' },
      });
      expect(wrongKey.status).toBe(401);

      // First contact hands the daemon its id; its self-report is queued and dispatched, then polled to the end.
      expect((await loop.tick()).polled).toBe(1);
      const [row] = await sqlRows<{ last_seen: Date | null; version: string | null }>(
        s.db,
        'SELECT last_seen, version FROM daemons WHERE id = $1',
        [daemon.id],
      );
      expect(row.last_seen).not.toBeNull();
      expect(JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')).id).toBe(daemon.id);
      const phase = async () =>
        (
          await sqlRows<{ id: string; phase: string }>(
            s.db,
            'SELECT id, phase FROM discovery_sessions WHERE daemon_id = $1',
            [daemon.id],
          )
        )[0];
      expect((await phase()).phase).toBe('Starting');
      await vi.waitFor(
        async () => {
          await loop.tick();
          expect((await phase()).phase).toBe('Complete');
        },
        { timeout: 30_000, interval: 50 },
      );
      const host = await owner.client.json('GET', `/api/v1/hosts/${daemon.host_id}`);
      expect(host.services.map((x: { name: string }) => x.name)).toContain('Scanopy Daemon');
      expect((await historyOf(s.db, (await phase()).id))[0].run_type.results).toMatchObject({
        phase: 'Complete',
      });

      // The daemon goes away: after its retries the server marks it unreachable and stops polling it.
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      await loop.tick();
      const unreachable = async () =>
        (
          await sqlRows<{ u: boolean }>(s.db, 'SELECT is_unreachable AS u FROM daemons WHERE id = $1', [
            daemon.id,
          ])
        )[0].u;
      expect(await unreachable()).toBe(true);
      expect((await loop.tick()).polled).toBe(0);
      await owner.client.json('POST', `/api/v1/daemons/${daemon.id}/retry-connection`);
      expect(await unreachable()).toBe(false);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * The real daemon program in server_poll mode on loopback. It reports only loopback (`lo`, which self-report skips)
 * and no Docker socket, so nothing about this machine's networks leaves it.
 */
function spawnDaemon(dir: string, port: number, key: string, networkId: string): ChildProcess {
  const env: NodeJS.ProcessEnv = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('SCANOPY_')),
  );
  Object.assign(env, {
    SCANOPY_MODE: 'server_poll',
    SCANOPY_DAEMON_API_KEY: key,
    SCANOPY_NETWORK_ID: networkId,
    SCANOPY_DAEMON_PORT: String(port),
    SCANOPY_BIND_ADDRESS: '127.0.0.1',
    SCANOPY_CONFIG_PATH: dir,
    SCANOPY_NAME: 'dmz-daemon',
    SCANOPY_INTERFACES: 'lo',
    SCANOPY_DOCKER_SOCKET: path.join(dir, 'no-docker.sock'),
    SCANOPY_LOG_LEVEL: process.env.TEST_LOG ?? 'error',
  });
  return spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'apps/daemon/src/main.ts')], {
    env,
    cwd: repoRoot,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}
