import type { ChildProcess } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ip, netnsAvailable, NetnsLab, runCommand, stopChild, sweepStaleLabs } from '@scanopy/lab';
import type { DaemonResponse, HostResponse, Network, Service, Subnet } from '@scanopy/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerClient } from '../src/platform/docker.ts';
import { Api, capture, cleanEnv, startLabServer, waitFor } from './support/netns-harness.ts';

/**
 * Docker discovery against a real Docker Engine: Debian's dockerd runs inside a lab namespace with a
 * private data root, exec root and socket, its networks in 10.77.64.0/20. Images cannot be pulled, so
 * one is made with `docker import` from a root filesystem holding BusyBox (httpd serves the pages,
 * wget answers the in-container probes). A real server and a real daemon in the namespace run the
 * session; the inventory must show the containers as services of the daemon's host.
 */

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function which(name: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/local/sbin', '/usr/sbin', '/sbin', '/usr/bin'];
  for (const dir of dirs) {
    if (dir && existsSync(path.join(dir, name))) return path.join(dir, name);
  }
  return null;
}

const bins = { dockerd: which('dockerd'), docker: which('docker'), busybox: which('busybox') };
const netns = await netnsAvailable();
const missing = Object.entries(bins)
  .filter(([, p]) => !p)
  .map(([name]) => name);
const skipReason = !netns.ok
  ? netns.reason
  : missing.length
    ? `${missing.join(', ')} not installed (apt-get install docker.io busybox-static)`
    : null;
if (skipReason && process.env.CI) throw new Error(`CI must run the Docker discovery tests: ${skipReason}`);
const title = `Docker discovery against a real Docker Engine${skipReason ? ` (skipped: ${skipReason})` : ''}`;

// 10.77.64.0/20 belongs to this test: the daemon's links, the Docker bridge and Docker's address pool.
const SERVER_IP = '10.77.64.1';
const DAEMON_IP = '10.77.64.2';
const SECOND_IP = '10.77.65.2';
const BRIDGE_CIDR = '10.77.70.0/24';
const USER_NET_CIDR = '10.77.72.0/24';
const IMAGE = 'scanopy-lab/web:1';

const PAGES = {
  'www-ha':
    '<!DOCTYPE html><html><head><title>Home Assistant</title></head><body>Home Assistant</body></html>',
  'www-plain': '<!DOCTYPE html><html><head><title>Nothing here</title></head><body>Just a page</body></html>',
  'www-js': '<!DOCTYPE html><html><head><title>Jellyseerr</title></head><body>Jellyseerr</body></html>',
};

/**
 * `ip netns exec` mounts a fresh /sys, which hides the cgroup hierarchies dockerd needs; this
 * mounts the same hierarchies again inside the namespace's private mount namespace before dockerd starts.
 */
function cgroupMountScript(): string {
  const lines = ['set -e'];
  const mounts = readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' '))
    .filter((f) => f.length >= 4 && f[1].startsWith('/sys/fs/cgroup'));
  const top = mounts.find((f) => f[1] === '/sys/fs/cgroup');
  if (top?.[2] === 'tmpfs') lines.push('mount -t tmpfs -o mode=755 cgroup /sys/fs/cgroup');
  for (const [, mountPoint, type, options] of mounts) {
    if (type !== 'cgroup' && type !== 'cgroup2') continue;
    lines.push(`mkdir -p ${mountPoint}`, `mount -t ${type} -o ${options} ${type} ${mountPoint}`);
  }
  lines.push('exec "$@"');
  return lines.join('\n');
}

/** Processes whose command line names `dir` (dockerd's containerd and shims), by pid. */
function processesUnder(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(dir)) pids.push(Number(entry));
    } catch {
      // The process ended meanwhile.
    }
  }
  return pids;
}

describe.skipIf(skipReason !== null)(title, () => {
  const lab = new NetnsLab();
  // Short: unix socket paths (containerd's live under the exec root) are limited to 108 bytes.
  const tmp = mkdtempSync('/tmp/scd-');
  const sock = path.join(tmp, 'docker.sock');
  let ns = '';
  let dockerd: ChildProcess | null = null;
  let dockerdLog: { text: () => string } = { text: () => '' };
  let server: ChildProcess | null = null;
  let serverLog: { text: () => string } = { text: () => '' };
  let api: Api;
  const docker = new DockerClient({ kind: 'socket', socketPath: sock });

  const cli = async (...args: string[]) => {
    const res = await runCommand(bins.docker!, ['-H', `unix://${sock}`, ...args]);
    if (res.code !== 0) throw new Error(`docker ${args.join(' ')} failed: ${res.stderr || res.stdout}`);
    return res.stdout.trim();
  };

  /** A daemon in the lab namespace, registered with a fresh network and key. */
  async function startDaemon(name: string, dockerSocket: string, port: number) {
    const network = await api.call<Network>('POST', '/api/v1/networks', { name });
    const { key } = await api.call<{ key: string }>('POST', '/api/v1/auth/daemon', {
      name: `${name}-key`,
      network_id: network.id,
    });
    const child = lab.spawnIn(ns, process.execPath, ['--import', 'tsx', 'apps/daemon/src/main.ts'], {
      cwd: repoRoot,
      env: cleanEnv({
        SCANOPY_SERVER_URL: api.base,
        SCANOPY_DAEMON_API_KEY: key,
        SCANOPY_NETWORK_ID: network.id,
        SCANOPY_HEARTBEAT_INTERVAL: '1',
        SCANOPY_NAME: name,
        SCANOPY_DAEMON_PORT: String(port),
        SCANOPY_CONFIG_PATH: path.join(tmp, name, 'config.json'),
        SCANOPY_DOCKER_SOCKET: dockerSocket,
        SCANOPY_LOG_LEVEL: 'debug',
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return { network, child, log: capture(child) };
  }

  const inventory = async (networkId: string) => {
    const q = `?network_id=${networkId}&limit=0`;
    const [hosts, subnets, daemons] = await Promise.all([
      api.call<HostResponse[]>('GET', `/api/v1/hosts${q}`),
      api.call<Subnet[]>('GET', `/api/v1/subnets${q}`),
      api.call<DaemonResponse[]>('GET', `/api/v1/daemons${q}`),
    ]);
    return { hosts, subnets, daemons };
  };

  const failWithLogs = (daemonLog: { text: () => string }) => (err: Error) => {
    throw new Error(
      `${err.message}\n--- daemon log ---\n${daemonLog.text().slice(-15_000)}\n--- server log ---\n${serverLog.text().slice(-5_000)}\n--- dockerd log ---\n${dockerdLog.text().slice(-5_000)}`,
    );
  };

  beforeAll(async () => {
    await sweepStaleLabs();
    ns = await lab.addNamespace('dk');
    await lab.addVeth({
      ns,
      nsIfname: 'eth0',
      nsAddress: `${DAEMON_IP}/24`,
      hostSuffix: 'a',
      hostAddress: `${SERVER_IP}/24`,
    });
    // A second LAN interface: a port published on one address must not show up on the other.
    await lab.addVeth({
      ns,
      nsIfname: 'eth1',
      nsAddress: `${SECOND_IP}/24`,
      hostSuffix: 'b',
      hostAddress: '10.77.65.1/24',
    });
    await ip('-n', ns, 'route', 'add', 'default', 'via', SERVER_IP);

    writeFileSync(
      path.join(tmp, 'daemon.json'),
      JSON.stringify({ 'deprecated-key-path': path.join(tmp, 'key.json') }),
    );
    dockerd = lab.spawnIn(
      ns,
      'sh',
      [
        '-c',
        cgroupMountScript(),
        'sh',
        bins.dockerd!,
        '--config-file',
        path.join(tmp, 'daemon.json'),
        '--data-root',
        path.join(tmp, 'data'),
        '--exec-root',
        path.join(tmp, 'x'),
        '--pidfile',
        path.join(tmp, 'docker.pid'),
        '-H',
        `unix://${sock}`,
        '--bip',
        '10.77.70.1/24',
        '--default-address-pool',
        'base=10.77.72.0/21,size=24',
        '--iptables=false',
        '--ip6tables=false',
        '--shutdown-timeout',
        '1',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    dockerdLog = capture(dockerd, 50_000);
    await waitFor('dockerd to answer /_ping', () => docker.ping().then(() => true), 60_000).catch(
      (err: Error) => {
        throw new Error(`${err.message}\n${dockerdLog.text()}`);
      },
    );

    const rootfs = path.join(tmp, 'rootfs');
    mkdirSync(path.join(rootfs, 'bin'), { recursive: true });
    mkdirSync(path.join(rootfs, 'tmp'));
    mkdirSync(path.join(rootfs, 'etc'));
    copyFileSync(bins.busybox!, path.join(rootfs, 'bin/busybox'));
    for (const applet of ['sh', 'httpd', 'wget', 'mktemp', 'rm', 'sleep']) {
      symlinkSync('busybox', path.join(rootfs, 'bin', applet));
    }
    writeFileSync(path.join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/:/bin/sh\n');
    for (const [dir, html] of Object.entries(PAGES)) {
      mkdirSync(path.join(rootfs, dir));
      writeFileSync(path.join(rootfs, dir, 'index.html'), html);
    }
    const imported = await runCommand('sh', [
      '-c',
      `tar -C "$1" -c . | "$2" -H "unix://$3" import - "$4"`,
      'sh',
      rootfs,
      bins.docker!,
      sock,
      IMAGE,
    ]);
    if (imported.code !== 0) throw new Error(`docker import failed: ${imported.stderr}`);

    await cli('network', 'create', 'labnet');
    // Bridge mode, published on every address and on the second LAN address only.
    await cli(
      'run',
      '-d',
      '--name',
      'ha',
      '-p',
      '18123:8123',
      '-p',
      `${SECOND_IP}:18124:8123`,
      IMAGE,
      '/bin/httpd',
      '-f',
      '-p',
      '8123',
      '-h',
      '/www-ha',
    );
    // A user network plus the default bridge, an unpublished port and a page no definition knows.
    await cli(
      'run',
      '-d',
      '--name',
      'multi',
      '--network',
      'labnet',
      '--expose',
      '8080',
      IMAGE,
      '/bin/httpd',
      '-f',
      '-p',
      '8080',
      '-h',
      '/www-plain',
    );
    await cli('network', 'connect', 'bridge', 'multi');
    // Host network mode: probed over HTTP on the daemon's own address.
    await cli(
      'run',
      '-d',
      '--name',
      'hostnet',
      '--network',
      'host',
      '--expose',
      '5055',
      IMAGE,
      '/bin/httpd',
      '-f',
      '-p',
      '5055',
      '-h',
      '/www-js',
    );

    const started = await startLabServer({
      repoRoot,
      bindIp: SERVER_IP,
      dataDir: tmp,
      email: 'docker-lab@example.com',
      keepLog: 50_000,
    });
    server = started.child;
    serverLog = started.log;
    api = started.api;
  }, 240_000);

  afterAll(async () => {
    if (dockerd && dockerd.exitCode === null) {
      // Killed at once, so dockerd's shutdown does not wait for httpd (pid 1 ignores SIGTERM).
      await cli('rm', '-f', 'ha', 'multi', 'hostnet').catch(() => undefined);
      await stopChild(dockerd, 10_000);
    }
    if (server) await stopChild(server);
    await lab.teardown();
    // A dockerd that had to be killed leaves its containerd and shims behind; they name our directory.
    for (const pid of processesUnder(tmp)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    rmSync(tmp, { recursive: true, force: true });
  }, 60_000);

  it('finishes self-report with its subnets within 6 s when the Docker socket accepts and never answers', async () => {
    const silentPath = path.join(tmp, 'silent.sock');
    const held: net.Socket[] = [];
    const silent = net.createServer((s) => held.push(s));
    await new Promise<void>((resolve) => silent.listen(silentPath, resolve));
    const daemon = await startDaemon('silent-docker', silentPath, 60_081);
    try {
      const { network } = daemon;
      const found = await waitFor(
        'the self-report host with both LAN interfaces',
        async () => {
          const inv = await inventory(network.id);
          const host = inv.hosts.find((h) => h.interfaces.length >= 2);
          return host && inv.daemons[0]?.capabilities.interfaced_subnet_ids.length === 2
            ? { ...inv, host }
            : undefined;
        },
        60_000,
      ).catch(failWithLogs(daemon.log));

      expect(held.length).toBeGreaterThanOrEqual(1);
      expect(found.daemons[0].capabilities.has_docker_socket).toBe(false);
      expect(found.host.interfaces.map((i) => i.ip_address).sort()).toEqual([DAEMON_IP, SECOND_IP]);
      const discovered = found.subnets.filter((s) => s.source.type !== 'System');
      expect(discovered.map((s) => s.cidr).sort()).toEqual(['10.77.64.0/24', '10.77.65.0/24']);
      // Docker's own bridges are left to Docker discovery, even though Docker never answered.
      expect(found.subnets.some((s) => s.cidr === BRIDGE_CIDR)).toBe(false);

      // The daemon's own clock: from taking the session to reporting it Complete.
      const selfReport = await waitFor(
        'the self-report session to finish',
        () => {
          const events = daemon.log
            .text()
            .split('\n')
            .filter((l) => l.startsWith('{'))
            .map(
              (l) =>
                JSON.parse(l) as { msg?: string; time?: string; discovery_type?: string; phase?: string },
            )
            .filter((e) => e.discovery_type === 'SelfReport');
          const starting = events.find((e) => e.msg === 'discovery session starting');
          const finished = events.find((e) => e.msg === 'discovery session finished');
          return Promise.resolve(starting && finished ? { starting, finished } : undefined);
        },
        30_000,
      ).catch(failWithLogs(daemon.log));
      expect(selfReport.finished.phase).toBe('Complete');
      const seconds = (Date.parse(selfReport.finished.time!) - Date.parse(selfReport.starting.time!)) / 1000;
      expect(seconds).toBeLessThan(6);
    } finally {
      await stopChild(daemon.child);
      held.forEach((s) => s.destroy());
      await new Promise((resolve) => silent.close(resolve));
    }
    expect(daemon.child.exitCode).toBe(0);
  }, 120_000);

  it('reports containers as services of the daemon host, with Docker subnets, published ports and in-container probes', async () => {
    const daemon = await startDaemon('docker-lab', sock, 60_082);
    const { network, log } = daemon;
    try {
      const ready = await waitFor(
        'the self-report with a Docker socket',
        async () => {
          const inv = await inventory(network.id);
          const d = inv.daemons[0];
          return d?.capabilities.has_docker_socket && d.capabilities.interfaced_subnet_ids.length === 2
            ? d
            : undefined;
        },
        60_000,
      ).catch(failWithLogs(log));

      const discovery = await api.call<{ id: string }>('POST', '/api/v1/discovery', {
        name: 'Docker — lab',
        network_id: network.id,
        daemon_id: ready.id,
        discovery_type: { type: 'Docker', host_id: ready.host_id, host_naming_fallback: 'BestService' },
        run_type: { type: 'AdHoc', last_run: null },
        tags: [],
      });
      await api.call('POST', '/api/v1/discovery/start-session', discovery.id);
      const outcome = await waitFor(
        'the Docker session to finish',
        async () => {
          const all = await api.call<
            Array<{
              discovery_type: { type: string };
              run_type: { type: string; results?: { phase: string; error: string | null; progress: number } };
            }>
          >('GET', `/api/v1/discovery?network_id=${network.id}&limit=0`);
          return all.find((d) => d.discovery_type.type === 'Docker' && d.run_type.type === 'Historical')
            ?.run_type.results;
        },
        60_000,
      ).catch(failWithLogs(log));
      if (outcome.phase !== 'Complete')
        failWithLogs(log)(new Error(`Docker session ended ${JSON.stringify(outcome)}`));
      expect(outcome).toMatchObject({ phase: 'Complete', progress: 100, error: null });
      // Progress went out as a Scanning update after the last container.
      expect(log.text()).toMatch(/"phase":"Scanning","progress":100/);

      const { hosts, subnets } = await inventory(network.id);
      // Containers are services of the daemon's host, never hosts of their own.
      expect(hosts).toHaveLength(1);
      const host = hosts[0];
      expect(host.id).toBe(ready.host_id);
      const ifaceByIp = new Map(host.interfaces.map((i) => [i.ip_address, i]));
      const ifaceById = new Map(host.interfaces.map((i) => [i.id, i]));
      const portById = new Map(host.ports.map((p) => [p.id, p]));
      const subnetById = new Map(subnets.map((s) => [s.id, s]));
      const bound = (s: Service) =>
        s.bindings
          .map((b) =>
            b.type === 'Port'
              ? `${portById.get(b.port_id)?.number}@${b.interface_id ? ifaceById.get(b.interface_id)?.ip_address : '*'}`
              : `iface@${ifaceById.get(b.interface_id)?.ip_address}`,
          )
          .sort();
      const ids = {
        ha: await cli('inspect', '-f', '{{.Id}}', 'ha'),
        multi: await cli('inspect', '-f', '{{.Id}}', 'multi'),
        hostnet: await cli('inspect', '-f', '{{.Id}}', 'hostnet'),
      };
      const ipOf = async (name: string, net: string) =>
        cli('inspect', '-f', `{{(index .NetworkSettings.Networks "${net}").IPAddress}}`, name);
      const haIp = await ipOf('ha', 'bridge');
      const multiIps = [await ipOf('multi', 'labnet'), await ipOf('multi', 'bridge')];

      // The Docker bridges are subnets of this daemon host's Docker discovery.
      for (const cidr of [BRIDGE_CIDR, USER_NET_CIDR]) {
        const subnet = subnets.find((s) => s.cidr === cidr);
        expect(subnet, cidr).toBeDefined();
        expect(subnet!.subnet_type).toBe('DockerBridge');
        expect(subnet!.source).toMatchObject({
          type: 'Discovery',
          metadata: [expect.objectContaining({ type: 'Docker', host_id: host.id })],
        });
      }
      expect(subnetById.get(ifaceByIp.get(haIp)!.subnet_id)?.cidr).toBe(BRIDGE_CIDR);
      expect(ifaceByIp.get(haIp)).toMatchObject({
        name: 'bridge',
        mac_address: expect.stringMatching(/^02:42:/),
      });
      expect(subnetById.get(ifaceByIp.get(multiIps[0])!.subnet_id)?.cidr).toBe(USER_NET_CIDR);
      expect(ifaceByIp.get(multiIps[0])?.name).toBe('labnet');

      const byDefinition = new Map(host.services.map((s) => [s.service_definition, s]));
      expect([...byDefinition.keys()].sort()).toEqual(
        ['Docker', 'Docker Container', 'Home Assistant', 'Jellyseerr', 'Scanopy Daemon'].sort(),
      );
      const dockerService = byDefinition.get('Docker')!;
      expect(dockerService.virtualization).toBeNull();
      expect(dockerService.source).toMatchObject({
        type: 'DiscoveryWithMatch',
        details: { confidence: 'Certain' },
      });
      const link = (name: keyof typeof ids) => ({
        type: 'Docker',
        details: { service_id: dockerService.id, container_id: ids[name], container_name: name },
      });

      // Identified by the probe run inside the container; published on every LAN address and on the
      // second one only, never on a Docker bridge.
      const ha = byDefinition.get('Home Assistant')!;
      expect(ha.virtualization).toEqual(link('ha'));
      expect(ha.source).toMatchObject({
        type: 'DiscoveryWithMatch',
        details: {
          confidence: 'High',
          reason: { type: 'reason', data: 'Endpoint 8123/ response contained "home assistant"' },
        },
      });
      expect(bound(ha)).toEqual(
        [`8123@${haIp}`, `18123@${DAEMON_IP}`, `18123@${SECOND_IP}`, `18124@${SECOND_IP}`].sort(),
      );

      // No definition knows the page: the container fallback, named after the container, holding its
      // port on both of its networks.
      const multi = byDefinition.get('Docker Container')!;
      expect(multi.name).toBe('multi');
      expect(multi.virtualization).toEqual(link('multi'));
      expect(bound(multi)).toEqual(multiIps.map((i) => `8080@${i}`).sort());

      // Host network: the exposed port answered on the daemon's own address, matched per host interface. The
      // self-report already saw the same listener on 0.0.0.0 (kernel socket table) and bound it to every
      // interface, which covers the per-interface bindings; Docker discovery merged into that one service.
      const jellyseerr = byDefinition.get('Jellyseerr')!;
      expect(jellyseerr.virtualization).toEqual(link('hostnet'));
      const jb = bound(jellyseerr);
      expect(
        jb.includes('5055@*') || (jb.includes(`5055@${DAEMON_IP}`) && jb.includes(`5055@${SECOND_IP}`)),
        JSON.stringify(jb),
      ).toBe(true);
      expect(jb.every((b) => b.startsWith('5055@'))).toBe(true);

      expect(host.ports.map((p) => `${p.number}/${p.protocol}`).sort()).toEqual(
        expect.arrayContaining(['8123/Tcp', '18123/Tcp', '18124/Tcp', '8080/Tcp', '5055/Tcp']),
      );
    } finally {
      await stopChild(daemon.child);
    }
    expect(daemon.child.exitCode).toBe(0);
  }, 180_000);
});
