import { existsSync, statSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { PGlite } from '@electric-sql/pglite';
import type { ServerConfig } from '../config.ts';
import { dumpPglite, openDb, type Db } from '../db/client.ts';

/**
 * Backups of the embedded database (PGlite). A consistent copy needs the database to be quiet, and PGlite is one
 * process's: so a running server answers `GET /backup` on a unix socket in its data directory (mode 0600, the
 * server's own user only) with a gzipped dump of its data directory, taken while it holds the only connection (no
 * transaction is open during the dump); `GET /status` tells restore that a server runs there. `scanopy backup` asks that socket and, when no server is running, opens the
 * data directory itself. `scanopy restore` needs the server stopped: it loads the dump into a fresh directory,
 * checks it opens, and swaps it in, keeping the previous directory beside it. PostgreSQL deployments use pg_dump
 * (docs/deployment.md).
 */

export class CliError extends Error {}

export const controlSocketPath = (dataDir: string) => path.join(dataDir, 'control.sock');
const pgliteDir = (dataDir: string) => path.join(dataDir, 'pglite');

/** Serves `GET /backup` on the control socket of a running server (PGlite only); returns the function to stop it. */
export async function startControlSocket(
  db: Db,
  dataDir: string,
  log: { warn: (obj: object, msg: string) => void },
): Promise<() => Promise<void>> {
  const socket = controlSocketPath(dataDir);
  // A socket file left by a server that was killed; only one server may use a data directory at a time.
  await unlink(socket).catch(() => undefined);
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/status') {
      res.writeHead(200).end('running');
      return;
    }
    if (req.method !== 'GET' || req.url !== '/backup') {
      res.writeHead(404).end();
      return;
    }
    dumpPglite(db)
      .then(async (blob) => {
        const body = gzipSync(Buffer.from(await blob.arrayBuffer()));
        res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': body.length }).end(body);
      })
      .catch((err: unknown) => {
        log.warn({ err }, 'backup failed');
        res.writeHead(500).end(String((err as Error).message));
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socket, () => resolve());
  });
  await chmod(socket, 0o600);
  return () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
}

/** What a running server answers on the socket (`/backup`: the dump), or null when no server answers. */
function askRunningServer(socket: string, what: '/backup' | '/status' = '/backup'): Promise<Buffer | null> {
  if (!existsSync(socket)) return Promise.resolve(null);
  return new Promise((resolve, reject) => {
    const req = http.get({ socketPath: socket, path: what, timeout: 600_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        if (res.statusCode === 200) resolve(body);
        else reject(new CliError(`the running server could not make the backup: ${body.toString()}`));
      });
      res.on('error', reject);
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      // A socket file without a server behind it: the server was killed.
      if (err.code === 'ECONNREFUSED' || err.code === 'ENOENT') resolve(null);
      else reject(err);
    });
  });
}

function requireEmbedded(config: ServerConfig, what: 'backup' | 'restore') {
  if (config.databaseUrl) {
    throw new CliError(
      what === 'backup'
        ? 'SCANOPY_DATABASE_URL is set: back up PostgreSQL with pg_dump (see docs/deployment.md, Backups)'
        : 'SCANOPY_DATABASE_URL is set: restore PostgreSQL with pg_restore (see docs/deployment.md, Backups)',
    );
  }
}

/** Writes a gzipped dump of the embedded database to `file`; returns where it came from. */
export async function backup(
  config: ServerConfig,
  file: string,
): Promise<{ bytes: number; from: 'server' | 'directory' }> {
  requireEmbedded(config, 'backup');
  let data = await askRunningServer(controlSocketPath(config.dataDir));
  const from = data ? 'server' : 'directory';
  if (!data) {
    if (!existsSync(path.join(pgliteDir(config.dataDir), 'PG_VERSION'))) {
      throw new CliError(`no database in ${pgliteDir(config.dataDir)} (is SCANOPY_DATA_DIR right?)`);
    }
    const db = await openDb({ pgliteDir: pgliteDir(config.dataDir) });
    try {
      data = gzipSync(Buffer.from(await (await dumpPglite(db)).arrayBuffer()));
    } finally {
      await db.close();
    }
  }
  const target = path.resolve(file);
  await mkdir(path.dirname(target), { recursive: true });
  await writeFile(`${target}.partial`, data, { mode: 0o600 });
  await rename(`${target}.partial`, target);
  return { bytes: data.length, from };
}

/**
 * Replaces the embedded database with the dump in `file` (made by `backup`); the server must be stopped. The
 * previous data directory is kept as `pglite.before-restore-<time>`. Migrations run at the next start, so a dump
 * of an older release restores into a newer one.
 */
export async function restore(config: ServerConfig, file: string): Promise<{ previous: string | null }> {
  requireEmbedded(config, 'restore');
  const socket = controlSocketPath(config.dataDir);
  if ((await askRunningServer(socket, '/status').catch(() => Buffer.alloc(0))) !== null) {
    throw new CliError('the server is running on this data directory: stop it before restoring');
  }
  if (!existsSync(file) || !statSync(file).isFile()) throw new CliError(`no backup file at ${file}`);
  const raw = await readFile(file);
  let tar: Buffer;
  try {
    tar = raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw;
  } catch (err) {
    throw new CliError(`${file} is not a Scanopy backup: ${(err as Error).message}`);
  }
  const live = pgliteDir(config.dataDir);
  const incoming = `${live}.restoring`;
  await rm(incoming, { recursive: true, force: true });
  await mkdir(path.dirname(live), { recursive: true });
  try {
    const pg = new PGlite(incoming, { loadDataDir: new Blob([tar]) });
    await pg.waitReady;
    await pg.query('select 1 from schema_migrations limit 1');
    await pg.close();
  } catch (err) {
    await rm(incoming, { recursive: true, force: true });
    throw new CliError(`${file} is not a Scanopy backup: ${(err as Error).message}`);
  }
  let previous: string | null = null;
  if (existsSync(live)) {
    previous = `${live}.before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    await rename(live, previous);
  }
  await rename(incoming, live);
  await unlink(socket).catch(() => undefined);
  return { previous };
}
