import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { entityEvent, type EntityEvent } from '../src/events/bus.ts';
import { buildApp } from '../src/app.ts';
import { testConfig } from '../src/config.ts';
import { openDb } from '../src/db/client.ts';
import { migrate } from '../src/db/migrate.ts';
import { backends, Client, freshDb, registerOwner, startTestServer, type TestServer } from './harness.ts';
import { listenLocal, SseClient } from './events-sse.helpers.ts';
import { inTransaction, sqlRows } from './sql.ts';

const wait = { timeout: 10_000, interval: 10 };
const cidrs = (() => {
  let n = 0;
  return () => `10.${Math.floor(++n / 250)}.${n % 250}.0/24`;
})();

describe.each(backends)('entity events and SSE on %s', (backend) => {
  let s: TestServer;
  let base: string;
  const seen: EntityEvent[] = [];

  beforeAll(async () => {
    s = await startTestServer(backend, { sseKeepAliveSeconds: 1 });
    s.app.bus.subscribe((e) => seen.push(e));
    base = await listenLocal(s.app);
  });
  afterAll(async () => s?.close());

  const eventFor = (id: string, operation: string) =>
    seen.find((e) => e.ids.includes(id) && e.operation === operation);

  it('publishes created, updated (with the changed fields) and deleted events for API writes', async () => {
    const { client, networkId, user } = await registerOwner(s.app);
    await vi.waitFor(() => expect(eventFor(networkId, 'created')).toBeDefined(), wait);
    expect(eventFor(networkId, 'created')).toMatchObject({
      entity: 'Network',
      ids: [networkId],
      network_ids: [networkId],
      organization_ids: [user.organization_id],
    });

    const subnet = await client.json('POST', '/api/v1/subnets', {
      network_id: networkId,
      cidr: cidrs(),
      name: 'lan',
      subnet_type: 'Lan',
    });
    await client.json('PUT', `/api/v1/subnets/${subnet.id}`, {
      cidr: subnet.cidr,
      name: 'renamed',
      subnet_type: 'Lan',
    });
    await client.json('DELETE', `/api/v1/subnets/${subnet.id}`);
    await vi.waitFor(() => expect(eventFor(subnet.id, 'deleted')).toBeDefined(), wait);

    const mine = seen.filter((e) => e.ids.includes(subnet.id));
    expect(mine.map((e) => e.operation)).toEqual(['created', 'updated', 'deleted']);
    for (const e of mine) {
      expect(e).toMatchObject({
        entity: 'Subnet',
        ids: [subnet.id],
        network_ids: [networkId],
        organization_ids: [user.organization_id],
        scopes: [{ network_id: networkId, organization_id: user.organization_id, ids: [subnet.id] }],
        suppress: false,
      });
    }
    expect(mine[1].changed_fields).toEqual(['name']);
  });

  it('publishes nothing for a rolled-back transaction', async () => {
    const { networkId } = await registerOwner(s.app);
    const rolledBack = randomUUID();
    const committed = randomUUID();
    const insert = `INSERT INTO subnets (id, network_id, cidr, name, subnet_type, source)
      VALUES ($1, $2, $3, 'x', 'Lan', '{"type":"Manual"}')`;
    await expect(
      inTransaction(s.db, async (tx) => {
        await sqlRows(tx, insert, [rolledBack, networkId, cidrs()]);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    await sqlRows(s.db, insert, [committed, networkId, cidrs()]);
    // Events arrive in commit order, so once the later write is seen the rolled-back one never will be.
    await vi.waitFor(() => expect(eventFor(committed, 'created')).toBeDefined(), wait);
    expect(seen.some((e) => e.ids.includes(rolledBack))).toBe(false);
  });

  it('flags heartbeat-only updates as suppressed, and the topology stream skips them', async () => {
    const { client, networkId, user } = await registerOwner(s.app);
    const daemonId = randomUUID();
    await sqlRows(s.db, 'INSERT INTO daemons (id, network_id, host_id, user_id) VALUES ($1, $2, $3, $4)', [
      daemonId,
      networkId,
      randomUUID(),
      user.id,
    ]);
    const stream = await SseClient.open(base, '/api/v1/topology/stream', {
      cookie: `session_id=${client.cookie}`,
    });
    expect(stream.status).toBe(200);
    expect(stream.res.headers['content-type']).toMatch(/^text\/event-stream/);

    await sqlRows(s.db, 'UPDATE daemons SET last_seen = now() WHERE id = $1', [daemonId]);
    await sqlRows(s.db, 'UPDATE daemons SET is_unreachable = true, last_seen = now() WHERE id = $1', [
      daemonId,
    ]);
    await vi.waitFor(() => expect(stream.messages.length).toBeGreaterThan(0), wait);

    const updates = seen.filter((e) => e.ids.includes(daemonId) && e.operation === 'updated');
    expect(updates.map((e) => [e.changed_fields, e.suppress])).toEqual([
      [['last_seen'], true],
      [['is_unreachable', 'last_seen'], false],
    ]);
    // The first (and only) message is the visible change: the heartbeat before it was skipped.
    expect(stream.messages).toEqual([
      { type: 'stale', network_id: networkId, entity: 'Daemon', operation: 'updated', ids: [daemonId] },
    ]);
    stream.close();
  });

  it('reports tag links as updates of the tagged entity and survives payloads over the NOTIFY limit', async () => {
    const { networkId, user } = await registerOwner(s.app);
    const hostId = randomUUID();
    const tagId = randomUUID();
    const daemonId = randomUUID();
    const sessionId = randomUUID();
    await sqlRows(
      s.db,
      `INSERT INTO hosts (id, network_id, name, source) VALUES ($1, $2, 'h', '{"type":"Manual"}')`,
      [hostId, networkId],
    );
    await sqlRows(s.db, `INSERT INTO tags (id, organization_id, name, color) VALUES ($1, $2, $3, 'Red')`, [
      tagId,
      user.organization_id,
      `t-${tagId}`,
    ]);
    await sqlRows(s.db, `INSERT INTO entity_tags (entity_id, entity_type, tag_id) VALUES ($1, 'Host', $2)`, [
      hostId,
      tagId,
    ]);
    await sqlRows(s.db, 'INSERT INTO daemons (id, network_id, host_id, user_id) VALUES ($1, $2, $3, $4)', [
      daemonId,
      networkId,
      hostId,
      user.id,
    ]);
    // ~11 KB of discovery_type: more than a NOTIFY payload may carry.
    const discoveryType = {
      type: 'Network',
      subnet_ids: Array.from({ length: 300 }, () => randomUUID()),
      host_naming_fallback: 'BestService',
    };
    await sqlRows(
      s.db,
      'INSERT INTO discovery_sessions (id, daemon_id, network_id, discovery_type) VALUES ($1, $2, $3, $4)',
      [sessionId, daemonId, networkId, JSON.stringify(discoveryType)],
    );
    await vi.waitFor(() => expect(eventFor(sessionId, 'created')).toBeDefined(), wait);
    expect(eventFor(sessionId, 'created')?.sessions).toMatchObject([
      { session_id: sessionId, phase: 'Pending', discovery_type: discoveryType },
    ]);
    expect(eventFor(hostId, 'updated')).toMatchObject({
      entity: 'Host',
      ids: [hostId],
      network_ids: [networkId],
      changed_fields: ['tags'],
    });
  });

  it('sends keep-alive comments on an idle stream', async () => {
    const { client } = await registerOwner(s.app);
    const stream = await SseClient.open(base, '/api/v1/topology/stream', {
      cookie: `session_id=${client.cookie}`,
    });
    await vi.waitFor(() => expect(stream.text).toContain(': keep-alive\n\n'), wait);
    stream.close();
  });

  it('streams discovery progress from the daemon protocol only to callers who can see the network', async () => {
    const a = await registerOwner(s.app);
    const b = await registerOwner(s.app);
    const streamA = await SseClient.open(base, '/api/v1/discovery/stream', {
      cookie: `session_id=${a.client.cookie}`,
    });
    const streamB = await SseClient.open(base, '/api/discovery/stream', {
      cookie: `session_id=${b.client.cookie}`,
    });
    expect([streamA.status, streamB.status]).toEqual([200, 200]);

    const { key } = await a.client.json('POST', '/api/v1/auth/daemon', {
      name: 'd1',
      network_id: a.networkId,
    });
    const daemonId = randomUUID();
    const d = new Client(s.app);
    d.headers = { authorization: `Bearer ${key}`, 'x-daemon-id': daemonId, 'x-daemon-version': '0.1.0' };
    await d.json('POST', '/api/daemons/register', {
      daemon_id: daemonId,
      network_id: a.networkId,
      name: 'lab-daemon',
      mode: 'daemon_poll',
      capabilities: { has_docker_socket: false, interfaced_subnet_ids: [] },
      user_id: null,
      version: '0.1.0',
    });
    const [work] = await d.json('POST', `/api/daemons/${daemonId}/request-work`, {
      name: 'lab-daemon',
      mode: 'daemon_poll',
    });
    await d.json('POST', `/api/v1/discovery/${work.session_id}/update`, {
      ...work,
      phase: 'Scanning',
      progress: 40,
    });

    await vi.waitFor(() => expect(streamA.messages.find((m) => m.phase === 'Scanning')).toBeDefined(), wait);
    expect(streamA.messages.find((m) => m.phase === 'Scanning')).toMatchObject({
      session_id: work.session_id,
      daemon_id: daemonId,
      network_id: a.networkId,
      progress: 40,
      discovery_type: work.discovery_type,
      error: null,
    });
    expect(streamA.messages.map((m) => m.phase)).toContain('Starting');

    // A's events are on the bus already; a marker for B's network arriving alone shows B never got A's.
    const session = {
      session_id: randomUUID(),
      daemon_id: randomUUID(),
      network_id: b.networkId,
      phase: 'Started',
      progress: 0,
      error: null,
      discovery_type: { type: 'SelfReport', host_id: randomUUID() },
      started_at: null,
      finished_at: null,
    };
    s.app.bus.publish(
      entityEvent(
        {
          entity: 'DiscoverySession',
          operation: 'updated',
          changed_fields: ['phase'],
          suppress: false,
          sessions: [session],
        },
        [{ network_id: b.networkId, organization_id: null, ids: [session.session_id] }],
      ),
    );
    await vi.waitFor(() => expect(streamB.messages.length).toBe(1), wait);
    expect(streamB.messages).toEqual([session]);
    expect(JSON.stringify(streamB.messages)).not.toContain(a.networkId);
    streamA.close();
    streamB.close();
  });

  it('carries entity staleness and session progress on the one combined stream', async () => {
    const { client, networkId, user } = await registerOwner(s.app);
    const stream = await SseClient.open(base, '/api/v1/events/stream', {
      cookie: `session_id=${client.cookie}`,
    });
    expect(stream.status).toBe(200);
    const subnet = await client.json('POST', '/api/v1/subnets', {
      network_id: networkId,
      cidr: cidrs(),
      name: 'lan',
      subnet_type: 'Lan',
    });
    const session = {
      session_id: randomUUID(),
      daemon_id: randomUUID(),
      network_id: networkId,
      phase: 'Scanning',
      progress: 40,
      error: null,
      started_at: null,
      finished_at: null,
    };
    s.app.bus.publish(
      entityEvent(
        {
          entity: 'DiscoverySession',
          operation: 'updated',
          changed_fields: ['progress'],
          suppress: false,
          sessions: [session],
        },
        [{ network_id: networkId, organization_id: user.organization_id, ids: [session.session_id] }],
      ),
    );
    await vi.waitFor(
      () => expect(stream.messages.some((m: { type: string }) => m.type === 'session')).toBe(true),
      wait,
    );
    expect(stream.messages).toContainEqual({
      type: 'stale',
      network_id: networkId,
      entity: 'Subnet',
      operation: 'created',
      ids: [subnet.id],
    });
    expect(stream.messages).toContainEqual({ type: 'session', session });
    stream.close();
  });

  it('enforces the stream access levels', async () => {
    const { client, networkId } = await registerOwner(s.app);
    const { key } = await client.json('POST', '/api/v1/auth/keys', { name: 'k', network_ids: [networkId] });
    const bearer = { authorization: `Bearer ${key}` };
    const anon = await s.app.inject({ method: 'GET', url: '/api/v1/topology/stream' });
    expect(anon.statusCode).toBe(401);
    expect((await s.app.inject({ method: 'GET', url: '/api/v1/discovery/stream' })).statusCode).toBe(401);
    // The topology stream is for browser sessions only; a user API key may follow discovery.
    const keyed = await s.app.inject({ method: 'GET', url: '/api/v1/topology/stream', headers: bearer });
    expect(keyed.statusCode).toBe(403);
    const discovery = await SseClient.open(base, '/api/v1/discovery/stream', bearer);
    expect(discovery.status).toBe(200);
    discovery.close();
    // Through inject too: the headers come first, the stream stays open.
    const res = await s.app.inject({
      method: 'GET',
      url: '/api/v1/topology/stream',
      headers: { cookie: `session_id=${client.cookie}` },
      payloadAsStream: true,
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    res.stream().destroy();
  });

  it('drops a client that stops reading instead of buffering for it', async () => {
    const { client, networkId } = await registerOwner(s.app);
    const before = s.app.bus.size;
    const port = new URL(base).port;
    const sock = net.connect(Number(port), '127.0.0.1');
    await new Promise<void>((r) => sock.once('connect', () => r()));
    sock.write(
      `GET /api/v1/topology/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: session_id=${client.cookie}\r\n\r\n`,
    );
    let head = '';
    await new Promise<void>((r) => {
      const onData = (c: Buffer) => {
        head += c.toString();
        if (head.includes(': connected')) {
          sock.off('data', onData);
          sock.pause();
          r();
        }
      };
      sock.on('data', onData);
    });
    expect(head).toMatch(/^HTTP\/1.1 200/);
    expect(s.app.bus.size).toBe(before + 1);
    // Far more than any socket buffer holds: the stream must give up on this reader long before the end.
    for (let i = 0; i < 1_000_000 && s.app.bus.size > before; i++) {
      s.app.bus.publish(
        entityEvent({ entity: 'Host', operation: 'updated', changed_fields: ['name'], suppress: false }, [
          { network_id: networkId, organization_id: null, ids: [randomUUID()] },
        ]),
      );
    }
    expect(s.app.bus.size).toBe(before);
    const closed = new Promise<void>((r) => sock.once('close', () => r()));
    sock.resume();
    await closed;
  });
});

describe('events across two server replicas on one PostgreSQL database', () => {
  it('delivers a write made through one replica to the other replica’s stream', async () => {
    const f = await freshDb('postgres');
    const url = (f.db as unknown as { pool: { options: { connectionString: string } } }).pool.options
      .connectionString;
    const db2 = await openDb({ databaseUrl: url });
    await migrate(f.db);
    const config = testConfig({ webDir: '/nonexistent' });
    const one = await buildApp({ config, db: f.db });
    const two = await buildApp({ config, db: db2 });
    try {
      await listenLocal(one);
      const base2 = await listenLocal(two);
      const { client, networkId } = await registerOwner(one);
      const stream = await SseClient.open(base2, '/api/v1/topology/stream', {
        cookie: `session_id=${client.cookie}`,
      });
      expect(stream.status).toBe(200);
      const subnet = await client.json('POST', '/api/v1/subnets', {
        network_id: networkId,
        cidr: '10.77.177.0/24',
        name: 'lan',
        subnet_type: 'Lan',
      });
      await vi.waitFor(() => expect(stream.messages.some((m) => m.ids.includes(subnet.id))).toBe(true), wait);
      expect(stream.messages.find((m) => m.ids.includes(subnet.id))).toEqual({
        type: 'stale',
        network_id: networkId,
        entity: 'Subnet',
        operation: 'created',
        ids: [subnet.id],
      });
      stream.close();
    } finally {
      await one.close();
      await two.close();
      await db2.close();
      await f.drop();
    }
  });
});

describe('events after the PostgreSQL listener loses its connection', () => {
  it('ends open streams so clients resync, then delivers new events on the reconnected listener', async () => {
    const s = await startTestServer('postgres');
    try {
      const base = await listenLocal(s.app);
      const { client, networkId } = await registerOwner(s.app);
      const cookie = { cookie: `session_id=${client.cookie}` };
      const before = await SseClient.open(base, '/api/v1/topology/stream', cookie);
      expect(before.status).toBe(200);
      // Kill the server's LISTEN connection from outside, as a database restart or a network cut would.
      const killed = await sqlRows<{ ok: boolean }>(
        s.db,
        `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
         WHERE datname = current_database() AND query ILIKE 'LISTEN %' AND pid <> pg_backend_pid()`,
      );
      expect(killed.length).toBeGreaterThan(0);
      await vi.waitFor(() => expect(before.ended).toBe(true), wait);

      const after = await SseClient.open(base, '/api/v1/topology/stream', cookie);
      const subnet = await client.json('POST', '/api/v1/subnets', {
        network_id: networkId,
        cidr: '10.77.178.0/24',
        name: 'after-reconnect',
        subnet_type: 'Lan',
      });
      await vi.waitFor(() => expect(after.messages.some((m) => m.ids.includes(subnet.id))).toBe(true), wait);
      after.close();
    } finally {
      await s.close();
    }
  });
});
