import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { DiscoveryHostRequest, DiscoveryUpdatePayload, Subnet } from '@scanopy/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import {
  fail,
  ok,
  startProtocolServer,
  until,
  type ProtocolServer,
  type RecordedRequest,
} from '../test/support/protocol-server.ts';
import { loadConfig } from './config/index.ts';
import { ConfigStore } from './config/store.ts';
import { createLogger } from './logger.ts';
import { DaemonRuntime } from './runtime.ts';

const NETWORK_ID = randomUUID();
const FAST = { initialMs: 10, maxMs: 50, maxAttempts: 5 };
const FAST_FOREVER = { initialMs: 10, maxMs: 50, maxAttempts: Infinity };

/**
 * The server side of the daemon protocol, in memory: daemons, a per-daemon session queue (a
 * SelfReport is queued at registration, as the real server does), and stored subnets.
 */
class FakeScanopyServer {
  daemons = new Map<string, { host_id: string }>();
  queue = new Map<string, DiscoveryUpdatePayload[]>();
  keyNotCreatedAnswers = 0;
  cancelNext = false;
  holdHosts = false;

  handle = (req: RecordedRequest) => {
    const daemonId = String(req.headers['x-daemon-id']);
    const route = req.path.replace(/[0-9a-f-]{36}/g, ':id');
    switch (route) {
      case '/api/daemons/register': {
        if (this.keyNotCreatedAnswers > 0) {
          this.keyNotCreatedAnswers--;
          return fail(401, 'auth_daemon_key_not_created', 'key not yet saved');
        }
        const host_id = randomUUID();
        this.daemons.set(daemonId, { host_id });
        this.queue.set(daemonId, [
          {
            session_id: randomUUID(),
            daemon_id: daemonId,
            network_id: NETWORK_ID,
            phase: 'Pending',
            discovery_type: { type: 'SelfReport', host_id },
            progress: 0,
            error: null,
            started_at: null,
            finished_at: null,
          },
        ]);
        return ok({ daemon: { id: daemonId }, host_id });
      }
      case '/api/daemons/:id/startup':
        return this.daemons.has(daemonId)
          ? ok({ server_version: '0.1.0', minimum_daemon_version: '0.1.0' })
          : fail(404, 'entity_not_found', 'Daemon not found');
      case '/api/daemons/:id/request-work': {
        if (!this.daemons.has(daemonId)) return fail(404, 'entity_not_found', 'Daemon not found');
        const next = this.queue.get(daemonId)?.shift() ?? null;
        const cancel = this.cancelNext;
        this.cancelNext = false;
        return ok([next ? { ...next, phase: 'Starting' } : null, cancel]);
      }
      case '/api/v1/subnets': {
        const body = req.body as Subnet;
        return ok({ ...body, id: randomUUID() });
      }
      case '/api/v1/hosts/discovery': {
        if (this.holdHosts) return 'hang' as const;
        const body = req.body as DiscoveryHostRequest;
        return ok({
          ...body.host,
          interfaces: body.interfaces,
          ports: body.ports,
          services: body.services,
          if_entries: [],
        });
      }
      default:
        return ok(null);
    }
  };
}

let dir: string;
let server: ProtocolServer | null = null;
let runtime: DaemonRuntime | null = null;

afterEach(async () => {
  await runtime?.stop();
  runtime = null;
  await server?.close();
  server = null;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function makeRuntime(serverUrl: string, logLines: string[] = []) {
  dir = mkdtempSync(path.join(os.tmpdir(), 'scanopy-runtime-'));
  const loaded = loadConfig({
    env: { HOME: dir, XDG_CONFIG_HOME: dir },
    argv: [
      '--server-url',
      serverUrl,
      '--network-id',
      NETWORK_ID,
      '--daemon-api-key',
      'scp_d_test',
      '--daemon-port',
      '0',
      '--bind-address',
      '127.0.0.1',
      '--heartbeat-interval',
      '1',
    ],
  });
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(...chunk.toString().trim().split('\n'));
      done();
    },
  });
  const rt = new DaemonRuntime(new ConfigStore(loaded), {
    logger: createLogger('debug', sink),
    listAddresses: () => [{ name: 'eth0', ip: '10.77.200.2', prefix: 24, mac: null }],
    probeDocker: () => Promise.resolve({ available: false, networkCidrs: [] }),
    hostname: () => 'unit-host',
    policies: { transport: FAST_FOREVER, keyNotCreated: FAST, entity: FAST },
  });
  return { runtime: rt, id: loaded.config.id };
}

const phasesOf = (s: ProtocolServer) =>
  s.calls(/\/api\/v1\/discovery\/.+\/update$/).map((r) => (r.body as DiscoveryUpdatePayload).phase);

describe('DaemonRuntime', () => {
  it('serves /api/health', async () => {
    const made = makeRuntime('http://127.0.0.1:9');
    runtime = made.runtime;
    await runtime.start();
    const res = await fetch(`http://127.0.0.1:${runtime.port}/api/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ success: true, data: 'Scanopy Daemon Running' });
    expect((await fetch(`http://127.0.0.1:${runtime.port}/nope`)).status).toBe(404);
  });

  it('registers on first boot, runs the queued self-report and keeps polling', async () => {
    const fake = new FakeScanopyServer();
    server = await startProtocolServer(fake.handle);
    const made = makeRuntime(server.url);
    runtime = made.runtime;
    await runtime.start();
    await until(() => phasesOf(server!).includes('Complete'));
    await until(() => server!.calls(/request-work$/).length >= 3);

    const routes = server.requests.map((r) => r.path.replace(/[0-9a-f-]{36}/g, ':id'));
    expect(routes.slice(0, 3)).toEqual([
      '/api/daemons/:id/startup',
      '/api/daemons/register',
      '/api/daemons/:id/request-work',
    ]);
    const register = server.calls(/register$/)[0];
    expect(register.body).toMatchObject({
      daemon_id: made.id,
      network_id: NETWORK_ID,
      mode: 'daemon_poll',
      capabilities: { has_docker_socket: false, interfaced_subnet_ids: [] },
      version: '0.1.0',
    });
    expect(register.headers['x-daemon-id']).toBe(made.id);
    expect(server.calls(/request-work$/)[0].body).toMatchObject({
      name: 'scanopy-daemon',
      mode: 'daemon_poll',
    });
    const host = server.calls(/hosts\/discovery$/)[0].body as DiscoveryHostRequest;
    expect(host.host.id).toBe(fake.daemons.get(made.id)!.host_id);
    expect(host.ports[0].number).toBe(runtime.port);
    expect(phasesOf(server)).toEqual(['Started', 'Complete']);
  });

  it('retries registration while the server has not saved the key yet', async () => {
    const fake = new FakeScanopyServer();
    fake.keyNotCreatedAnswers = 3;
    server = await startProtocolServer(fake.handle);
    runtime = makeRuntime(server.url).runtime;
    await runtime.start();
    await until(() => server!.calls(/request-work$/).length >= 1);
    expect(server.calls(/register$/)).toHaveLength(4);
  });

  it('re-registers when the server forgets the daemon instead of failing forever', async () => {
    const fake = new FakeScanopyServer();
    server = await startProtocolServer(fake.handle);
    const made = makeRuntime(server.url);
    runtime = made.runtime;
    await runtime.start();
    await until(() => phasesOf(server!).includes('Complete'));
    const firstHost = fake.daemons.get(made.id)!.host_id;

    fake.daemons.clear();
    await until(() => server!.calls(/register$/).length === 2);
    await until(() => phasesOf(server!).filter((p) => p === 'Complete').length === 2);
    const secondHost = fake.daemons.get(made.id)!.host_id;
    expect(secondHost).not.toBe(firstHost);
    const hosts = server.calls(/hosts\/discovery$/).map((r) => (r.body as DiscoveryHostRequest).host.id);
    expect(hosts).toEqual([firstHost, secondHost]);
  });

  it('keeps retrying while the server is down and connects once it is up', async () => {
    const probe = await startProtocolServer(() => ok(null));
    const { port, url } = probe;
    await probe.close();

    const logs: string[] = [];
    runtime = makeRuntime(url, logs).runtime;
    await runtime.start();
    await until(
      () => logs.filter((l) => l.includes('server unreachable; retrying with backoff')).length >= 5,
    );

    const fake = new FakeScanopyServer();
    server = await startProtocolServer(fake.handle, port);
    await until(() => phasesOf(server!).includes('Complete'));
    expect(server.calls(/register$/)).toHaveLength(1);
    expect(logs.some((l) => l.includes('scp_d_test'))).toBe(false);
  });

  it('cancels the running session when the server raises the cancel flag', async () => {
    const fake = new FakeScanopyServer();
    fake.holdHosts = true;
    server = await startProtocolServer(fake.handle);
    runtime = makeRuntime(server.url).runtime;
    await runtime.start();
    await until(() => server!.calls(/hosts\/discovery$/).length === 1);
    fake.cancelNext = true;
    await until(() => phasesOf(server!).includes('Cancelled'));
    await runtime.sessions.idle();
    expect(phasesOf(server)).toEqual(['Started', 'Cancelled']);
    expect(runtime.sessions.activeSessionId).toBeNull();
  });
});
