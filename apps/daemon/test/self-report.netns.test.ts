import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { netnsAvailable, NetnsLab, stopChild, sweepStaleLabs } from '@scanopy/lab';
import type { DaemonResponse, HostResponse, Network, Subnet } from '@scanopy/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, capture, cleanEnv, startLabServer, waitFor } from './support/netns-harness.ts';

/**
 * The real server and real daemons: a namespace with two interfaces on two subnets runs a fresh
 * daemon ten times in a row (fresh id, fresh network each time); each daemon's FIRST self-report
 * must put its host with both interfaces and both subnets into the inventory.
 */

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const RUNS = 10;
const available = await netnsAvailable();
if (!available.ok && process.env.CI) throw new Error(`CI must run the namespace tests: ${available.reason}`);
const title = `daemon self-report in a network namespace${available.ok ? '' : ` (skipped: ${available.reason})`}`;

// Per-run subnets inside 10.77.0.0/16, so two concurrent runs on one machine do not collide.
const octetA = 10 + (process.pid % 100) * 2;
const octetB = octetA + 1;
const SERVER_IP = `10.77.${octetA}.1`;
const DAEMON_IPS = [`10.77.${octetA}.2`, `10.77.${octetB}.2`];
const CIDRS = [`10.77.${octetA}.0/24`, `10.77.${octetB}.0/24`];

describe.skipIf(!available.ok)(title, () => {
  const lab = new NetnsLab();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'scanopy-netns-'));
  let ns = '';
  let server: ChildProcess | null = null;
  let serverLog: { text: () => string } = { text: () => '' };
  let api: Api;

  beforeAll(async () => {
    await sweepStaleLabs();
    ns = await lab.addNamespace('d');
    await lab.addVeth({
      ns,
      nsIfname: 'eth0',
      nsAddress: `${DAEMON_IPS[0]}/24`,
      hostSuffix: 'a',
      hostAddress: `${SERVER_IP}/24`,
    });
    await lab.addVeth({
      ns,
      nsIfname: 'eth1',
      nsAddress: `${DAEMON_IPS[1]}/24`,
      hostSuffix: 'b',
      hostAddress: `10.77.${octetB}.1/24`,
    });

    // The machine's own services, which self-report identifies without sending a packet off the machine: one on
    // every address (identified over loopback), one bound to eth1 only, one on loopback only (never reported).
    const services = lab.spawnIn(
      ns,
      process.execPath,
      [
        '-e',
        `const net = require('net'), http = require('http');
         let up = 0; const ready = () => { if (++up === 3) console.log('ready'); };
         http.createServer((q, r) => { r.writeHead(200, {'content-type': 'text/html'}); r.end('<title>Home Assistant</title>'); })
           .listen(8123, '0.0.0.0', ready);
         net.createServer((c) => c.end('SSH-2.0-OpenSSH_9.2\\r\\n')).listen(22, process.argv[1], ready);
         net.createServer((c) => c.end()).listen(6379, '127.0.0.1', ready);`,
        DAEMON_IPS[1],
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    await new Promise<void>((resolve, reject) => {
      services.stdout!.once('data', () => resolve());
      services.once('exit', (code) => reject(new Error(`own services exited with ${code}`)));
    });

    const started = await startLabServer({
      repoRoot,
      bindIp: SERVER_IP,
      dataDir: tmp,
      email: 'lab@example.com',
    });
    server = started.child;
    serverLog = started.log;
    api = started.api;
  }, 240_000);

  afterAll(async () => {
    if (server) await stopChild(server);
    await lab.teardown();
    rmSync(tmp, { recursive: true, force: true });
  }, 60_000);

  it(`finds both subnets in the first self-report of ${RUNS} fresh daemons in a row`, async () => {
    for (let run = 1; run <= RUNS; run++) {
      const network = await api.call<Network>('POST', '/api/v1/networks', { name: `Lab run ${run}` });
      const { key } = await api.call<{ key: string }>('POST', '/api/v1/auth/daemon', {
        name: `lab-key-${run}`,
        network_id: network.id,
      });
      const name = `lab-daemon-${run}`;
      const daemon = lab.spawnIn(ns, process.execPath, ['--import', 'tsx', 'apps/daemon/src/main.ts'], {
        cwd: repoRoot,
        env: cleanEnv({
          SCANOPY_SERVER_URL: api.base,
          SCANOPY_DAEMON_API_KEY: key,
          SCANOPY_NETWORK_ID: network.id,
          SCANOPY_HEARTBEAT_INTERVAL: '1',
          SCANOPY_NAME: name,
          SCANOPY_CONFIG_PATH: path.join(tmp, `daemon-${run}`, 'config.json'),
          // Keep the run hermetic: no Docker Engine of the machine takes part.
          SCANOPY_DOCKER_SOCKET: path.join(tmp, 'no-docker.sock'),
          SCANOPY_LOG_LEVEL: 'debug',
        }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const daemonLog = capture(daemon);
      try {
        const q = `?network_id=${network.id}&limit=0`;
        const found = await waitFor(
          `run ${run}: host with ${DAEMON_IPS.join(' and ')}`,
          async () => {
            const hosts = await api.call<HostResponse[]>('GET', `/api/v1/hosts${q}`);
            const subnets = await api.call<Subnet[]>('GET', `/api/v1/subnets${q}`);
            const daemons = await api.call<DaemonResponse[]>('GET', `/api/v1/daemons${q}`);
            const host = hosts.find((h) => h.interfaces.length >= 2);
            if (!host || daemons[0]?.capabilities.interfaced_subnet_ids.length !== 2) return undefined;
            return { hosts, subnets, daemons, host };
          },
          60_000,
        ).catch((err: Error) => {
          throw new Error(
            `${err.message}\n--- daemon log ---\n${daemonLog.text()}\n--- server log ---\n${serverLog.text()}`,
          );
        });

        const { hosts, subnets, daemons, host } = found;
        expect(hosts).toHaveLength(1);
        expect(host.interfaces.map((i) => i.ip_address).sort()).toEqual([...DAEMON_IPS].sort());
        const byId = new Map(subnets.map((s) => [s.id, s]));
        for (const iface of host.interfaces) {
          const subnet = byId.get(iface.subnet_id);
          expect(subnet?.cidr).toBe(CIDRS[DAEMON_IPS.indexOf(iface.ip_address)]);
          expect(subnet?.subnet_type).toBe('Lan');
        }
        expect(subnets.map((s) => s.cidr)).toEqual(expect.arrayContaining(CIDRS));
        expect(host.services.map((s) => s.service_definition)).toContain('Scanopy Daemon');
        expect(host.ports.map((p) => p.number)).toContain(60073);
        // Own services: Home Assistant on every interface, SSH on eth1 only, nothing for the loopback listener.
        const ha = host.services.find((s) => s.service_definition === 'Home Assistant');
        expect(
          ha?.bindings.map((b) => b.interface_id),
          JSON.stringify(host.services),
        ).toEqual([null]);
        const ssh = host.services.find((s) => s.service_definition === 'SSH');
        const eth1 = host.interfaces.find((i) => i.ip_address === DAEMON_IPS[1])!;
        expect(ssh?.bindings.map((b) => b.interface_id)).toEqual([eth1.id]);
        expect(host.ports.map((p) => p.number)).not.toContain(6379);

        expect(daemons).toHaveLength(1);
        expect(daemons[0]).toMatchObject({
          name,
          network_id: network.id,
          host_id: host.id,
          mode: 'daemon_poll',
        });
        expect(daemons[0].last_seen).toEqual(expect.any(String));
        expect([...daemons[0].capabilities.interfaced_subnet_ids].sort()).toEqual(
          host.interfaces.map((i) => i.subnet_id).sort(),
        );
      } finally {
        await stopChild(daemon);
      }
      expect(daemon.exitCode).toBe(0);
    }
  }, 300_000);
});
