import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, delay, freePort, repoRoot, tempDir, waitFor } from './support.ts';

/**
 * The deploy tier (`npm run test:deploy`, not part of `npm test`: a cold run builds a Debian base image and both
 * images, which does not fit its budget). Nothing is pulled from a registry: deploy/test/base-images.sh makes the
 * Node base image with debootstrap and the machine's node, and a PostgreSQL image from Debian's package; the images
 * are built with NODE_IMAGE set to that base. Docker is Debian's dockerd, started here with its own socket and a
 * data root that stays between runs (so the base images and the build cache do too).
 *
 * SAFETY: this dockerd creates no bridge, no iptables rules and no NAT; every container uses the host's network
 * (the override below), listens on loopback only, and the daemon only self-reports loopback.
 */

const run = promisify(execFile);
const DATA_ROOT = '/var/lib/scanopy-deploy-docker';
const EXEC_ROOT = '/run/scanopy-deploy-docker';
const SOCKET = `${EXEC_ROOT}/docker.sock`;
const dockerHost = `unix://${SOCKET}`;

function which(name: string): string | null {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/bin', '/sbin']) {
    if (dir && existsSync(path.join(dir, name))) return path.join(dir, name);
  }
  return null;
}

const bins = {
  dockerd: which('dockerd'),
  docker: which('docker'),
  'docker-compose': which('docker-compose'),
  debootstrap: which('debootstrap'),
};
const missing = Object.entries(bins)
  .filter(([, p]) => !p)
  .map(([n]) => n);
const skipReason =
  process.getuid?.() !== 0
    ? 'needs root (dockerd, debootstrap)'
    : missing.length
      ? `${missing.join(', ')} not installed (apt-get install docker.io docker-compose debootstrap)`
      : null;

const env = { ...process.env, DOCKER_HOST: dockerHost, DOCKER_BUILDKIT: '0' };
async function docker(...args: string[]): Promise<string> {
  const res = await run(bins.docker!, args, { env, maxBuffer: 64 * 1024 * 1024 }).catch(
    (err: { stderr?: string; stdout?: string; message: string }) => {
      throw new Error(`docker ${args.join(' ')}: ${err.stderr || err.stdout || err.message}`);
    },
  );
  return res.stdout.trim();
}

/** A shipped compose file without the server's published port (host networking has none; see the override). */
function withoutPublishedPort(file: string): string {
  const shipped = readFileSync(path.join(repoRoot, file), 'utf8');
  const published = "    ports:\n      - '${SCANOPY_HTTP_PORT:-60072}:60072'\n";
  if (!shipped.includes(published)) throw new Error(`${file} no longer publishes the port as expected`);
  return shipped.replace(published, '');
}

describe.skipIf(skipReason !== null)(
  `the compose stack from images built here${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    const project = tempDir('compose');
    const name = `scanopy-deploy-test-${process.pid}`;
    let dockerd: ChildProcess | undefined;
    let ownDockerd = false;
    let httpPort = 0;
    let api: Api;
    let networkId = '';
    const images = { server: 'scanopy/server:deploy-test', daemon: 'scanopy/daemon:deploy-test' };

    /** docker-compose on a project directory holding docker-compose.yml and override.yml. */
    const composeIn = async (dir: string, projectName: string, ...args: string[]) => {
      const res = await run(
        bins['docker-compose']!,
        [
          '--project-name',
          projectName,
          '--project-directory',
          dir,
          '-f',
          path.join(dir, 'docker-compose.yml'),
          '-f',
          path.join(dir, 'override.yml'),
          ...args,
        ],
        { env: { ...env, COMPOSE_DOCKER_CLI_BUILD: '0' }, cwd: dir, maxBuffer: 64 * 1024 * 1024 },
      ).catch((err: { stderr?: string; stdout?: string; message: string }) => {
        throw new Error(`docker-compose ${args.join(' ')}: ${err.stderr || err.stdout || err.message}`);
      });
      return res.stdout + res.stderr;
    };
    const compose = (...args: string[]) => composeIn(project, name, ...args);
    const embedded = tempDir('compose-embedded');
    const composeEmbedded = (...args: string[]) => composeIn(embedded, `${name}-embedded`, ...args);
    const containerOf = async (service: string) => (await compose('ps', '-q', service)).trim();
    const health = async (service: string) =>
      docker('inspect', '-f', '{{.State.Health.Status}}', await containerOf(service));

    beforeAll(async () => {
      // A dockerd of our own unless one already answers on the socket (a previous run's, left for speed).
      const answers = await docker('version', '--format', '{{.Server.Version}}').catch(() => null);
      if (!answers) {
        mkdirSync(`${DATA_ROOT}/root`, { recursive: true });
        mkdirSync(EXEC_ROOT, { recursive: true });
        dockerd = spawn(
          bins.dockerd!,
          [
            '--data-root',
            `${DATA_ROOT}/root`,
            '--exec-root',
            `${EXEC_ROOT}/exec`,
            '--pidfile',
            `${EXEC_ROOT}/dockerd.pid`,
            '-H',
            dockerHost,
            '--bridge=none',
            '--iptables=false',
            '--ip6tables=false',
            '--ip-forward=false',
            '--ip-masq=false',
          ],
          { stdio: 'ignore' },
        );
        ownDockerd = true;
        await waitFor('dockerd', () => docker('version').then(() => true), 60_000);
      }
      const tags = (
        await run('bash', [path.join(repoRoot, 'deploy/test/base-images.sh')], {
          env,
          maxBuffer: 64 * 1024 * 1024,
        })
      ).stdout
        .trim()
        .split('\n');
      const [base, postgres] = tags.slice(-2) as [string, string];
      // Builds run on the host's network (this dockerd has no bridge) so that npm ci reaches the registry.
      for (const [app, tag] of Object.entries(images)) {
        await docker(
          'build',
          '-q',
          '--network',
          'host',
          '--build-arg',
          `NODE_IMAGE=${base}`,
          '-f',
          path.join(repoRoot, `deploy/docker/${app}.Dockerfile`),
          '-t',
          tag,
          repoRoot,
        );
      }

      httpPort = await freePort();
      const pgPort = await freePort();
      const daemonPort = await freePort();
      mkdirSync(path.join(project, 'secrets'));
      writeFileSync(path.join(project, 'secrets/postgres_password'), 'test-password-1\n');
      writeFileSync(path.join(project, 'secrets/daemon_api_key'), '');
      // Everything on the host's network, on loopback, on free ports; the daemon reports loopback only.
      writeFileSync(
        path.join(project, 'override.yml'),
        [
          'services:',
          '  server:',
          `    image: ${images.server}`,
          '    network_mode: host',
          '    environment:',
          `      SCANOPY_DATABASE_URL: postgresql://scanopy@127.0.0.1:${pgPort}/scanopy`,
          `      SCANOPY_SERVER_PORT: '${httpPort}'`,
          "      SCANOPY_BIND_ADDRESS: '127.0.0.1'",
          '  postgres:',
          `    image: ${postgres}`,
          '    network_mode: host',
          `    command: ['-c', 'port=${pgPort}', '-c', 'listen_addresses=127.0.0.1']`,
          '    healthcheck:',
          `      test: ['CMD', 'pg_isready', '-h', '127.0.0.1', '-p', '${pgPort}', '-U', 'scanopy', '-d', 'scanopy']`,
          '  daemon:',
          `    image: ${images.daemon}`,
          '    environment:',
          `      SCANOPY_SERVER_URL: http://127.0.0.1:${httpPort}`,
          `      SCANOPY_DAEMON_PORT: '${daemonPort}'`,
          "      SCANOPY_BIND_ADDRESS: '127.0.0.1'",
          "      SCANOPY_INTERFACES: 'lo'",
          "      SCANOPY_HEARTBEAT_INTERVAL: '2'",
          '    volumes:',
          // The test's dockerd instead of the host's default socket (which may not exist).
          `      - ${SOCKET}:/var/run/docker.sock:ro`,
          '',
        ].join('\n'),
      );
      writeFileSync(path.join(project, '.env'), 'SCANOPY_NETWORK_ID=\n');
      // deploy/docker-compose.yml as shipped, but for the published port: host networking (the override) has none,
      // and an override file can add to a list but not remove from it.
      writeFileSync(
        path.join(project, 'docker-compose.yml'),
        withoutPublishedPort('deploy/docker-compose.yml'),
      );
      api = new Api(`http://127.0.0.1:${httpPort}`);
    }, 1_800_000);

    afterAll(async () => {
      await compose('down', '-v', '--timeout', '5').catch(() => undefined);
      await composeEmbedded('down', '-v', '--timeout', '5').catch(() => undefined);
      rmSync(project, { recursive: true, force: true });
      rmSync(embedded, { recursive: true, force: true });
      if (ownDockerd && dockerd) {
        dockerd.kill('SIGTERM');
        await Promise.race([new Promise((r) => dockerd!.once('exit', r)), delay(20_000)]);
      }
    }, 120_000);

    it('comes up healthy with PostgreSQL; the first account is created through the API', async () => {
      await compose('up', '-d', 'server', 'postgres');
      await waitFor('a healthy server', async () => (await health('server')) === 'healthy', 120_000);
      expect(await health('postgres')).toBe('healthy');
      networkId = await api.createOwner();
      expect(networkId).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('runs the daemon container, which registers and self-reports', async () => {
      const { key } = await api.call<{ key: string }>('POST', '/api/v1/auth/daemon', {
        name: 'compose daemon',
        network_id: networkId,
      });
      writeFileSync(path.join(project, 'secrets/daemon_api_key'), `${key}\n`);
      writeFileSync(path.join(project, '.env'), `SCANOPY_NETWORK_ID=${networkId}\n`);
      await compose('up', '-d');
      const daemon = await waitFor(
        'the daemon to register',
        async () =>
          (
            await api.call<
              {
                id: string;
                name: string;
                last_seen: string | null;
                capabilities: { has_docker_socket: boolean };
              }[]
            >('GET', '/api/v1/daemons')
          ).find((d) => d.name === 'scanopy-daemon' && d.last_seen),
        120_000,
      );
      await waitFor('its self-report', async () =>
        (
          await api.call<
            { daemon_id: string; discovery_type: { type: string }; run_type: { type: string } }[]
          >('GET', '/api/v1/discovery')
        ).some(
          (d) =>
            d.daemon_id === daemon.id &&
            d.discovery_type.type === 'SelfReport' &&
            d.run_type.type === 'Historical',
        ),
      );
      // The entrypoint joined the socket's group: the daemon, unprivileged, can read the Docker socket.
      expect(daemon.capabilities.has_docker_socket).toBe(true);
      expect(await docker('exec', await containerOf('daemon'), 'stat', '-c', '%U', '/proc/1')).toBe('node');
    });

    it('keeps its data across docker-compose down and up', async () => {
      const before = await api.call<{ id: string }[]>('GET', '/api/v1/daemons');
      await compose('down', '--timeout', '10');
      await compose('up', '-d');
      await waitFor('a healthy server again', async () => (await health('server')) === 'healthy', 120_000);
      const again = new Api(api.base);
      await again.login();
      expect((await again.call<{ id: string }[]>('GET', '/api/v1/daemons')).map((d) => d.id)).toEqual(
        before.map((d) => d.id),
      );
      api = again;
    });

    it('stops the server container cleanly within 10 s of SIGTERM', async () => {
      const id = await containerOf('server');
      const started = Date.now();
      await docker('kill', '--signal', 'SIGTERM', id);
      await waitFor(
        'the server container to exit',
        async () => (await docker('inspect', '-f', '{{.State.Running}}', id)) === 'false',
        15_000,
      );
      const took = Date.now() - started;
      expect(await docker('inspect', '-f', '{{.State.ExitCode}}', id)).toBe('0');
      expect(took).toBeLessThan(10_000);
      expect(await docker('logs', id)).toContain('"msg":"stopped"');
    });

    it('runs in one container with the embedded database; backup while running, restore with the server stopped', async () => {
      const port = await freePort();
      writeFileSync(
        path.join(embedded, 'docker-compose.yml'),
        withoutPublishedPort('deploy/docker-compose.embedded.yml'),
      );
      writeFileSync(
        path.join(embedded, 'override.yml'),
        [
          'services:',
          '  server:',
          `    image: ${images.server}`,
          '    network_mode: host',
          '    environment:',
          `      SCANOPY_SERVER_PORT: '${port}'`,
          "      SCANOPY_BIND_ADDRESS: '127.0.0.1'",
          `      SCANOPY_INTEGRATED_DAEMON_PORT: '${await freePort()}'`,
          '',
        ].join('\n'),
      );
      const server = async () => (await composeEmbedded('ps', '-q', 'server')).trim();
      const healthy = async () =>
        (await docker('inspect', '-f', '{{.State.Health.Status}}', await server())) === 'healthy';
      await composeEmbedded('up', '-d');
      await waitFor('a healthy server', healthy, 120_000);
      const one = new Api(`http://127.0.0.1:${port}`);
      await one.createOwner();
      // The integrated daemon runs from the bundle in the image.
      await waitFor('the integrated daemon', async () =>
        (await one.call<{ last_seen: string | null }[]>('GET', '/api/v1/daemons')).some((d) => d.last_seen),
      );
      const made = await composeEmbedded(
        'exec',
        '-T',
        'server',
        'scanopy',
        'backup',
        '/data/backups/scanopy.tar.gz',
      );
      expect(made).toContain('from the running server');
      await one.call('POST', '/api/v1/networks', { name: 'After the backup' });

      await composeEmbedded('stop', 'server');
      const restored = await composeEmbedded(
        'run',
        '--rm',
        'server',
        'restore',
        '/data/backups/scanopy.tar.gz',
      );
      expect(restored).toContain('the previous database was kept in /data/pglite.before-restore-');
      await composeEmbedded('up', '-d');
      await waitFor('a healthy server after the restore', healthy, 120_000);
      const back = new Api(one.base);
      await back.login();
      const names = (await back.call<{ name: string }[]>('GET', '/api/v1/networks')).map((n) => n.name);
      expect(names).toHaveLength(1);
      expect(names).not.toContain('After the backup');
    });
  },
);
