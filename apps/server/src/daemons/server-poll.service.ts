import type { FastifyBaseLogger } from 'fastify';
import type { Static, TSchema } from 'typebox';
import { CreateSubnetBody, DiscoveryHostRequest, DiscoveryUpdatePayload } from '@scanopy/contracts';
import type { AuthService } from '../auth/auth.service.ts';
import type { DaemonPrincipal } from '../auth/principal.ts';
import { sha256Hex } from '../auth/tokens.ts';
import type { IngestionService } from '../entities/hosts/ingestion.service.ts';
import type { JobsService } from '../discovery/jobs.service.ts';
import { runningPhases, terminalPhases, type SessionsService } from '../discovery/sessions.service.ts';
import type { SubnetsService } from '../entities/subnets/subnets.service.ts';
import {
  DaemonCallError,
  DaemonClient,
  type DaemonPoll,
  type DaemonStatus,
  type EntitiesCreated,
} from './daemon-client.ts';
import { serverCapabilities } from './daemon-version.ts';
import type { DaemonsRepository, PolledDaemon } from './daemons.repository.ts';
import { ReportChecker } from './report-checker.ts';

export interface ServerPollOptions {
  /** Per request to a daemon (the reference uses 10 s). */
  timeoutMs: number;
  /** Tries per call before the daemon is marked unreachable, with exponential backoff between them. */
  attempts: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  /** Daemons polled at once by one replica. */
  concurrency: number;
  /** After a poll, no replica polls the same daemon again for this long (about half the loop interval). */
  holdSeconds: number;
}

/** The reference's schedule: 10 s timeout, 5 tries backing off from 5 s to 30 s, 10 daemons at a time. */
export const SERVER_POLL_DEFAULTS: Omit<ServerPollOptions, 'holdSeconds'> = {
  timeoutMs: 10_000,
  attempts: 5,
  backoffInitialMs: 5_000,
  backoffMaxMs: 30_000,
  concurrency: 10,
};

/**
 * server_poll ("DMZ mode", daemon.md §2.5): the daemon never calls out; the server calls its HTTP API. Each poll
 * (first-contact or status, then poll, entities-created, cancel, initiate) is claimed by one replica through
 * server_poll_claims. What the daemon reports goes, as the daemon with its own key, through the checks of the daemon
 * routes (report-checker.ts) to the service methods those routes call, so both modes share validation, merge rules,
 * session logic and events.
 */
export class ServerPoller {
  private readonly opts: ServerPollOptions;
  private readonly checker: ReportChecker;

  constructor(
    private readonly deps: {
      daemons: DaemonsRepository;
      auth: AuthService;
      sessions: SessionsService;
      jobs: JobsService;
      ingestion: Pick<IngestionService, 'discoverHost'>;
      subnets: Pick<SubnetsService, 'create'>;
      log: FastifyBaseLogger;
      /** The largest body the daemon routes accept (config.bodyLimitBytes). */
      bodyLimitBytes: number;
      options: ServerPollOptions;
    },
  ) {
    this.opts = deps.options;
    this.checker = new ReportChecker(deps.bodyLimitBytes);
  }

  /** Polls every server_poll daemon no other replica is polling; returns how many were polled. */
  async pollAll(): Promise<number> {
    const daemons = await this.claim();
    let next = 0;
    const worker = async () => {
      while (next < daemons.length) {
        const d = daemons[next++];
        try {
          await this.pollOne(d);
        } catch (err) {
          this.deps.log.error({ err, daemon_id: d.id }, 'server_poll of daemon failed');
        } finally {
          await this.deps.daemons.holdClaim(d.id, this.opts.holdSeconds);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.opts.concurrency, daemons.length) }, worker));
    return daemons.length;
  }

  private async claim(): Promise<PolledDaemon[]> {
    // The claim outlives the slowest poll (every call timing out through all its retries).
    const leaseSeconds = Math.ceil(
      (this.opts.attempts * (this.opts.timeoutMs + this.opts.backoffMaxMs)) / 1000 + 60,
    );
    return this.deps.daemons.claimServerPoll(leaseSeconds);
  }

  private async pollOne(d: PolledDaemon): Promise<void> {
    const log = this.deps.log.child({ daemon_id: d.id });
    const key = d.plaintext_key;
    if (!key || sha256Hex(key) !== d.key_hash) {
      // Rotated or replaced keys are stored as hashes only: the server can no longer authenticate to the daemon.
      await this.markUnreachable(
        d,
        log,
        'the daemon key has no stored plaintext (rotated?); provision it again',
      );
      return;
    }
    const client = new DaemonClient(d.url, key, this.opts.timeoutMs);
    const firstContact = d.last_seen === null;

    let status;
    let polled: DaemonPoll;
    try {
      status = await this.retry(() =>
        firstContact ? client.firstContact(d.id, serverCapabilities()) : client.status(),
      );
      await this.applyStatus(d, status, firstContact);
      polled = await this.retry(() => client.poll());
    } catch (err) {
      await this.markUnreachable(d, log, (err as Error).message);
      return;
    }

    const reporter = await this.reporter(d, key, status.version ?? d.version, log);
    const progress = polled.progress as { session_id?: string; phase?: string } | null;
    if (reporter) {
      if (progress?.session_id) await this.reportProgress(reporter, polled.progress, log);
      await this.ingest(client, reporter, polled, log);
    }

    // The daemon runs at most one session; what it reports running is the truth.
    const runningThere =
      progress?.session_id && !terminalPhases.includes(progress.phase ?? '') ? progress.session_id : null;
    const mine = await this.deps.sessions.openOrCancelling(d.id);
    for (const s of mine) {
      if (s.id === runningThere) continue;
      if (runningPhases.includes(s.phase)) {
        await this.deps.sessions.abandon(s.id, 'The daemon is no longer running this session');
        log.warn({ session_id: s.id }, 'daemon is not running a session the server dispatched; closed');
      }
    }
    const current = mine.find((s) => s.id === runningThere);
    if (runningThere && (current?.cancel_requested || !current)) {
      // Cancelled by a user, or closed by the server (stalled) while the daemon kept going.
      await this.tryCall(log, 'cancel', () => client.cancel(runningThere));
      await this.deps.sessions.cancelDelivered(runningThere);
      return;
    }
    if (runningThere) return;
    await this.dispatch(d, client, log);
  }

  /** Hands the daemon its oldest Pending session; a dispatch that fails puts it back in the queue. */
  private async dispatch(d: PolledDaemon, client: DaemonClient, log: FastifyBaseLogger): Promise<void> {
    const next = await this.deps.sessions.dispatchNext(d.id);
    if (!next) return;
    try {
      await client.initiate(next.id, next.discovery_type);
      log.info({ session_id: next.id, discovery_type: next.discovery_type.type }, 'session dispatched');
    } catch (err) {
      await this.deps.sessions.release(next.id);
      log.warn({ session_id: next.id, err: (err as Error).message }, 'dispatch failed; session stays queued');
    }
  }

  /**
   * The daemon's key as the daemon routes' auth would take it (enabled, not expired, last_used); null when refused,
   * and then nothing the daemon reported is stored this time.
   */
  private async reporter(
    d: PolledDaemon,
    key: string,
    version: string | null,
    log: FastifyBaseLogger,
  ): Promise<DaemonPrincipal | null> {
    try {
      const { principal } = await this.deps.auth.resolve({
        bearer: key,
        daemonId: d.id,
        daemonVersion: version ?? undefined,
      });
      if (principal?.kind === 'daemon') return principal;
    } catch (err) {
      log.warn({ err: (err as Error).message }, "daemon key refused; the daemon's reports wait");
    }
    return null;
  }

  private async reportProgress(p: DaemonPrincipal, progress: unknown, log: FastifyBaseLogger): Promise<void> {
    const checked = this.checker.check(DiscoveryUpdatePayload, progress);
    if (!checked.ok) {
      log.warn({ reason: checked.reason }, 'progress refused');
      return;
    }
    try {
      await this.deps.sessions.update(p.daemonId, p.networkId, checked.value);
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'progress refused');
    }
  }

  /** Subnets first (hosts refer to them), then hosts; each on its own, so one bad entity does not sink the rest. */
  private async ingest(
    client: DaemonClient,
    p: DaemonPrincipal,
    polled: DaemonPoll,
    log: FastifyBaseLogger,
  ): Promise<void> {
    const created: EntitiesCreated = { subnets: [], hosts: [] };
    for (const subnet of polled.entities.subnets) {
      const stored = await this.store(log, 'subnet', CreateSubnetBody, subnet, (body) =>
        this.deps.subnets.create(p, body),
      );
      if (stored) created.subnets.push([String(subnet.id), stored]);
    }
    for (const host of polled.entities.hosts) {
      const pendingId = String((host.host as { id?: unknown } | undefined)?.id);
      const stored = await this.store(log, 'host', DiscoveryHostRequest, host, (body) =>
        this.deps.ingestion.discoverHost(p, body),
      );
      if (stored) created.hosts.push([pendingId, stored]);
    }
    if (created.subnets.length || created.hosts.length) {
      await this.tryCall(log, 'entities-created', () => client.entitiesCreated(created));
    }
  }

  /** Checks and stores one entity; returns it as stored (as the daemon route would answer), null when refused. */
  private async store<S extends TSchema>(
    log: FastifyBaseLogger,
    what: string,
    schema: S,
    body: unknown,
    save: (body: Static<S>) => Promise<unknown>,
  ): Promise<unknown> {
    const checked = this.checker.check(schema, body);
    if (!checked.ok) {
      log.warn({ reason: checked.reason }, `${what} from daemon refused`);
      return null;
    }
    try {
      return wire(await save(checked.value));
    } catch (err) {
      log.warn({ err: (err as Error).message }, `${what} from daemon refused`);
      return null;
    }
  }

  /**
   * Records what the daemon says about itself. At first contact the daemon has just probed its Docker socket, so its
   * default jobs are created then, the same ones a daemon_poll daemon gets at registration.
   */
  private async applyStatus(d: PolledDaemon, status: DaemonStatus, firstContact: boolean): Promise<void> {
    if (status.mode && status.mode !== 'server_poll') {
      this.deps.log.warn(
        { daemon_id: d.id, mode: status.mode },
        'provisioned daemon is not in server_poll mode',
      );
    }
    const caps = status.capabilities as
      { has_docker_socket?: unknown; interfaced_subnet_ids?: unknown } | undefined;
    const capabilities =
      caps && typeof caps.has_docker_socket === 'boolean' && Array.isArray(caps.interfaced_subnet_ids)
        ? {
            has_docker_socket: caps.has_docker_socket,
            interfaced_subnet_ids: caps.interfaced_subnet_ids.filter((x) => typeof x === 'string'),
          }
        : null;
    const version = typeof status.version === 'string' ? status.version.slice(0, 50) : null;
    await this.deps.daemons.transaction(async (trx) => {
      await this.deps.daemons.recordContact(trx, d.id, version, capabilities);
      if (!firstContact) return;
      await this.deps.jobs.createDefaultJobs(trx, {
        id: d.id,
        network_id: d.network_id,
        host_id: d.host_id,
        has_docker_socket: capabilities?.has_docker_socket ?? false,
      });
    });
    if (firstContact)
      this.deps.log.info({ daemon_id: d.id }, 'server_poll daemon contacted for the first time');
  }

  private async markUnreachable(d: PolledDaemon, log: FastifyBaseLogger, why: string): Promise<void> {
    await this.deps.daemons.markUnreachable(d.id);
    log.warn({ url: d.url, err: why }, 'server_poll daemon unreachable; POST retry-connection to try again');
  }

  /** A best-effort call: failures are logged, the next poll tries again. */
  private async tryCall(log: FastifyBaseLogger, what: string, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      log.warn({ err: (err as Error).message }, `${what} call to daemon failed`);
    }
  }

  private async retry<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        const retriable = err instanceof DaemonCallError && err.transport;
        if (!retriable || attempt >= this.opts.attempts) throw err;
        const ms = Math.min(this.opts.backoffMaxMs, this.opts.backoffInitialMs * 2 ** (attempt - 1));
        await new Promise((r) => setTimeout(r, ms));
      }
    }
  }
}

/** An entity as a daemon route answers it: JSON (timestamps as ISO strings). */
function wire(stored: unknown): unknown {
  return JSON.parse(JSON.stringify(stored)) as unknown;
}
