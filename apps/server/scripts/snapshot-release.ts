// Builds the upgrade fixture of a release (apps/server/test/fixtures/releases/<version>/) from a checkout of it:
//   node --import tsx apps/server/scripts/snapshot-release.ts <checkout> [version]
// The release's own server runs on a throwaway PostgreSQL database, is filled through its API, and the database is
// dumped. See "Upgrade fixtures" in apps/server/README.md.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { repoRoot } from '../src/config.ts';
import { buildWorld, httpTransport } from '../test/fixtures/api-world.ts';

const ADMIN_URL = process.env.SCANOPY_TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const PASSWORD = 'Upgrade-Horse-7';
/** Lists the upgrade test compares after upgrading; invites expire and sessions end, so they are checked by id. */
const compared = [
  '/api/v1/organizations',
  '/api/v1/networks',
  '/api/v1/subnets',
  '/api/v1/hosts',
  '/api/v1/interfaces',
  '/api/v1/ports',
  '/api/v1/services',
  '/api/v1/bindings',
  '/api/v1/tags',
  '/api/v1/groups',
  '/api/v1/daemons',
  '/api/v1/auth/daemon',
  '/api/v1/auth/keys',
  '/api/v1/discovery',
  '/api/v1/users',
];

function usage(): never {
  console.error(
    'usage: node --import tsx apps/server/scripts/snapshot-release.ts <release checkout> [version]',
  );
  process.exit(2);
}

const git = (dir: string, ...args: string[]) =>
  execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8' }).trim();

/**
 * A copy of the checkout's tracked files whose node_modules are this repository's, except that the workspace
 * packages (@scanopy/*) are the release's own. A release checkout usually has its node_modules linked to the
 * current ones, which would otherwise load today's @scanopy/contracts into yesterday's server.
 */
function stage(checkout: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'scanopy-release-'));
  execFileSync('sh', ['-c', `git -C "${checkout}" archive HEAD | tar -x -C "${dir}"`]);
  const workspaces = (
    JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { workspaces: string[] }
  ).workspaces;
  const modules = path.join(dir, 'node_modules');
  mkdirSync(path.join(modules, '@scanopy'), { recursive: true });
  const donor = realpathSync(path.join(repoRoot, 'node_modules'));
  for (const entry of readdirSync(donor)) {
    if (entry !== '@scanopy') symlinkSync(path.join(donor, entry), path.join(modules, entry));
  }
  for (const ws of workspaces) {
    const pkg = JSON.parse(readFileSync(path.join(dir, ws, 'package.json'), 'utf8')) as { name: string };
    symlinkSync(path.join(dir, ws), path.join(modules, pkg.name));
    // Nested node_modules hold versions that differ from the root's (the server's ajv 8, for one).
    const nested = path.join(repoRoot, ws, 'node_modules');
    if (existsSync(nested) && !existsSync(path.join(dir, ws, 'node_modules'))) {
      symlinkSync(nested, path.join(dir, ws, 'node_modules'));
    }
  }
  return dir;
}

/** Starts the staged release's server on the database and resolves with its base URL once it listens. */
function startServer(dir: string, databaseUrl: string): Promise<{ child: ChildProcess; baseUrl: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/server/src/main.ts'], {
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      SCANOPY_DATABASE_URL: databaseUrl,
      SCANOPY_SERVER_PORT: '0',
      SCANOPY_BIND_ADDRESS: '127.0.0.1',
      SCANOPY_INTEGRATED_DAEMON: 'false',
      SCANOPY_WEB_DIR: path.join(dir, 'no-web-ui'),
      SCANOPY_RATE_LIMIT_PER_MINUTE: '0',
      SCANOPY_DATA_DIR: path.join(dir, 'data'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(out);
      if (m) resolve({ child, baseUrl: m[1] });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) =>
      reject(new Error(`release server exited (${code}) before listening:\n${out}`)),
    );
  });
}

/** The INSERT statements of a data-only dump, without the session settings around them (PGlite keeps those). */
function insertsOnly(dump: string): string {
  const start = dump.indexOf('INSERT INTO ');
  const end = dump.lastIndexOf('\n--\n-- PostgreSQL database dump complete');
  if (start < 0 || end < start) throw new Error('the dump has no INSERT statements');
  return `${dump.slice(start, end).trimEnd()}\n`;
}

async function main(): Promise<void> {
  const [checkoutArg, versionArg] = process.argv.slice(2);
  if (!checkoutArg) usage();
  const checkout = path.resolve(checkoutArg);
  const version = versionArg ?? git(checkout, 'describe', '--tags', '--exact-match', 'HEAD');
  const out = path.join(repoRoot, 'apps/server/test/fixtures/releases', version);

  const dbName = `scanopy_snapshot_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  await admin.end();
  const dbUrl = new URL(ADMIN_URL);
  dbUrl.pathname = `/${dbName}`;

  const dir = stage(checkout);
  let child: ChildProcess | undefined;
  try {
    const started = await startServer(dir, dbUrl.toString());
    child = started.child;
    console.log(`${version} listening at ${started.baseUrl}`);
    const send = httpTransport(started.baseUrl);
    const w = await buildWorld(send, { password: PASSWORD, label: 'release' });
    // The lists as this release answers them: the upgraded server must still answer the same ids and values.
    const api: Record<string, unknown> = {};
    for (const url of compared) api[url] = await w.owner.api.data('GET', url);
    child.kill('SIGTERM');
    await new Promise((resolve) => child?.once('exit', resolve));
    child = undefined;

    const dump = execFileSync(
      'pg_dump',
      ['--data-only', '--column-inserts', '--no-owner', '--no-privileges', '--dbname', dbUrl.toString()],
      { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
    );
    rmSync(out, { recursive: true, force: true });
    mkdirSync(path.join(out, 'migrations'), { recursive: true });
    const migrations = path.join(dir, 'apps/server/src/db/migrations');
    for (const f of readdirSync(migrations).filter((f) => f.endsWith('.sql'))) {
      cpSync(path.join(migrations, f), path.join(out, 'migrations', f));
    }
    writeFileSync(
      path.join(out, 'data.sql'),
      `-- Data of a ${version} database filled through its API by apps/server/scripts/snapshot-release.ts\n` +
        `-- (pg_dump --data-only --column-inserts; load after this directory's migrations and schema_migrations).\n` +
        insertsOnly(dump),
    );
    const world = {
      version,
      commit: git(checkout, 'rev-parse', 'HEAD'),
      password: PASSWORD,
      owner: { id: w.owner.id, email: w.owner.email },
      member: w.member,
      organization_id: w.organizationId,
      network_ids: [w.networkId, w.secondNetworkId],
      tag_ids: w.tagIds,
      subnet_ids: w.subnetIds,
      host_ids: w.hostIds,
      group_id: w.groupId,
      discovery_id: w.discoveryId,
      open_invite_id: w.openInviteId,
      daemon: { id: w.daemon.id, key_id: w.daemon.keyId, key: w.daemon.key, host_id: w.daemon.hostId },
      user_key: w.userKey,
      api,
    };
    writeFileSync(path.join(out, 'world.json'), `${JSON.stringify(world, null, 2)}\n`);
    console.log(`wrote ${path.relative(repoRoot, out)}`);
  } finally {
    if (child) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child?.once('exit', resolve));
    }
    // rmSync unlinks the node_modules symlinks without following them.
    rmSync(dir, { recursive: true, force: true });
    const a = new pg.Client({ connectionString: ADMIN_URL });
    await a.connect();
    await a.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await a.end();
  }
}

await main();
