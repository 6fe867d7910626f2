import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SCAN_WORKER_ROLE,
  type FromWorker,
  type ToWorker,
} from '../../apps/daemon/src/scanner/scan-worker.ts';
import { PRESETS } from '../../apps/daemon/src/scanner/presets.ts';
import { bundleDaemon, bundleServer } from '../bundle.ts';
import {
  Api,
  cleanEnv,
  delay,
  execStart,
  freePort,
  repoRoot,
  startServer,
  tempDir,
  waitFor,
  type ServerProcess,
} from './support.ts';

const run = promisify(execFile);

interface Daemon {
  id: string;
  name: string;
  host_id: string;
  last_seen: string | null;
  version: string | null;
  version_status: { status: string };
}
interface Discovery {
  daemon_id: string;
  discovery_type: { type: string };
  run_type: { type: string; results?: { phase?: string } };
}

const daemonVersion = (
  JSON.parse(readFileSync(path.join(repoRoot, 'apps/daemon/package.json'), 'utf8')) as {
    version: string;
  }
).version;

/** Command lines of the processes whose command line mentions `needle`. */
function processesRunning(needle: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      if (cmd.includes(needle)) found.push(cmd);
    } catch {
      // The process ended meanwhile.
    }
  }
  return found;
}

/**
 * The bundles of deploy/bundle.ts installed the way the server image and the systemd units lay them out
 * (apps/server/dist/main.mjs, apps/daemon/dist/scanopy-daemon.mjs, only the packages the bundle leaves external in
 * node_modules; no sources, no TypeScript loader), run for real on loopback: the server with its integrated daemon, and the single-file daemon
 * from a directory holding nothing else, started with only `node`. SAFETY: both daemons only self-report; the
 * standalone one reports loopback only and has no Docker socket.
 */
describe('the bundled server and the single-file daemon', () => {
  const root = tempDir('install');
  const empty = tempDir('daemon-only');
  const dataDir = tempDir('install-data');
  let server: ServerProcess;
  let api: Api;
  let networkId: string;
  let remote: ChildProcess | undefined;
  let remoteLog = '';

  beforeAll(async () => {
    const daemonBundle = path.join(root, 'apps/daemon/dist/scanopy-daemon.mjs');
    await Promise.all([bundleServer(root), bundleDaemon(daemonBundle)]);
    copyFileSync(
      path.join(repoRoot, 'apps/server/package.json'),
      path.join(root, 'apps/server/package.json'),
    );
    // node_modules holds only what dist/external-packages.json lists (linked from this checkout instead of installed).
    const { dependencies } = JSON.parse(
      readFileSync(path.join(root, 'apps/server/dist/external-packages.json'), 'utf8'),
    ) as { dependencies: Record<string, string> };
    expect(Object.keys(dependencies).sort()).toEqual(['@electric-sql/pglite', '@node-rs/argon2']);
    for (const name of Object.keys(dependencies)) {
      mkdirSync(path.dirname(path.join(root, 'node_modules', name)), { recursive: true });
      symlinkSync(path.join(repoRoot, 'node_modules', name), path.join(root, 'node_modules', name));
    }
    copyFileSync(daemonBundle, path.join(empty, 'scanopy-daemon.mjs'));
    server = await startServer(
      dataDir,
      {
        SCANOPY_INTEGRATED_DAEMON: 'true',
        SCANOPY_INTEGRATED_DAEMON_PORT: String(await freePort()),
        SCANOPY_DAEMON_HEARTBEAT_INTERVAL: '2',
      },
      [path.join(root, 'apps/server/dist/main.mjs')],
    );
    api = new Api(server.base);
    networkId = await api.createOwner();
  });

  afterAll(async () => {
    remote?.kill('SIGKILL');
    await server?.stop();
    for (const d of [root, empty, dataDir]) rmSync(d, { recursive: true, force: true });
  });

  const daemons = () => api.call<Daemon[]>('GET', '/api/v1/daemons');
  const selfReported = async (daemonId: string) =>
    (await api.call<Discovery[]>('GET', '/api/v1/discovery')).some(
      (d) =>
        d.daemon_id === daemonId &&
        d.discovery_type.type === 'SelfReport' &&
        d.run_type.type === 'Historical' &&
        d.run_type.results?.phase === 'Complete',
    );

  it('runs the integrated daemon from its bundle, which registers and self-reports', async () => {
    const integrated = await waitFor('the integrated daemon to register', async () =>
      (await daemons()).find((d) => d.last_seen !== null),
    );
    expect(integrated.version).toBe(daemonVersion);
    expect(integrated.version_status.status).toBe('Current');
    await waitFor('its self-report', () => selfReported(integrated.id));
    const running = processesRunning(path.join(root, 'apps/daemon/dist/scanopy-daemon.mjs'));
    expect(running).toHaveLength(1);
    expect(running[0]).not.toContain('tsx');
  });

  it('runs the single-file daemon from an empty directory with only node, and it self-reports', async () => {
    const { key } = await api.call<{ key: string }>('POST', '/api/v1/auth/daemon', {
      name: 'remote-1 key',
      network_id: networkId,
    });
    // Nothing from this checkout or this shell: no PATH, no NODE_* settings, a home of its own.
    remote = spawn(process.execPath, ['scanopy-daemon.mjs'], {
      cwd: empty,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        HOME: empty,
        SCANOPY_SERVER_URL: server.base,
        SCANOPY_NETWORK_ID: networkId,
        SCANOPY_DAEMON_API_KEY: key,
        SCANOPY_NAME: 'remote-1',
        SCANOPY_DAEMON_PORT: String(await freePort()),
        SCANOPY_BIND_ADDRESS: '127.0.0.1',
        SCANOPY_INTERFACES: 'lo',
        SCANOPY_DOCKER_SOCKET: path.join(empty, 'no-docker.sock'),
        SCANOPY_HEARTBEAT_INTERVAL: '1',
      },
    });
    remote.stdout!.on('data', (c: Buffer) => (remoteLog += c.toString()));
    remote.stderr!.on('data', (c: Buffer) => (remoteLog += c.toString()));
    const exited = new Promise<number | null>((resolve) => remote!.once('exit', (code) => resolve(code)));

    const registered = await waitFor('the daemon to register', async () =>
      (await daemons()).find((d) => d.name === 'remote-1' && d.last_seen !== null),
    ).catch((err: Error) => {
      throw new Error(`${err.message}\ndaemon output:\n${remoteLog.slice(-3000)}`);
    });
    expect(registered.version).toBe(daemonVersion);
    expect(registered.version_status.status).toBe('Current');
    await waitFor('its self-report', () => selfReported(registered.id));
    const host = await api.call<{ id: string }>('GET', `/api/v1/hosts/${registered.host_id}`);
    expect(host.id).toBe(registered.host_id);

    // It stops on SIGTERM like under systemd or docker.
    remote.kill('SIGTERM');
    expect(await Promise.race([exited, delay(10_000).then(() => 'still running')])).toBe(0);
    remote = undefined;
    // Besides the bundle, only what it keeps: its id and key, under its home's config directory.
    expect(readdirSync(empty, { recursive: true }).sort()).toEqual([
      '.config',
      '.config/daemon',
      '.config/daemon/remote-1',
      '.config/daemon/remote-1/config.json',
      'scanopy-daemon.mjs',
    ]);
  });

  it('the single-file daemon is also its own scan worker thread (one per core during a port scan)', async () => {
    // scan-pool.ts starts the bundle itself as a worker with this role; main.ts then scans the hosts it is handed
    // instead of starting a daemon. SAFETY: the only connect goes to a closed port on loopback.
    const closedPort = await freePort();
    const worker = new Worker(path.join(empty, 'scanopy-daemon.mjs'), {
      workerData: { role: SCAN_WORKER_ROLE },
      stdout: true,
      stderr: true,
    });
    let output = '';
    worker.stdout.on('data', (c: Buffer) => (output += c.toString()));
    worker.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const messages: FromWorker[] = [];
    const got = (n: number) =>
      waitFor(`${n} worker message(s)`, async () => messages.length >= n, 15_000).catch((err: Error) => {
        throw new Error(`${err.message}\nworker output:\n${output.slice(-3000)}`);
      });
    worker.on('message', (m: FromWorker) => messages.push(m));
    worker.postMessage({
      t: 'init',
      plan: { priority: [closedPort], ranges: [] },
      settings: { ...PRESETS.polite, connect_timeout_ms: 2000 },
      scope: { subnets: ['127.0.0.1/32'] },
      localAddress: null,
      socketBudget: 64,
      globalPps: 5000,
      stop: new Int32Array(new SharedArrayBuffer(4)),
    } satisfies ToWorker);
    await got(1);
    expect(messages[0]).toEqual({ t: 'ready' });
    worker.postMessage({ t: 'host', id: 1, host: '127.0.0.1', hint: null } satisfies ToWorker);
    const result = () =>
      messages.flatMap((m) => (m.t === 'events' ? m.b : [])).find((e) => e[0] === 'result' && e[1] === 1);
    await waitFor('the host summary', async () => result() !== undefined, 15_000);
    expect(result()?.[2]).toMatchObject({ host: '127.0.0.1', status: 'complete', open: [], closed: 1 });
    expect(await worker.terminate()).toBe(1);
    // It never started a daemon: no log line, no config written.
    expect(output).toBe('');
  });

  it('knows the command the systemd unit starts it with', async () => {
    const [, main, ...args] = execStart('scanopy-server.service');
    const installed = path.join(root, path.relative('/opt/scanopy', main!));
    const help = await run(process.execPath, [installed, '--help'], { env: cleanEnv({}) });
    for (const command of args) expect(help.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
  });

  it('stops within 10 s of SIGTERM, taking its integrated daemon along, and exits 0', async () => {
    const started = Date.now();
    server.child.kill('SIGTERM');
    const result = await Promise.race([server.exited, delay(10_000).then(() => null)]);
    const took = Date.now() - started;
    expect(result, `still running 10 s after SIGTERM:\n${server.log().slice(-3000)}`).not.toBeNull();
    expect(result).toEqual({ code: 0, signal: null });
    expect(took).toBeLessThan(10_000);
    expect(server.log()).toContain('"msg":"stopped"');
    // No process of the server's group is left (the integrated daemon ended with it).
    await waitFor(
      'the integrated daemon to end',
      async () => {
        try {
          process.kill(-server.child.pid!, 0);
          return false;
        } catch {
          return true;
        }
      },
      5_000,
    );
  });
});
