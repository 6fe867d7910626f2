import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DiscoveryHostRequest, Subnet } from '@scanopy/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.ts';
import { ConfigStore } from '../config/store.ts';
import { DaemonRuntime } from '../runtime.ts';
import { EntityBuffer } from './entity-buffer.ts';

const NETWORK_ID = randomUUID();
const KEY = 'scp_d_serverpolltestkey0000000000000';

let dir = '';
let runtime: DaemonRuntime | null = null;

afterEach(async () => {
  await runtime?.stop();
  runtime = null;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A server_poll daemon on loopback (no server URL at all: it never calls out). */
async function start() {
  dir = mkdtempSync(path.join(os.tmpdir(), 'scanopy-server-poll-'));
  const loaded = loadConfig({
    env: { HOME: dir, XDG_CONFIG_HOME: dir },
    argv: ['--mode', 'server_poll', '--network-id', NETWORK_ID, '--daemon-api-key', KEY],
  });
  loaded.config.daemon_port = 0;
  loaded.config.bind_address = '127.0.0.1';
  const store = new ConfigStore(loaded);
  runtime = new DaemonRuntime(store, {
    listAddresses: () => [{ name: 'eth0', ip: '10.77.201.2', prefix: 24, mac: null }],
    probeDocker: () => Promise.resolve({ available: false, networkCidrs: [] }),
    hostname: () => 'dmz-host',
  });
  await runtime.start();
  const base = `http://127.0.0.1:${runtime.port}`;
  // The server's side of the conversation.
  const call = async (method: string, p: string, body?: unknown, key = KEY) => {
    const res = await fetch(`${base}${p}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test reads arbitrary JSON
    return { status: res.status, text, data: res.ok ? (JSON.parse(text) as { data: any }).data : undefined };
  };
  return { store, call };
}

async function until<T>(fn: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let i = 0; i < 500; i++) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('server_poll daemon API', () => {
  it('adopts its id at first contact, buffers a self-report until the server confirms it, and reports it once', async () => {
    const { store, call } = await start();
    expect((await call('GET', '/api/status', undefined, 'scp_d_wrong')).status).toBe(401);
    expect((await call('GET', '/api/status', undefined, '')).text).toBe('Unauthorized');

    const daemonId = randomUUID();
    const contact = await call('POST', '/api/first-contact', {
      daemon_id: daemonId,
      server_capabilities: {},
    });
    expect(contact.data).toMatchObject({ mode: 'server_poll', capabilities: { has_docker_socket: false } });
    expect(store.config.id).toBe(daemonId);
    expect((await call('GET', '/api/poll')).data).toEqual({
      progress: null,
      entities: { hosts: [], subnets: [] },
    });
    expect((await call('POST', '/api/discovery/cancel', randomUUID())).status).toBe(409);

    const sessionId = randomUUID();
    const hostId = randomUUID();
    const initiated = await call('POST', '/api/discovery/initiate', {
      session_id: sessionId,
      discovery_type: { type: 'SelfReport', host_id: hostId },
    });
    expect(initiated.data).toEqual({ session_id: sessionId });
    const busy = await call('POST', '/api/discovery/initiate', {
      session_id: randomUUID(),
      discovery_type: { type: 'SelfReport', host_id: hostId },
    });
    expect(busy.status).toBe(409);

    // The subnet waits, pending, and polling does not consume it; the session shows as running meanwhile.
    const subnet = await until(async () => {
      const p = (await call('GET', '/api/poll')).data as { entities: { subnets: Subnet[] } };
      return p.entities.subnets[0];
    }, 'the pending subnet');
    const again = (await call('GET', '/api/poll')).data;
    expect(again.entities.subnets).toHaveLength(1);
    expect(again.progress).toMatchObject({ session_id: sessionId, daemon_id: daemonId, phase: 'Started' });
    expect(subnet).toMatchObject({ cidr: '10.77.201.0/24', network_id: NETWORK_ID });
    const stored = { ...subnet, id: randomUUID() };
    expect((await call('POST', '/api/discovery/entities-created', { subnets: 'x' })).status).toBe(400);
    await call('POST', '/api/discovery/entities-created', { subnets: [[subnet.id, stored]], hosts: [] });

    const host = await until(async () => {
      const p = (await call('GET', '/api/poll')).data as { entities: { hosts: DiscoveryHostRequest[] } };
      return p.entities.hosts[0];
    }, 'the pending host');
    expect(host.host.id).toBe(hostId);
    // The host's interface points at the subnet as the server stored it.
    expect(host.interfaces[0]).toMatchObject({ subnet_id: stored.id, ip_address: '10.77.201.2' });
    const created = await call('POST', '/api/discovery/entities-created', {
      subnets: [],
      hosts: [
        [hostId, { ...host.host, interfaces: host.interfaces, ports: host.ports, services: host.services }],
      ],
    });
    expect(created.data).toEqual({ confirmed: 1 });

    const done = await until(async () => {
      const p = (await call('GET', '/api/poll')).data as { progress: { phase: string } | null };
      return p.progress?.phase === 'Complete' ? p : undefined;
    }, 'the terminal report');
    expect(done.progress).toMatchObject({ session_id: sessionId, progress: 100 });
    // Served once.
    expect((await call('GET', '/api/poll')).data.progress).toBeNull();
  });

  it('merges a host pushed again while pending, and drops what the server never collects', async () => {
    const buffer = new EntityBuffer(50);
    const hostId = randomUUID();
    const req = (port: number) =>
      ({
        host: { id: hostId, name: 'box' },
        interfaces: [],
        ports: [{ number: port }],
        services: [],
      }) as unknown as DiscoveryHostRequest;
    const first = buffer.pushHost(req(22));
    const second = buffer.pushHost(req(80));
    expect(buffer.pending().hosts).toHaveLength(1);
    expect(buffer.pending().hosts[0].ports.map((p) => p.number)).toEqual([22, 80]);
    await expect(first).rejects.toThrow(/did not collect/);
    await expect(second).rejects.toThrow(/did not collect/);
    expect(buffer.size).toBe(0);

    const controller = new AbortController();
    const aborted = buffer.pushHost(req(443), controller.signal);
    controller.abort(new Error('session cancelled'));
    await expect(aborted).rejects.toThrow('session cancelled');
    expect(buffer.size).toBe(0);
  });
});
