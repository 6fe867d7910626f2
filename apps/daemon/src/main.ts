import {
  applyProcessTlsSetting,
  ConfigError,
  helpText,
  loadConfig,
  type LoadedConfig,
} from './config/index.ts';
import { ConfigStore } from './config/store.ts';
import { createLogger } from './logger.ts';
import { DaemonRuntime } from './runtime.ts';
import { isScanWorker, runScanWorker } from './scanner/scan-worker.ts';
import { DAEMON_VERSION } from './version.ts';

/** Exit code for invalid configuration, like most CLIs' usage errors. */
const EXIT_CONFIG = 2;

async function main(): Promise<void> {
  let loaded: LoadedConfig;
  try {
    loaded = loadConfig({ argv: process.argv.slice(2) });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(EXIT_CONFIG);
    }
    throw err;
  }
  if (loaded.help) {
    process.stdout.write(helpText(DAEMON_VERSION));
    return;
  }
  if (loaded.version) {
    process.stdout.write(`scanopy-daemon ${DAEMON_VERSION}\n`);
    return;
  }

  const logger = createLogger(loaded.config.log_level);
  for (const warning of loaded.warnings) logger.warn(warning);
  applyProcessTlsSetting(loaded.config);

  const store = new ConfigStore(loaded, (err) =>
    logger.error({ err: err.message }, 'could not save config file'),
  );
  try {
    // Persist right away so the generated daemon id is the same after a restart.
    if (await store.persistIfChanged()) logger.info({ path: store.path }, 'config file written');
  } catch (err) {
    logger.error(
      { path: store.path, err: (err as Error).message },
      'could not write config file; the daemon id will change on restart',
    );
  }

  const runtime = new DaemonRuntime(store, { logger });
  try {
    await runtime.start();
  } catch (err) {
    logger.fatal({ err: (err as Error).message }, 'daemon failed to start');
    process.exit(1);
  }

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    runtime
      .stop()
      .then(() => process.exit(0))
      .catch((err: Error) => {
        logger.error({ err: err.message }, 'error while shutting down');
        process.exit(1);
      });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  // Started by the server as its integrated daemon (with an IPC channel): never outlive it, even if it was killed.
  if (process.channel) {
    process.channel.unref();
    process.on('disconnect', () => shutdown('parent process exited'));
  }
}

// The single-file bundle is also the scan workers' entry (scanner/scan-pool.ts starts it with a worker role).
if (isScanWorker()) runScanWorker();
else await main();
