import path from 'node:path';
import pino from 'pino';
import { buildApp } from './app.ts';
import { createServices } from './services.ts';
import { ConfigError, loadConfig } from './config.ts';
import { openDb } from './db/client.ts';
import { migrate } from './db/migrate.ts';
import { DiscoveryLoop } from './discovery/discovery-loop.ts';
import { SERVER_VERSION } from './version.ts';

async function main(): Promise<void> {
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

  const services = createServices({ config, db, log });
  const daemon = services.integratedDaemon;
  const app = await buildApp({ config, db, logger: log, services });
  await app.listen({ port: config.serverPort, host: config.bindAddress });
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
    await daemon?.stop();
    await discoveryLoop.stop();
    await app.close();
    await db.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  // Some settings are only checked by the part that uses them (e.g. the metrics allow-list).
  if (err instanceof ConfigError) {
    console.error(`Configuration error: ${err.message}`);
    process.exit(2);
  }
  console.error(err);
  process.exit(1);
});
