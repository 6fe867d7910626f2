import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import type { ConfigStore } from './config/store.ts';
import { serverUrlOf } from './config/index.ts';
import { DockerDiscoveryRunner } from './discovery/docker/docker-discovery.ts';
import { SelfReportRunner, type SelfReportDeps } from './discovery/self-report/self-report.ts';
import { hasSocketTables, ownServices, readListeners } from './discovery/self-report/own-services.ts';
import { NetworkDiscoveryRunner } from './discovery/network/network-discovery.ts';
import { SessionManager } from './discovery/session-manager.ts';
import { ApiClient } from './link/api-client.ts';
import { createDaemonHttpServer } from './link/daemon-http.ts';
import { DaemonPollLink } from './link/daemon-poll.ts';
import { ServerPollLink } from './link/server-poll.ts';
import type { BackoffPolicies } from './link/retry.ts';
import { ServerApi, type DiscoverySink } from './link/server-api.ts';
import { silentLogger, type Logger } from './logger.ts';
import {
  DOCKER_PROBE_REUSE_MS,
  DOCKER_TIMEOUT_MS,
  DockerClient,
  dockerEndpointOf,
  probeDocker,
  sharedProbe,
  type DockerProbe,
} from './platform/docker.ts';
import { readLocalIp } from './platform/local-ip.ts';
import { listOwnIpv4, type OwnAddress } from './platform/interfaces.ts';
import { DAEMON_VERSION } from './version.ts';

/** Everything the runtime touches outside itself; tests replace parts of it. */
export interface RuntimeDeps {
  logger: Logger;
  version: string;
  listAddresses: (only: readonly string[]) => OwnAddress[];
  probeDocker: () => Promise<DockerProbe>;
  hostname: () => string;
  policies: Partial<BackoffPolicies>;
  /** Self-report's identification of the machine's other services; tests may leave it out (undefined). */
  ownServices?: SelfReportDeps['ownServices'];
}

/**
 * The composition root of a running daemon: HTTP server, server link and discovery sessions.
 * main.ts only parses config, builds one of these and handles signals.
 */
export class DaemonRuntime {
  private readonly deps: RuntimeDeps;
  private server: http.Server | null = null;
  private loop: Promise<void> | null = null;
  private readonly abort = new AbortController();
  private boundPort = 0;
  readonly sessions: SessionManager;
  readonly link: DaemonPollLink | null;
  /** Set in server_poll mode: the server calls this daemon's HTTP API instead of the other way round. */
  readonly serverPoll: ServerPollLink | null;

  constructor(
    private readonly store: ConfigStore,
    deps: Partial<RuntimeDeps> = {},
  ) {
    const config = store.config;
    const logger = deps.logger ?? silentLogger();
    this.deps = {
      logger,
      version: deps.version ?? DAEMON_VERSION,
      listAddresses: deps.listAddresses ?? ((only) => listOwnIpv4(only)),
      probeDocker:
        deps.probeDocker ??
        sharedProbe(
          () =>
            probeDocker(dockerEndpointOf(this.store.config), DOCKER_TIMEOUT_MS, (stage, err) =>
              logger.info({ stage, err: err.message }, 'docker not available'),
            ),
          DOCKER_PROBE_REUSE_MS,
        ),
      hostname: deps.hostname ?? (() => os.hostname()),
      policies: deps.policies ?? {},
      ownServices:
        'ownServices' in deps
          ? deps.ownServices
          : hasSocketTables
            ? async (interfaces, metadata, networkId, signal) =>
                ownServices({
                  listeners: await readListeners(),
                  interfaces,
                  skipTcpPorts: [this.boundPort],
                  networkId,
                  metadata,
                  acceptInvalidCerts: this.store.config.accept_invalid_scan_certs,
                  signal,
                })
            : undefined,
    };
    const serverUrl = serverUrlOf(config);
    this.serverPoll =
      config.mode === 'server_poll'
        ? new ServerPollLink({
            store,
            sessions: () => this.sessions,
            version: this.deps.version,
            logger,
            hasDockerSocket: async () => (await this.deps.probeDocker()).available,
          })
        : null;
    // server_poll never calls out (DMZ mode), even when a server URL is configured.
    const api =
      serverUrl && !this.serverPoll
        ? new ServerApi(
            new ApiClient({
              baseUrl: serverUrl,
              apiKey: config.daemon_api_key,
              daemonId: config.id,
              version: this.deps.version,
            }),
          )
        : null;
    const sink: DiscoverySink = this.serverPoll ?? api ?? unconfiguredSink();
    this.sessions = new SessionManager({
      sink,
      daemonId: () => this.store.config.id,
      logger,
      updatePolicy: this.deps.policies.entity,
      runners: {
        SelfReport: new SelfReportRunner({
          sink,
          listAddresses: () => this.deps.listAddresses(this.store.config.interfaces),
          probeDocker: this.deps.probeDocker,
          daemonPort: () => this.boundPort,
          bindAddress: () => this.store.config.bind_address,
          hostname: this.deps.hostname,
          saveCapabilities: (capabilities) => this.store.update({ capabilities }),
          ownServices: this.deps.ownServices,
          entityPolicy: this.deps.policies.entity,
        }),
        Docker: new DockerDiscoveryRunner({
          sink,
          docker: () => new DockerClient(dockerEndpointOf(this.store.config)),
          listAddresses: () => this.deps.listAddresses(this.store.config.interfaces),
          localIp: (addresses) => readLocalIp(addresses),
          hostname: this.deps.hostname,
          concurrency: () => this.store.config.concurrent_scans,
          httpProbe: () => ({
            acceptInvalidCerts: this.store.config.accept_invalid_scan_certs,
            batchSize: this.store.config.port_scan_batch_size,
          }),
          entityPolicy: this.deps.policies.entity,
        }),
        Network: new NetworkDiscoveryRunner({
          sink,
          config: () => ({
            scan_rate_pps: this.store.config.scan_rate_pps,
            port_scan_batch_size: this.store.config.port_scan_batch_size,
            scan_workers: this.store.config.scan_workers,
            arp_rate_pps: this.store.config.arp_rate_pps,
            arp_retries: this.store.config.arp_retries,
            accept_invalid_scan_certs: this.store.config.accept_invalid_scan_certs,
            scan_allow: this.store.config.scan_allow.length ? this.store.config.scan_allow : null,
          }),
          listAddresses: () => this.deps.listAddresses(this.store.config.interfaces),
        }),
      },
    });
    this.link =
      api && config.mode === 'daemon_poll'
        ? new DaemonPollLink({
            api,
            store,
            sessions: this.sessions,
            logger,
            version: this.deps.version,
            hasDockerSocket: async () => (await this.deps.probeDocker()).available,
            policies: this.deps.policies,
          })
        : null;
  }

  /** The port the HTTP server listens on (useful when daemon_port is 0). */
  get port(): number {
    return this.boundPort;
  }

  async start(): Promise<void> {
    const config = this.store.config;
    const log = this.deps.logger;
    const server = createDaemonHttpServer({
      version: this.deps.version,
      logger: log,
      serverPoll: this.serverPoll,
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.daemon_port, config.bind_address, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.boundPort = (server.address() as AddressInfo).port;
    log.info(
      {
        id: config.id,
        daemon_name: config.name,
        version: this.deps.version,
        config_path: this.store.path,
        server_url: serverUrlOf(config),
        network_id: config.network_id,
        mode: config.mode,
        bind: `${config.bind_address}:${this.boundPort}`,
        daemon_url: config.daemon_url ?? `http://${config.bind_address}:${this.boundPort}`,
        heartbeat_interval_s: config.heartbeat_interval,
        concurrency: config.concurrent_scans === 15 ? 'auto' : config.concurrent_scans,
      },
      'Scanopy daemon started',
    );
    if (this.serverPoll) {
      if (!config.daemon_api_key) {
        log.warn('server_poll mode needs the daemon API key from provisioning (SCANOPY_DAEMON_API_KEY)');
      }
      log.info('server_poll mode: waiting for the server to contact this daemon');
    } else if (!this.link) {
      log.warn('server_url is not set; not contacting any server');
    } else {
      this.loop = this.link.run(this.abort.signal);
    }
  }

  /** Stops polling, cancels a running session (it reports Cancelled) and closes the HTTP server. */
  async stop(): Promise<void> {
    this.abort.abort(new Error('daemon stopping'));
    this.sessions.cancel('daemon stopping');
    await this.loop;
    await this.sessions.idle();
    const server = this.server;
    this.server = null;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }
}

function unconfiguredSink(): DiscoverySink {
  const fail = () => Promise.reject(new Error('server_url is not configured'));
  return { createSubnet: fail, createHost: fail, updateCapabilities: fail, updateSession: fail };
}
