import path from 'node:path';
import pino from 'pino';
import { ConfigError, loadConfig } from './config.ts';
import { openDb } from './db/client.ts';
import { migrate } from './db/migrate.ts';
import { SERVER_VERSION } from './version.ts';
import { backup, CliError, restore, startControlSocket } from './cli/backup.ts';

const USAGE = `Usage: scanopy [command]

Commands:
  serve            run the server (the default)
  backup <file>    write a gzipped dump of the embedded database to <file>; works while the server runs
  restore <file>   replace the embedded database with a backup (stop the server first)
  --version        print the version
  --help           print this help

Settings come from SCANOPY_* environment variables (docs/configuration.md); backup and restore use the same
SCANOPY_DATA_DIR as the server. PostgreSQL is backed up with pg_dump (docs/deployment.md).
`;

/** Graceful shutdown must finish well inside the 10 s a container runtime waits before SIGKILL. */
const SHUTDOWN_DEADLINE_MS = 8_000;

async function main(): Promise<void> {
  const [command = 'serve', ...args] = process.argv.slice(2);
  if (command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  if (command === '--version' || command === '-V') {
    process.stdout.write(`scanopy ${SERVER_VERSION}\n`);
    return;
  }
  if (!['serve', 'backup', 'restore'].includes(command) || args.length !== (command === 'serve' ? 0 : 1)) {
    process.stderr.write(USAGE);
    process.exit(2);
  }
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`Configuration error: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  if (command === 'backup') {
    const done = await backup(config, args[0]);
    console.log(
      `backup written to ${args[0]} (${done.bytes} bytes, from the ${done.from === 'server' ? 'running server' : 'data directory'})`,
    );
    return;
  }
  if (command === 'restore') {
    const done = await restore(config, args[0]);
    console.log(
      `restored ${args[0]}${done.previous ? `; the previous database was kept in ${done.previous}` : ''}. Start the server to use it.`,
    );
    return;
  }
  const log = pino({
    level: config.logLevel,
    redact: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-api-key"]'],
  });
  log.info({ version: SERVER_VERSION }, 'Scanopy server starting');
  const db = await openDb({
    databaseUrl: config.databaseUrl,
    pgliteDir: config.databaseUrl ? undefined : path.join(config.dataDir, 'pglite'),
  });
  log.info({ backend: db.kind, data_dir: config.databaseUrl ? undefined : config.dataDir }, 'database open');
  const applied = await migrate(db);
  log.info({ applied }, applied.length ? 'migrations applied' : 'database schema up to date');

  // Loaded only to serve, so that `scanopy backup` and `restore` start quickly.
  const [{ createServices }, { buildApp }, { DiscoveryLoop }] = await Promise.all([
    import('./services.ts'),
    import('./app.ts'),
    import('./discovery/discovery-loop.ts'),
  ]);
  const services = createServices({ config, db, log });
  const daemon = services.integratedDaemon;
  const app = await buildApp({ config, db, logger: log, services });
  await app.listen({ port: config.serverPort, host: config.bindAddress });
  // `scanopy backup` asks the running server for a consistent dump of the embedded database.
  const stopControl = db.kind === 'pglite' ? await startControlSocket(db, config.dataDir, log) : null;
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.serverPort;
  log.info(`Scanopy server listening on http://${config.bindAddress}:${port}`);
  // The integrated daemon runs on this machine, so it reaches the server over loopback unless bound elsewhere.
  const host = ['0.0.0.0', '::'].includes(config.bindAddress) ? '127.0.0.1' : config.bindAddress;
  if (daemon) await daemon.start(`http://${host.includes(':') ? `[${host}]` : host}:${port}`);

  // Schedules, the stall sweep (its first pass checks sessions left running by the previous process) and
  // server_poll daemons.
  const discoveryLoop = new DiscoveryLoop(services);
  await discoveryLoop.start();

  // Expired sessions (including anonymous setup sessions) are purged hourly.
  const sweep = setInterval(() => {
    void services.sessions.purgeExpired().catch((err: unknown) => log.warn({ err }, 'session sweep failed'));
  }, 3600_000);
  sweep.unref();

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    log.info({ signal }, 'shutting down');
    // Whatever hangs, the process ends before the container runtime's SIGKILL: the database is what matters, and
    // PostgreSQL and PGlite both recover from an unclean stop.
    setTimeout(() => {
      log.error('graceful shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    try {
      // The integrated daemon reports its running session as Cancelled; sessions of other daemons stay with them.
      await daemon?.stop();
      await discoveryLoop.stop();
      await stopControl?.();
      await app.close();
      await db.close();
      log.info('stopped');
      process.exit(0);
    } catch (err) {
      log.error({ err }, 'error while shutting down');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  if (err instanceof CliError) {
    console.error(err.message);
    process.exit(1);
  }
  // Some settings are only checked by the part that uses them (e.g. the metrics allow-list).
  if (err instanceof ConfigError) {
    console.error(`Configuration error: ${err.message}`);
    process.exit(2);
  }
  console.error(err);
  process.exit(1);
});
