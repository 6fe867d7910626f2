import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { DiscoveryHostRequest, DiscoveryUpdatePayload, Subnet } from '@scanopy/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ok,
  startProtocolServer,
  until,
  type ProtocolServer,
} from '../../../test/support/protocol-server.ts';
import { ApiClient } from '../../link/api-client.ts';
import { ServerApi } from '../../link/server-api.ts';
import { silentLogger } from '../../logger.ts';
import { DockerClient, type DockerNetworkInfo } from '../../platform/docker.ts';
import {
  bridgeBindings,
  containerPorts,
  DockerDiscoveryRunner,
  endpointsFor,
  planDockerSubnets,
  tidyBindings,
} from './docker-discovery.ts';
import { SessionManager } from '../session-manager.ts';

describe('planDockerSubnets', () => {
  const network = (name: string, driver: string, ...config: Array<{ Subnet?: string; Gateway?: string }>) =>
    ({ Id: name, Name: name, Driver: driver, IPAM: { Config: config } }) satisfies DockerNetworkInfo;

  it('types Docker networks by driver, skips host and none, and lets a host subnet with the same CIDR win', () => {
    const plan = planDockerSubnets(
      [
        { cidr: '10.77.64.0/24', subnet_type: 'Lan', interface_name: 'eth0' },
        { cidr: '10.77.70.0/24', subnet_type: 'Lan', interface_name: 'br0' },
      ],
      [
        network('bridge', 'bridge', { Subnet: '10.77.70.0/24', Gateway: '10.77.70.1' }),
        network('app', 'bridge', { Subnet: '10.77.72.9/24', Gateway: '10.77.72.1' }, { Subnet: 'fd00::/64' }),
        network('swarm', 'overlay', { Subnet: '10.77.73.0/24' }),
        network('lan', 'macvlan', { Subnet: '10.77.74.0/24', Gateway: '10.77.74.254' }),
        network('l3', 'ipvlan', { Subnet: '10.77.75.0/24' }),
        network('host', 'host'),
        network('none', 'null'),
        network('weird', 'custom-plugin', { Subnet: '10.77.76.0/24' }),
        network('app-again', 'bridge', { Subnet: '10.77.72.0/24' }),
      ],
    );
    expect(plan.subnets.map((s) => [s.cidr, s.subnet_type, s.name])).toEqual([
      ['10.77.64.0/24', 'Lan', '10.77.64.0/24'],
      ['10.77.70.0/24', 'Lan', '10.77.70.0/24'],
      ['10.77.72.0/24', 'DockerBridge', 'app'],
      ['10.77.73.0/24', 'DockerBridge', 'swarm'],
      ['10.77.74.0/24', 'MacVlan', 'lan'],
      ['10.77.75.0/24', 'IpVlan', 'l3'],
    ]);
    expect(plan.gateways.sort()).toEqual(['10.77.70.1', '10.77.72.1', '10.77.74.254']);
  });
});

describe('containerPorts', () => {
  it('joins summary and exposed ports, and lists a publication on every address once', () => {
    const { privatePorts, published } = containerPorts(
      {
        Id: 'c1',
        Ports: [
          { IP: '0.0.0.0', PrivatePort: 8123, PublicPort: 18123, Type: 'tcp' },
          { IP: '::', PrivatePort: 8123, PublicPort: 18123, Type: 'tcp' },
          { IP: '10.77.65.2', PrivatePort: 8123, PublicPort: 18124, Type: 'tcp' },
          { PrivatePort: 1900, Type: 'udp' },
          { PrivatePort: 9, Type: 'sctp' },
        ],
      },
      { Id: 'c1', Config: { ExposedPorts: { '8080/tcp': {}, '8123/tcp': {} } } },
    );
    expect(privatePorts).toEqual([
      { number: 8123, protocol: 'tcp' },
      { number: 1900, protocol: 'udp' },
      { number: 8080, protocol: 'tcp' },
    ]);
    expect(published).toEqual([
      { hostIp: '0.0.0.0', publicPort: 18123, privatePort: 8123, protocol: 'tcp' },
      { hostIp: '10.77.65.2', publicPort: 18124, privatePort: 8123, protocol: 'tcp' },
    ]);
  });
});

describe('bridgeBindings', () => {
  const host = [
    { id: 'eth0', ip: '10.77.64.2', subnetType: 'Lan' as const },
    { id: 'eth1', ip: '10.77.65.2', subnetType: 'Lan' as const },
    { id: 'docker0', ip: '10.77.70.1', subnetType: 'DockerBridge' as const },
  ];
  const tcp = (number: number) => ({ number, protocol: 'tcp' as const });
  const show = (bindings: ReturnType<typeof tidyBindings>) =>
    bindings.map((b) => `${b.port ? b.port.number : 'iface'}@${b.interfaceId}`).sort();

  it('binds container ports on the container interfaces and published ports on the right host interfaces', () => {
    const bindings = bridgeBindings(
      { bindings: [{ type: 'Port', port: tcp(8123) }] },
      [tcp(8123), tcp(9999)],
      ['c-bridge'],
      host,
      [
        { hostIp: '0.0.0.0', publicPort: 18123, privatePort: 8123, protocol: 'tcp' },
        { hostIp: '10.77.65.2', publicPort: 18124, privatePort: 8123, protocol: 'tcp' },
        { hostIp: '127.0.0.1', publicPort: 18125, privatePort: 8123, protocol: 'tcp' },
      ],
    );
    expect(show(bindings)).toEqual(
      ['8123@c-bridge', '9999@c-bridge', '18123@eth0', '18123@eth1', '18124@eth1'].sort(),
    );
  });

  it('drops a bare interface binding where a port binding covers the interface, keeps it where none does', () => {
    const fallback = { bindings: [{ type: 'Interface' as const }] };
    expect(show(bridgeBindings(fallback, [tcp(8080)], ['c-a', 'c-b'], host, []))).toEqual([
      '8080@c-a',
      '8080@c-b',
    ]);
    expect(show(bridgeBindings(fallback, [], ['c-a'], host, []))).toEqual(['iface@c-a']);
  });
});

describe('endpointsFor', () => {
  it('probes catalog endpoints of the given ports only, never raw printer ports', () => {
    const endpoints = endpointsFor(new Set([8123, 9100, 12345]));
    expect(endpoints.length).toBeGreaterThan(0);
    expect(endpoints.every((e) => e.port === 8123)).toBe(true);
  });
});

/**
 * A stand-in for the Docker Engine on a unix socket: two running containers whose in-container
 * probes never finish, so a session can be cancelled while it waits on Docker.
 */
async function hangingEngine(socketPath: string) {
  const seen: string[] = [];
  const held: http.ServerResponse[] = [];
  const json = (res: http.ServerResponse, body: unknown) => {
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify(body));
  };
  const container = (id: string) => ({
    Id: id,
    Names: [`/${id}`],
    Ports: [{ PrivatePort: 8123, Type: 'tcp' }],
    HostConfig: { NetworkMode: 'bridge' },
    NetworkSettings: { Networks: { bridge: { IPAddress: `10.77.70.${id === 'one' ? 2 : 3}` } } },
  });
  const server = http.createServer((req, res) => {
    const url = req.url ?? '';
    seen.push(`${req.method} ${url}`);
    req.resume();
    if (url === '/_ping') res.end('OK');
    else if (url === '/networks')
      json(res, [
        { Id: 'b', Name: 'bridge', Driver: 'bridge', IPAM: { Config: [{ Subnet: '10.77.70.0/24' }] } },
      ]);
    else if (url === '/containers/json') json(res, [container('one'), container('two')]);
    else if (/^\/containers\/\w+\/json$/.test(url))
      json(res, { ...container(url.split('/')[2]), Name: '/x' });
    else if (/^\/containers\/\w+\/exec$/.test(url)) json(res, { Id: randomUUID() });
    else held.push(res); // exec start: the probe never finishes
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    seen,
    /** Exec starts Docker never answered. */
    unanswered: () => held.filter((r) => !r.writableEnded).length,
    close: () =>
      new Promise<void>((resolve) => {
        held.forEach((r) => r.destroy());
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('DockerDiscoveryRunner', () => {
  let protocol: ProtocolServer | null = null;
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    await protocol?.close();
    protocol = null;
    for (const c of cleanups.splice(0)) await c();
  });

  it('stops at once when the session is cancelled while Docker is busy, and reports Cancelled', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'scanopy-docker-run-'));
    const engine = await hangingEngine(path.join(dir, 'docker.sock'));
    cleanups.push(
      () => engine.close(),
      () => rmSync(dir, { recursive: true, force: true }),
    );
    protocol = await startProtocolServer((req) => {
      if (req.path === '/api/v1/subnets') return ok({ ...(req.body as Subnet), id: randomUUID() });
      if (req.path === '/api/v1/hosts/discovery') {
        const body = req.body as DiscoveryHostRequest;
        return ok({ ...body.host, interfaces: body.interfaces, ports: body.ports, services: body.services });
      }
      return ok(null);
    });
    const daemonId = randomUUID();
    const sink = new ServerApi(
      new ApiClient({ baseUrl: protocol.url, apiKey: 'k', daemonId, version: '0.1.0' }),
    );
    const sessions = new SessionManager({
      sink,
      daemonId: () => daemonId,
      logger: silentLogger(),
      updatePolicy: { initialMs: 5, maxMs: 20, maxAttempts: 3 },
      runners: {
        Docker: new DockerDiscoveryRunner({
          sink,
          docker: () => new DockerClient({ kind: 'socket', socketPath: path.join(dir, 'docker.sock') }),
          listAddresses: () => [{ name: 'eth0', ip: '10.77.64.2', prefix: 24, mac: null }],
          localIp: () => Promise.resolve('10.77.64.2'),
          hostname: () => 'lab',
          concurrency: () => 15,
          httpProbe: () => ({ acceptInvalidCerts: true, batchSize: 200 }),
        }),
      },
    });
    const payload: DiscoveryUpdatePayload = {
      session_id: randomUUID(),
      daemon_id: daemonId,
      network_id: randomUUID(),
      discovery_type: { type: 'Docker', host_id: randomUUID(), host_naming_fallback: 'BestService' },
      phase: 'Pending',
      progress: 0,
      error: null,
      started_at: null,
      finished_at: null,
    };
    expect(sessions.start(payload)).toBe(true);
    // Both containers are inside Docker, each waiting on its in-container probe.
    await until(() => engine.seen.filter((s) => s.endsWith('/start')).length === 2);
    sessions.cancel('test');
    await sessions.idle();
    // The session ended without waiting for Docker to answer.
    expect(engine.unanswered()).toBe(2);

    const phases = protocol.calls(/\/update$/).map((r) => (r.body as DiscoveryUpdatePayload).phase);
    expect(phases).toEqual(['Started', 'Cancelled']);
    // Only the daemon host with its Docker service was reported; no container was.
    const hosts = protocol.calls(/hosts\/discovery$/).map((r) => r.body as DiscoveryHostRequest);
    expect(hosts.map((h) => h.services.map((s) => s.service_definition))).toEqual([['Docker']]);
  });
});
