import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { EntityEvent } from '../src/events/bus.ts';
import { EVENTS_CHANNEL } from '../src/events/events.plugin.ts';
import { backends, Client, registerOwner, startTestServer, type TestServer } from './harness.ts';
import { listenLocal, SseClient } from './events-sse.helpers.ts';
import { inTransaction, sqlRows } from './sql.ts';
import type { Db, Kdb } from '../src/db/client.ts';

/** One event per entity type and operation of a write (migration 0013), however many rows it touched. */
const NIL = '00000000-0000-0000-0000-000000000000';
const wait = { timeout: 10_000, interval: 10 };
const stamp = () => ({ created_at: new Date().toISOString(), updated_at: new Date().toISOString() });

describe.each(backends)('coalesced entity events on %s', (backend) => {
  let s: TestServer;
  let base: string;
  const seen: EntityEvent[] = [];
  let octet = 0;
  const cidr = () => `10.66.${++octet}.0/24`;

  beforeAll(async () => {
    s = await startTestServer(backend);
    s.app.bus.subscribe((e) => seen.push(e));
    base = await listenLocal(s.app);
  });
  afterAll(async () => s?.close());

  const insertSubnet = (on: Db | Kdb, networkId: string, id = randomUUID()) =>
    sqlRows(
      on,
      `INSERT INTO subnets (id, network_id, cidr, name, subnet_type, source)
       VALUES ($1, $2, $3, 'lan', 'Lan', '{"type":"Manual"}')`,
      [id, networkId, cidr()],
    );

  /** Writes a marker and waits for its event; events arrive in commit order, so every earlier one has come too. */
  async function settle(networkId: string): Promise<number> {
    const marker = randomUUID();
    await insertSubnet(s.db, networkId, marker);
    await vi.waitFor(() => expect(seen.some((e) => e.ids.includes(marker))).toBe(true), wait);
    return seen.findIndex((e) => e.ids.includes(marker));
  }

  /** The events of `write` alone: those published between a marker written before it and one written after. */
  async function eventsOf(networkId: string, write: () => Promise<unknown>): Promise<EntityEvent[]> {
    const from = (await settle(networkId)) + 1;
    await write();
    return seen.slice(from, await settle(networkId));
  }

  async function daemonRow(networkId: string, userId: string): Promise<string> {
    const id = randomUUID();
    await sqlRows(s.db, 'INSERT INTO daemons (id, network_id, host_id, user_id) VALUES ($1, $2, $3, $4)', [
      id,
      networkId,
      randomUUID(),
      userId,
    ]);
    return id;
  }

  it('publishes one event per entity type for a host ingested with 3 interfaces, 10 ports, 10 services and 20 bindings', async () => {
    const owner = await registerOwner(s.app);
    const { key } = await owner.client.json('POST', '/api/v1/auth/daemon', {
      name: 'd',
      network_id: owner.networkId,
    });
    const daemonId = randomUUID();
    const d = new Client(s.app);
    d.headers = { authorization: `Bearer ${key}`, 'x-daemon-id': daemonId };
    await d.json('POST', '/api/daemons/register', {
      daemon_id: daemonId,
      network_id: owner.networkId,
      name: 'lab',
      mode: 'daemon_poll',
      capabilities: { has_docker_socket: false, interfaced_subnet_ids: [] },
      user_id: null,
      version: '0.1.0',
    });
    const subnet = await d.json('POST', '/api/v1/subnets', {
      id: randomUUID(),
      network_id: owner.networkId,
      cidr: '10.66.200.0/24',
      name: 'lab',
      description: null,
      subnet_type: 'Lan',
      source: { type: 'Discovery', metadata: [] },
      tags: [],
    });
    const interfaces = [1, 2, 3].map((n) => ({
      id: randomUUID(),
      host_id: NIL,
      network_id: owner.networkId,
      subnet_id: subnet.id,
      ip_address: `10.66.200.${n}`,
      mac_address: null,
      name: `eth${n}`,
      position: n,
      ...stamp(),
    }));
    const ports = Array.from({ length: 10 }, (_, n) => ({
      id: randomUUID(),
      host_id: NIL,
      network_id: owner.networkId,
      number: 8000 + n,
      protocol: 'Tcp',
      type: 'Custom',
      ...stamp(),
    }));
    // Each service listens on its own port on two of the interfaces: two bindings each, none colliding.
    const services = ports.map((port, n) => {
      const id = randomUUID();
      return {
        id,
        host_id: NIL,
        network_id: owner.networkId,
        name: `app-${n}`,
        service_definition: `Custom App ${n}`,
        position: n,
        tags: [],
        source: { type: 'Discovery', metadata: [] },
        virtualization: null,
        ...stamp(),
        bindings: [interfaces[n % 3], interfaces[(n + 1) % 3]].map((iface) => ({
          id: randomUUID(),
          service_id: id,
          network_id: owner.networkId,
          type: 'Port',
          port_id: port.id,
          interface_id: iface.id,
          ...stamp(),
        })),
      };
    });
    const report = {
      host: {
        id: randomUUID(),
        name: 'big-box',
        hostname: null,
        description: null,
        network_id: owner.networkId,
        source: { type: 'Discovery', metadata: [] },
        virtualization: null,
        hidden: false,
        tags: [],
        ...stamp(),
      },
      interfaces,
      ports,
      services,
    };

    let hostId = '';
    const events = await eventsOf(owner.networkId, async () => {
      hostId = (await d.json<{ id: string }>('POST', '/api/v1/hosts/discovery', report)).id;
    });

    const idsOf = async (sql: string) =>
      (await sqlRows<{ id: string }>(s.db, sql, [hostId])).map((r) => r.id).sort();
    const expected = {
      Host: [hostId],
      Interface: await idsOf('SELECT id::text AS id FROM interfaces WHERE host_id = $1'),
      Port: await idsOf('SELECT id::text AS id FROM ports WHERE host_id = $1'),
      Service: await idsOf('SELECT id::text AS id FROM services WHERE host_id = $1'),
      Binding: await idsOf(
        'SELECT b.id::text AS id FROM bindings b JOIN services s ON s.id = b.service_id WHERE s.host_id = $1',
      ),
    };
    expect(Object.values(expected).map((ids) => ids.length)).toEqual([1, 3, 10, 10, 20]);
    // The daemon's key and heartbeat timestamps are written by the requests too, as suppressed noise.
    const visible = events.filter((e) => !e.suppress);
    expect(visible.map((e) => `${e.entity} ${e.operation}`)).toEqual([
      'Host created',
      'Interface created',
      'Port created',
      'Service created',
      'Binding created',
    ]);
    for (const e of visible) {
      expect([...e.ids].sort(), e.entity).toEqual(expected[e.entity as keyof typeof expected]);
      expect(e.network_ids).toEqual([owner.networkId]);
      expect(e.organization_ids).toEqual([owner.user.organization_id]);
    }
  });

  it('shows each stream only the ids on its own networks when one write touches several', async () => {
    const a = await registerOwner(s.app);
    const b = await registerOwner(s.app);
    const open = (client: Client) =>
      SseClient.open(base, '/api/v1/topology/stream', { cookie: `session_id=${client.cookie}` });
    const [streamA, streamB] = await Promise.all([open(a.client), open(b.client)]);
    const [a1, a2, b1] = [randomUUID(), randomUUID(), randomUUID()];

    const events = await eventsOf(a.networkId, () =>
      inTransaction(s.db, async (tx) => {
        await insertSubnet(tx, a.networkId, a1);
        await insertSubnet(tx, b.networkId, b1);
        await insertSubnet(tx, a.networkId, a2);
      }),
    );

    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      entity: 'Subnet',
      operation: 'created',
      ids: [a1, a2, b1],
      network_ids: [a.networkId, b.networkId],
      organization_ids: [a.user.organization_id, b.user.organization_id],
      scopes: [
        { network_id: a.networkId, organization_id: a.user.organization_id, ids: [a1, a2] },
        { network_id: b.networkId, organization_id: b.user.organization_id, ids: [b1] },
      ],
    });
    const stale = (networkId: string, ids: string[]) => ({
      type: 'stale',
      network_id: networkId,
      entity: 'Subnet',
      operation: 'created',
      ids,
    });
    await vi.waitFor(() => expect(streamB.messages).toHaveLength(1), wait);
    expect(streamB.messages).toEqual([stale(b.networkId, [b1])]);
    // A also gets the markers eventsOf writes on its network, before and after the transaction.
    await vi.waitFor(() => expect(streamA.messages).toHaveLength(3), wait);
    expect(streamA.messages[1]).toEqual(stale(a.networkId, [a1, a2]));
    expect(JSON.stringify(streamA.messages)).not.toContain(b1);
    streamA.close();
    streamB.close();
  });

  it('joins the notifications of a write with more ids than one NOTIFY carries into one event', async () => {
    const { networkId } = await registerOwner(s.app);
    const raw: string[] = [];
    const stop = await s.db.listen(EVENTS_CHANNEL, (p) => raw.push(p));
    try {
      const events = await eventsOf(networkId, () =>
        sqlRows(
          s.db,
          `INSERT INTO hosts (id, network_id, name, source)
           SELECT gen_random_uuid(), $1, 'h' || i, '{"type":"Manual"}' FROM generate_series(1, 250) i`,
          [networkId],
        ),
      );
      // The network's topology may rebuild itself from the new hosts inside the window; only host events count here.
      const hostEvents = events.filter((e) => e.entity === 'Host');
      expect(hostEvents.map((e) => [e.entity, e.operation, e.ids.length])).toEqual([
        ['Host', 'created', 250],
      ]);
      const stored = await sqlRows<{ id: string }>(
        s.db,
        'SELECT id::text AS id FROM hosts WHERE network_id = $1',
        [networkId],
      );
      expect([...hostEvents[0].ids].sort()).toEqual(stored.map((r) => r.id).sort());

      await vi.waitFor(() => expect(raw.some((p) => p.includes('"Subnet"'))).toBe(true), wait);
      const hostParts = raw.filter((p) => p.includes('"Host"')).map((p) => JSON.parse(p));
      expect(hostParts.map((p) => [p.part, p.parts, p.ids.length])).toEqual([
        [1, 3, 100],
        [2, 3, 100],
        [3, 3, 50],
      ]);
      for (const p of raw) expect(Buffer.byteLength(p)).toBeLessThan(8000);
    } finally {
      await stop();
    }
  });

  it('suppresses an event only when every row change in it is heartbeat noise', async () => {
    const { networkId, user } = await registerOwner(s.app);
    const [d1, d2] = [await daemonRow(networkId, user.id), await daemonRow(networkId, user.id)];
    const both = 'UPDATE daemons SET last_seen = now() WHERE id = ANY($1::uuid[])';

    const heartbeats = await eventsOf(networkId, () => sqlRows(s.db, both, [[d1, d2]]));
    expect(heartbeats.map((e) => [e.entity, e.ids.length, e.changed_fields, e.suppress])).toEqual([
      ['Daemon', 2, ['last_seen'], true],
    ]);

    const mixed = await eventsOf(networkId, () =>
      inTransaction(s.db, async (tx) => {
        await sqlRows(tx, both, [[d1, d2]]);
        await sqlRows(tx, 'UPDATE daemons SET is_unreachable = true WHERE id = $1', [d2]);
      }),
    );
    expect(mixed.map((e) => [e.entity, e.ids, e.changed_fields, e.suppress])).toEqual([
      ['Daemon', [d1, d2], ['is_unreachable', 'last_seen'], false],
    ]);
  });

  it('publishes what a write committed, not what a rolled-back savepoint or transaction wrote', async () => {
    const { networkId } = await registerOwner(s.app);
    const [undone, kept, lost] = [randomUUID(), randomUUID(), randomUUID()];
    const events = await eventsOf(networkId, async () => {
      await inTransaction(s.db, async (tx) => {
        // The savepoint holds the transaction's first buffered row, and with it the queued flush.
        await sqlRows(tx, 'SAVEPOINT first');
        await insertSubnet(tx, networkId, undone);
        await sqlRows(tx, 'ROLLBACK TO SAVEPOINT first');
        await insertSubnet(tx, networkId, kept);
      });
      await expect(
        inTransaction(s.db, async (tx) => {
          await insertSubnet(tx, networkId, lost);
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
    });
    expect(events.map((e) => [e.entity, e.operation, e.ids])).toEqual([['Subnet', 'created', [kept]]]);
    const [{ n }] = await sqlRows<{ n: number }>(s.db, 'SELECT count(*)::int AS n FROM event_outbox');
    expect(n).toBe(0);
  });

  it('lists a row written twice once per operation, and a session with its last snapshot', async () => {
    const { client, networkId, user } = await registerOwner(s.app);
    const daemonId = await daemonRow(networkId, user.id);
    const stream = await SseClient.open(base, '/api/v1/discovery/stream', {
      cookie: `session_id=${client.cookie}`,
    });
    const [one, two] = [randomUUID(), randomUUID()];
    // More than one NOTIFY may carry: left out of the payload and read back from the row.
    const big = {
      type: 'Network',
      subnet_ids: Array.from({ length: 250 }, () => randomUUID()),
      host_naming_fallback: 'BestService',
    };
    const events = await eventsOf(networkId, () =>
      inTransaction(s.db, async (tx) => {
        for (const id of [one, two]) {
          await sqlRows(
            tx,
            'INSERT INTO discovery_sessions (id, daemon_id, network_id, discovery_type) VALUES ($1, $2, $3, $4)',
            [id, daemonId, networkId, JSON.stringify(big)],
          );
        }
        await sqlRows(tx, "UPDATE discovery_sessions SET phase = 'Scanning', progress = 10 WHERE id = $1", [
          one,
        ]);
        await sqlRows(tx, 'UPDATE discovery_sessions SET progress = 20 WHERE id = $1', [one]);
      }),
    );

    expect(events.map((e) => [e.entity, e.operation, e.ids])).toEqual([
      ['DiscoverySession', 'created', [one, two]],
      ['DiscoverySession', 'updated', [one]],
    ]);
    expect(events[0].sessions?.map((x) => [x.session_id, x.phase, x.discovery_type])).toEqual([
      [one, 'Pending', big],
      [two, 'Pending', big],
    ]);
    expect(events[1].changed_fields).toEqual(['phase', 'progress']);
    expect(events[1].sessions?.map((x) => [x.session_id, x.phase, x.progress])).toEqual([
      [one, 'Scanning', 20],
    ]);
    // The discovery stream keeps its shape: one DiscoveryUpdatePayload per session.
    await vi.waitFor(() => expect(stream.messages).toHaveLength(3), wait);
    expect(stream.messages.map((m) => [m.session_id, m.phase, m.progress])).toEqual([
      [one, 'Pending', 0],
      [two, 'Pending', 0],
      [one, 'Scanning', 20],
    ]);
    stream.close();
  });
});
