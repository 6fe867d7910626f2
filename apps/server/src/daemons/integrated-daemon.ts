import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { repoRoot, type ServerConfig } from '../config.ts';
import type { DaemonApiKeysService } from './daemon-api-keys.service.ts';
import { chooseIntegratedDaemonPort } from './daemon-port.ts';
import type { DaemonsRepository } from './daemons.repository.ts';

/**
 * Runs the daemon as a separate program beside the server (it always speaks the HTTP protocol, even here). It is
 * provisioned with its own daemon key for the first network once the first account exists; the daemon persists
 * the key in its own config file under the data dir, so later starts need nothing from the server.
 */
export class IntegratedDaemon {
  private child?: ChildProcess;
  private stopping = false;
  private restarts = 0;
  private readonly configPath: string;
  private serverUrl = '';

  constructor(
    private readonly config: ServerConfig,
    private readonly daemons: DaemonsRepository,
    private readonly keys: DaemonApiKeysService,
    private readonly log: FastifyBaseLogger,
  ) {
    this.configPath = path.join(config.dataDir, 'daemon', 'config.json');
  }

  /** At boot: start the daemon when it was provisioned before; otherwise wait for the first account. */
  async start(serverUrl: string): Promise<void> {
    this.serverUrl = serverUrl;
    const state = await this.daemons.integratedState();
    if (!state) {
      this.log.info('integrated daemon waits for the first account');
      return;
    }
    if (!this.hasPersistedKey()) {
      // The daemon's own config was lost (e.g. the data dir was replaced): provision a fresh key.
      const owner = await this.daemons.firstOwnerOfNetwork(state.network_id);
      if (owner) await this.provision(state.network_id, owner);
      return;
    }
    await this.spawn({});
  }

  async provision(networkId: string, userId: string): Promise<void> {
    const { key } = await this.daemons.transaction(async (trx) => {
      const created = await this.keys.createKey(trx, networkId, 'Integrated daemon');
      await this.daemons.saveIntegratedState(trx, { network_id: networkId, api_key_id: created.id });
      return created;
    });
    this.log.info({ network_id: networkId }, 'integrated daemon provisioned');
    this.kill();
    await this.spawn({ SCANOPY_DAEMON_API_KEY: key, SCANOPY_NETWORK_ID: networkId, SCANOPY_USER_ID: userId });
  }

  private hasPersistedKey(): boolean {
    if (!existsSync(this.configPath)) return false;
    try {
      const cfg = JSON.parse(readFileSync(this.configPath, 'utf8')) as {
        daemon_api_key?: string;
        network_id?: string;
      };
      return Boolean(cfg.daemon_api_key && cfg.network_id);
    } catch {
      return false;
    }
  }

  private async spawn(extra: Record<string, string>): Promise<void> {
    if (this.stopping) return;
    const { port, warning } = await chooseIntegratedDaemonPort(this.config.integratedDaemonPort, '127.0.0.1');
    if (warning) this.log.warn(warning);
    if (this.stopping) return;
    mkdirSync(path.dirname(this.configPath), { recursive: true });
    // The server's own SCANOPY_* settings mean other things to a daemon (e.g. BIND_ADDRESS), so none are inherited.
    const env: NodeJS.ProcessEnv = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !k.startsWith('SCANOPY_')),
    );
    Object.assign(env, {
      SCANOPY_SERVER_URL: this.serverUrl,
      SCANOPY_CONFIG_PATH: this.configPath,
      SCANOPY_NAME: 'scanopy-daemon',
      SCANOPY_DAEMON_PORT: String(port),
      SCANOPY_BIND_ADDRESS: '127.0.0.1',
      SCANOPY_HEARTBEAT_INTERVAL: String(this.config.integratedDaemonHeartbeat),
      SCANOPY_LOG_LEVEL: this.config.logLevel === 'silent' ? 'error' : this.config.logLevel,
      ...extra,
    });
    // From the sources in a checkout; the server image ships only the daemon's single-file bundle (deploy/bundle.ts).
    const source = path.join(repoRoot, 'apps/daemon/src/main.ts');
    const args = existsSync(source)
      ? ['--import', 'tsx', source]
      : [path.join(repoRoot, 'apps/daemon/dist/scanopy-daemon.mjs')];
    const child = spawn(process.execPath, args, {
      env,
      cwd: repoRoot,
      // The IPC channel lets the daemon notice when the server dies, however it dies.
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child = child;
    this.log.info({ pid: child.pid }, 'integrated daemon started');
    child.on('exit', (code, signal) => {
      if (this.child !== child) return;
      this.child = undefined;
      if (this.stopping) return;
      // Crash loop protection: back off up to a minute between restarts.
      const delay = Math.min(60_000, 1000 * 2 ** Math.min(this.restarts++, 6));
      this.log.warn({ code, signal, delay }, 'integrated daemon exited; restarting');
      setTimeout(() => void this.spawn({}), delay).unref();
    });
  }

  private kill(): void {
    const c = this.child;
    this.child = undefined;
    c?.kill('SIGTERM');
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const c = this.child;
    this.child = undefined;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        c.kill('SIGKILL');
        resolve();
      }, 5000);
      c.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      c.kill('SIGTERM');
    });
  }
}
