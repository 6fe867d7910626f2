import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { DiscoveryHostRequest, DiscoveryUpdatePayload, Subnet } from '@scanopy/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import {
  fail,
  ok,
  startProtocolServer,
  type Handler,
  type ProtocolServer,
  type RecordedRequest,
} from '../../../test/support/protocol-server.ts';
import type { Capabilities } from '../../config/index.ts';
import { ApiClient } from '../../link/api-client.ts';
import { ServerApi } from '../../link/server-api.ts';
import { silentLogger } from '../../logger.ts';
import { probeDocker, type DockerProbe } from '../../platform/docker.ts';
import type { OwnAddress } from '../../platform/interfaces.ts';
import { NIL_UUID } from '../entities.ts';
import { SelfReportRunner } from './self-report.ts';
import { SessionManager } from '../session-manager.ts';

const DAEMON_ID = randomUUID();
const NETWORK_ID = randomUUID();
const HOST_ID = randomUUID();
const FAST = { initialMs: 5, maxMs: 20, maxAttempts: 5 };

const ADDRESSES: OwnAddress[] = [
  { name: 'eth0', ip: '192.168.50.10', prefix: 24, mac: 'aa:bb:cc:00:00:01' },
  { name: 'eth1', ip: '10.20.0.5', prefix: 16, mac: 'aa:bb:cc:00:00:02' },
  { name: 'eth2', ip: '10.30.1.5', prefix: 24, mac: null },
  { name: 'docker0', ip: '172.17.0.1', prefix: 16, mac: '02:42:00:00:00:01' },
  { name: 'vmbr9', ip: '172.30.0.1', prefix: 16, mac: null },
  { name: 'eth3', ip: '203.0.113.5', prefix: 32, mac: null },
  { name: 'wg0', ip: '10.8.0.2', prefix: 32, mac: null },
];

let server: ProtocolServer | null = null;
const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  await server?.close();
  server = null;
  for (const c of cleanups.splice(0)) await c();
});

/** A server side that stores subnets (same CIDR → existing one) and answers everything else. */
function inventoryServer(
  overrides: (req: RecordedRequest) => ReturnType<Handler> | undefined = () => undefined,
) {
  const subnets = new Map<string, Subnet>();
  const handler: Handler = (req) => {
    const custom = overrides(req);
    if (custom) return custom;
    if (req.path === '/api/v1/subnets') {
      const body = req.body as Subnet;
      const existing = subnets.get(body.cidr) ?? { ...body, id: randomUUID() };
      subnets.set(body.cidr, existing);
      return ok(existing);
    }
    if (req.path === '/api/v1/hosts/discovery') {
      const body = req.body as DiscoveryHostRequest;
      return ok({
        ...body.host,
        interfaces: body.interfaces,
        ports: body.ports,
        services: body.services,
        if_entries: [],
      });
    }
    return ok(null);
  };
  return { handler, subnets };
}

function session(): DiscoveryUpdatePayload {
  return {
    session_id: randomUUID(),
    daemon_id: DAEMON_ID,
    network_id: NETWORK_ID,
    phase: 'Starting',
    discovery_type: { type: 'SelfReport', host_id: HOST_ID },
    progress: 0,
    error: null,
    started_at: null,
    finished_at: null,
  };
}

async function runSelfReport(
  url: string,
  options: { bindAddress?: string; docker?: () => Promise<DockerProbe>; addresses?: OwnAddress[] } = {},
) {
  const api = new ServerApi(
    new ApiClient({ baseUrl: url, apiKey: 'scp_d_k', daemonId: DAEMON_ID, version: '0.1.0' }),
  );
  const saved: Capabilities[] = [];
  const runner = new SelfReportRunner({
    sink: api,
    listAddresses: () => options.addresses ?? ADDRESSES,
    probeDocker:
      options.docker ?? (() => Promise.resolve({ available: true, networkCidrs: ['172.30.0.0/16'] })),
    daemonPort: () => 60073,
    bindAddress: () => options.bindAddress ?? '0.0.0.0',
    hostname: () => 'lab-host',
    saveCapabilities: async (c) => {
      saved.push(c);
    },
    entityPolicy: FAST,
  });
  const sessions = new SessionManager({
    sink: api,
    daemonId: () => DAEMON_ID,
    runners: { SelfReport: runner },
    logger: silentLogger(),
    updatePolicy: FAST,
  });
  expect(sessions.start(session())).toBe(true);
  await sessions.idle();
  return { saved };
}

const phases = (s: ProtocolServer) =>
  s.calls(/^\/api\/v1\/discovery\/.+\/update$/).map((r) => (r.body as DiscoveryUpdatePayload).phase);

describe('self-report', () => {
  it('creates every own subnet, then reports capabilities and the daemon host', async () => {
    const { handler, subnets } = inventoryServer();
    server = await startProtocolServer(handler);
    const { saved } = await runSelfReport(server.url);

    const created = server.calls(/^\/api\/v1\/subnets$/).map((r) => r.body as Subnet);
    expect(created.map((s) => [s.cidr, s.subnet_type]).sort()).toEqual([
      ['10.20.0.0/16', 'Lan'],
      ['10.30.1.0/24', 'Lan'],
      ['10.8.0.0/24', 'VpnTunnel'],
      ['192.168.50.0/24', 'Lan'],
    ]);
    expect(created[0]).toMatchObject({
      network_id: NETWORK_ID,
      name: created[0].cidr,
      source: {
        type: 'Discovery',
        metadata: [{ type: 'SelfReport', host_id: HOST_ID, daemon_id: DAEMON_ID }],
      },
      tags: [],
    });

    // Order: all subnets, Started, capabilities, host, Complete.
    const order = server.requests.map((r) => r.path.replace(/[0-9a-f-]{36}/g, ':id'));
    expect(order.slice(4)).toEqual([
      '/api/v1/discovery/:id/update',
      '/api/daemons/:id/update-capabilities',
      '/api/v1/hosts/discovery',
      '/api/v1/discovery/:id/update',
    ]);
    expect(phases(server)).toEqual(['Started', 'Complete']);
    const [started, complete] = server.calls(/update$/).map((r) => r.body as DiscoveryUpdatePayload);
    expect(started).toMatchObject({ progress: 0, daemon_id: DAEMON_ID, network_id: NETWORK_ID });
    expect(started.started_at).toEqual(expect.any(String));
    expect(complete).toMatchObject({ progress: 100, error: null });
    expect(complete.finished_at).toEqual(expect.any(String));

    const ids = [...subnets.values()].map((s) => s.id).sort();
    const [caps] = server.calls(/update-capabilities$/);
    expect(caps.body).toEqual({ has_docker_socket: true, interfaced_subnet_ids: expect.any(Array) });
    expect([...(caps.body as Capabilities).interfaced_subnet_ids].sort()).toEqual(ids);
    expect(saved).toEqual([caps.body]);

    const host = server.calls(/hosts\/discovery$/)[0].body as DiscoveryHostRequest;
    expect(host.host).toMatchObject({
      id: HOST_ID,
      name: 'lab-host',
      hostname: 'lab-host',
      description: 'Scanopy daemon',
      network_id: NETWORK_ID,
      source: {
        type: 'Discovery',
        metadata: [{ type: 'SelfReport', host_id: HOST_ID, daemon_id: DAEMON_ID }],
      },
    });
    expect(host.interfaces.map((i) => [i.name, i.ip_address, i.mac_address, i.subnet_id])).toEqual([
      ['eth0', '192.168.50.10', 'aa:bb:cc:00:00:01', subnets.get('192.168.50.0/24')!.id],
      ['eth1', '10.20.0.5', 'aa:bb:cc:00:00:02', subnets.get('10.20.0.0/16')!.id],
      ['eth2', '10.30.1.5', null, subnets.get('10.30.1.0/24')!.id],
      ['wg0', '10.8.0.2', null, subnets.get('10.8.0.0/24')!.id],
    ]);
    expect(host.interfaces.every((i) => i.host_id === NIL_UUID && i.network_id === NETWORK_ID)).toBe(true);
    expect(host.ports).toEqual([
      expect.objectContaining({ number: 60073, protocol: 'Tcp', host_id: NIL_UUID }),
    ]);
    expect(host.services).toHaveLength(1);
    expect(host.services[0]).toMatchObject({
      name: 'Scanopy Daemon',
      service_definition: 'Scanopy Daemon',
      source: { type: 'DiscoveryWithMatch', details: { confidence: 'Certain' } },
      bindings: [{ type: 'Port', port_id: host.ports[0].id, interface_id: null }],
    });
  });

  it('keeps the other subnets when one fails, and retries transient failures', async () => {
    let flaky = 0;
    const { handler } = inventoryServer((req) => {
      const cidr = (req.body as Subnet | undefined)?.cidr;
      if (cidr === '10.20.0.0/16') return fail(400, 'validation_failed', 'rejected for this test');
      if (cidr === '10.30.1.0/24' && flaky++ < 2) return { status: 503, body: 'restarting', raw: true };
      return undefined;
    });
    server = await startProtocolServer(handler);
    await runSelfReport(server.url);

    expect(
      server.calls(/^\/api\/v1\/subnets$/).filter((r) => (r.body as Subnet).cidr === '10.30.1.0/24'),
    ).toHaveLength(3);
    const host = server.calls(/hosts\/discovery$/)[0].body as DiscoveryHostRequest;
    expect(host.interfaces.map((i) => i.ip_address)).toEqual(['192.168.50.10', '10.30.1.5', '10.8.0.2']);
    expect(phases(server)).toEqual(['Started', 'Complete']);
  });

  it('uses the id of a subnet the server already had', async () => {
    const existingId = randomUUID();
    const { handler } = inventoryServer((req) => {
      const body = req.body as Subnet | undefined;
      if (body?.cidr === '192.168.50.0/24') return ok({ ...body, id: existingId });
      return undefined;
    });
    server = await startProtocolServer(handler);
    await runSelfReport(server.url);
    const host = server.calls(/hosts\/discovery$/)[0].body as DiscoveryHostRequest;
    expect(host.interfaces.find((i) => i.ip_address === '192.168.50.10')?.subnet_id).toBe(existingId);
  });

  it('binds the daemon service to the interfaces whose subnet holds bind_address', async () => {
    const { handler } = inventoryServer();
    server = await startProtocolServer(handler);
    await runSelfReport(server.url, { bindAddress: '10.30.1.5' });
    const host = server.calls(/hosts\/discovery$/)[0].body as DiscoveryHostRequest;
    const eth2 = host.interfaces.find((i) => i.name === 'eth2')!;
    expect(host.services[0].bindings).toEqual([
      expect.objectContaining({ type: 'Port', port_id: host.ports[0].id, interface_id: eth2.id }),
    ]);
  });

  it('fails the session when no subnet can be created', async () => {
    const { handler } = inventoryServer((req) =>
      req.path === '/api/v1/subnets' ? fail(400, 'validation_failed', 'nope') : undefined,
    );
    server = await startProtocolServer(handler);
    await runSelfReport(server.url);
    expect(phases(server)).toEqual(['Failed']);
    const failed = server.calls(/update$/)[0].body as DiscoveryUpdatePayload;
    expect(failed.error).toBe('Critical error: no subnet could be created on the server');
    expect(server.calls(/hosts\/discovery$/)).toHaveLength(0);
  });

  it('finishes when the Docker socket accepts connections but never answers', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'scanopy-selfreport-'));
    const socketPath = path.join(dir, 'docker.sock');
    const held: net.Socket[] = [];
    const silent = net.createServer((s) => held.push(s));
    await new Promise<void>((resolve) => silent.listen(socketPath, resolve));
    cleanups.push(async () => {
      held.forEach((s) => s.destroy());
      await new Promise((resolve) => silent.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    });

    const { handler } = inventoryServer();
    server = await startProtocolServer(handler);
    await runSelfReport(server.url, {
      docker: () => probeDocker({ kind: 'socket', socketPath }),
      addresses: [ADDRESSES[0], ADDRESSES[3]],
    });
    expect(held).toHaveLength(1);
    expect(phases(server)).toEqual(['Started', 'Complete']);
    const [caps] = server.calls(/update-capabilities$/);
    expect(caps.body).toMatchObject({ has_docker_socket: false });
    // Without a Docker answer only the DockerBridge-typed docker0 is left out.
    expect(server.calls(/^\/api\/v1\/subnets$/).map((r) => (r.body as Subnet).cidr)).toEqual([
      '192.168.50.0/24',
    ]);
  });
});
