import type { DaemonRegistrationRequest } from '@scanopy/contracts';
import type { ConfigStore } from '../config/store.ts';
import type { SessionManager } from '../discovery/session-manager.ts';
import type { Logger } from '../logger.ts';
import { isApiError, isTransportError } from './api-client.ts';
import { BACKOFF, retry, sleep, type BackoffPolicies } from './retry.ts';
import type { ServerApi } from './server-api.ts';
import { versionSkewWarning, type ServerVersions } from './version-skew.ts';

export interface DaemonPollDeps {
  api: ServerApi;
  store: ConfigStore;
  sessions: SessionManager;
  logger: Logger;
  version: string;
  /** Whether a Docker socket answers; sent at registration. */
  hasDockerSocket: () => Promise<boolean>;
  policies?: Partial<BackoffPolicies>;
  now?: () => number;
}

const HEALTH_LOG_EVERY = 10;

/**
 * daemon_poll mode (daemon.md §2.3–2.4): startup or register, then request work every
 * heartbeat_interval. It never gives up: an unreachable server is retried with capped backoff,
 * and a server that forgot the daemon (404 entity_not_found) gets a fresh registration.
 */
export class DaemonPollLink {
  private registered = false;
  private polls = 0;
  private readonly startedAt: number;
  private readonly policies: BackoffPolicies;
  private readonly now: () => number;
  private warnedMissing = false;
  private reRegisteredAt = -Infinity;

  constructor(private readonly deps: DaemonPollDeps) {
    this.policies = { ...BACKOFF, ...deps.policies };
    this.now = deps.now ?? Date.now;
    this.startedAt = this.now();
  }

  get isRegistered(): boolean {
    return this.registered;
  }

  get pollCount(): number {
    return this.polls;
  }

  /** Runs until the signal aborts; resolves then. */
  async run(signal: AbortSignal): Promise<void> {
    const intervalMs = this.deps.store.config.heartbeat_interval * 1000;
    let nextTick = this.now();
    while (!signal.aborted) {
      let again = false;
      try {
        again = await this.tick(signal);
      } catch (err) {
        if (signal.aborted) break;
        again = this.handleError(err);
      }
      if (again) continue;
      // Fixed-rate ticks; ticks missed while a request hung are skipped, never bunched up.
      const now = this.now();
      nextTick += intervalMs;
      if (nextTick <= now) nextTick = now + intervalMs - ((now - nextTick) % intervalMs);
      try {
        await sleep(nextTick - now, signal);
      } catch {
        break;
      }
    }
  }

  /** One poll; returns true when the loop should go again at once (after a re-registration). */
  private async tick(signal: AbortSignal): Promise<boolean> {
    const config = this.deps.store.config;
    if (!config.network_id || !config.daemon_api_key) {
      if (!this.warnedMissing) {
        this.deps.logger.warn(
          { has_network_id: Boolean(config.network_id), has_api_key: Boolean(config.daemon_api_key) },
          'network_id and daemon_api_key are required to talk to the server; generate a daemon key in the UI',
        );
        this.warnedMissing = true;
      }
      return false;
    }
    if (!this.registered) await this.connect(config.network_id, signal);

    const [payload, cancel] = await retry(
      () =>
        this.deps.api.requestWork(
          { name: config.name, mode: config.mode, version: this.deps.version, url: config.daemon_url },
          signal,
        ),
      {
        policy: this.policies.transport,
        shouldRetry: isTransportError,
        onRetry: (err, attempt, ms) => this.logUnreachable(err, attempt, ms),
        signal,
      },
    );
    this.polls++;
    if (cancel) this.deps.sessions.cancel();
    if (payload) {
      if (this.deps.sessions.activeSessionId) {
        this.deps.logger.warn({ session_id: payload.session_id }, 'server sent work while a session runs');
      } else {
        this.deps.logger.info(
          { session_id: payload.session_id, discovery_type: payload.discovery_type.type },
          'received discovery work',
        );
        this.deps.sessions.start(payload);
      }
    }
    if (this.polls % HEALTH_LOG_EVERY === 0) {
      this.deps.logger.info(
        {
          uptime_s: Math.round((this.now() - this.startedAt) / 1000),
          polls: this.polls,
          discovery: this.deps.sessions.activeSessionId ? 'active' : 'idle',
        },
        'Health: OK',
      );
    }
    return false;
  }

  /** startup; on "not registered" (or a key the server has not saved yet) register instead. */
  private async connect(networkId: string, signal: AbortSignal): Promise<void> {
    await retry(
      async () => {
        try {
          const caps = await this.deps.api.startup(this.deps.version, signal);
          this.deps.logger.info(
            { server_version: caps.server_version, daemon_id: this.deps.api.daemonId },
            'connected to server (startup)',
          );
          this.warnOnVersionSkew(caps);
        } catch (err) {
          if (isApiError(err, 'entity_not_found') || isApiError(err, 'auth_daemon_key_not_created')) {
            await this.register(networkId, signal);
            return;
          }
          throw err;
        }
      },
      {
        policy: this.policies.transport,
        shouldRetry: isTransportError,
        onRetry: (err, attempt, ms) => this.logUnreachable(err, attempt, ms),
        signal,
      },
    );
    this.registered = true;
  }

  private async register(networkId: string, signal: AbortSignal): Promise<void> {
    const config = this.deps.store.config;
    const request: DaemonRegistrationRequest = {
      daemon_id: config.id,
      network_id: networkId,
      name: config.name,
      mode: config.mode,
      capabilities: {
        has_docker_socket: await this.deps.hasDockerSocket(),
        interfaced_subnet_ids: config.capabilities.interfaced_subnet_ids,
      },
      user_id: config.user_id,
      version: this.deps.version,
      url: config.daemon_url,
    };
    this.deps.logger.info({ daemon_id: config.id, network_id: networkId }, 'registering daemon');
    const res = await retry(() => this.deps.api.register(request, signal), {
      policy: this.policies.keyNotCreated,
      // Onboarding: the UI shows the key before it is saved, so the first attempts may be early.
      shouldRetry: (err) => isApiError(err, 'auth_daemon_key_not_created'),
      onRetry: (_err, attempt, ms) =>
        this.deps.logger.warn(
          { attempt, retry_in_ms: ms },
          'daemon API key not yet known to the server; retrying',
        ),
      signal,
    });
    await this.deps.store.update({ host_id: res.host_id });
    this.deps.logger.info({ daemon_id: res.daemon.id, host_id: res.host_id }, 'daemon registered');
    if (res.server_capabilities) this.warnOnVersionSkew(res.server_capabilities);
  }

  private warnOnVersionSkew(server: ServerVersions): void {
    const warning = versionSkewWarning(this.deps.version, server);
    if (warning) this.deps.logger.warn({ daemon_version: this.deps.version, ...server }, warning);
  }

  /** Logs a failed tick and says whether to retry at once instead of waiting for the next tick. */
  private handleError(err: unknown): boolean {
    const log = this.deps.logger;
    const message = (err as Error).message;
    if (isApiError(err, 'entity_not_found') && this.registered) {
      // The daemon was deleted or the server lost its data: register again instead of failing forever.
      log.warn({ err: message }, 'server no longer knows this daemon; re-registering');
      this.registered = false;
      // At once, but at most once per interval so a confused server cannot make us spin.
      const now = this.now();
      const immediate = now - this.reRegisteredAt >= this.deps.store.config.heartbeat_interval * 1000;
      if (immediate) this.reRegisteredAt = now;
      return immediate;
    }
    if (isApiError(err, 'auth_not_authenticated')) {
      log.error({ err: message }, 'the server rejected the daemon API key (revoked?); generate a new key');
    } else if (isApiError(err, 'entity_expired') || isApiError(err, 'entity_disabled')) {
      log.error({ err: message }, 'the daemon API key is expired or disabled');
    } else if (isApiError(err, 'daemon_standby')) {
      log.warn({ err: message }, 'daemon is in standby; idling');
    } else if (isApiError(err, 'auth_daemon_key_not_created')) {
      log.error({ err: message }, 'API key validation timed out; will keep trying');
    } else {
      log.error({ err: message, code: isApiError(err) ? err.code : undefined }, 'request to server failed');
    }
    return false;
  }

  private logUnreachable(err: unknown, attempt: number, ms: number): void {
    this.deps.logger.warn(
      { attempt, retry_in_ms: ms, err: (err as Error).message },
      'server unreachable; retrying with backoff',
    );
  }
}
