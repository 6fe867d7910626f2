import type { FastifyBaseLogger, FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Db } from '../db/client.ts';
import { sha256Hex } from '../auth/tokens.ts';
import { DaemonCallError, DaemonClient, type DaemonPoll, type EntitiesCreated } from './daemon-client.ts';
import { serverCapabilities } from './daemon-protocol.routes.ts';
import { runningPhases, terminalPhases, type SessionRow, type SessionsService } from './sessions.service.ts';

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

interface PolledDaemon {
  id: string;
  network_id: string;
  host_id: string;
  name: string | null;
  url: string;
  version: string | null;
  last_seen: Date | null;
  plaintext_key: string | null;
  key_hash: string | null;
}

/**
 * server_poll ("DMZ mode", daemon.md §2.5): the daemon never calls out; the server calls its HTTP API. Each poll
 * (first-contact or status, then poll, entities-created, cancel, initiate) is claimed by one replica through
 * server_poll_claims. What the daemon reports is replayed through the server's own daemon routes (in-process, with
 * the daemon's key), so both modes share validation, merge rules, session logic and events.
 */
export class ServerPoller {
  private readonly opts: ServerPollOptions;

  constructor(
    private readonly deps: {
      app: FastifyInstance;
      db: Db;
      sessions: SessionsService;
      log: FastifyBaseLogger;
      options: ServerPollOptions;
    },
  ) {
    this.opts = deps.options;
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
          await this.deps.db.query(
            `UPDATE server_poll_claims SET claimed_until = now() + make_interval(secs => $2) WHERE daemon_id = $1`,
            [d.id, this.opts.holdSeconds],
          );
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
    return this.deps.db.query<PolledDaemon>(
      `WITH claimed AS (
         INSERT INTO server_poll_claims (daemon_id, claimed_until)
         SELECT id, now() + make_interval(secs => $1) FROM daemons
         WHERE mode = 'server_poll' AND NOT is_unreachable AND NOT standby
         ON CONFLICT (daemon_id) DO UPDATE SET claimed_until = EXCLUDED.claimed_until
           WHERE server_poll_claims.claimed_until < now()
         RETURNING daemon_id)
       SELECT d.id, d.network_id, d.host_id, d.name, d.url, d.version, d.last_seen, k.plaintext_key, k.key_hash
       FROM claimed c JOIN daemons d ON d.id = c.daemon_id LEFT JOIN api_keys k ON k.id = d.api_key_id`,
      [leaseSeconds],
    );
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

    const asDaemon = this.injector(d, key, status.version ?? d.version);
    const progress = polled.progress as { session_id?: string; phase?: string } | null;
    if (progress?.session_id) {
      const res = await asDaemon('POST', `/api/v1/discovery/${progress.session_id}/update`, progress);
      if (res.statusCode !== 200) log.warn({ status: res.statusCode, body: res.body }, 'progress refused');
    }
    await this.ingest(client, asDaemon, polled, log);

    // The daemon runs at most one session; what it reports running is the truth.
    const runningThere =
      progress?.session_id && !terminalPhases.includes(progress.phase ?? '') ? progress.session_id : null;
    const mine = await this.deps.db.query<SessionRow>(
      `SELECT * FROM discovery_sessions WHERE daemon_id = $1 AND (phase = ANY($2) OR cancel_requested)
       ORDER BY created_at`,
      [d.id, runningPhases],
    );
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
      await this.deps.db.query(
        `UPDATE discovery_sessions SET cancel_requested = false WHERE id = $1 AND phase = ANY($2)`,
        [runningThere, terminalPhases],
      );
      return;
    }
    if (runningThere) return;
    await this.dispatch(d, client, log);
  }

  /** Hands the daemon its oldest Pending session; a dispatch that fails puts it back in the queue. */
  private async dispatch(d: PolledDaemon, client: DaemonClient, log: FastifyBaseLogger): Promise<void> {
    const next = await this.deps.db.transaction((tx) => this.deps.sessions.claimNext(tx, d.id));
    if (!next) return;
    try {
      await client.initiate(next.id, next.discovery_type);
      log.info({ session_id: next.id, discovery_type: next.discovery_type.type }, 'session dispatched');
    } catch (err) {
      await this.deps.sessions.release(next.id);
      log.warn({ session_id: next.id, err: (err as Error).message }, 'dispatch failed; session stays queued');
    }
  }

  /** Subnets first (hosts refer to them), then hosts; each on its own, so one bad entity does not sink the rest. */
  private async ingest(
    client: DaemonClient,
    asDaemon: ReturnType<ServerPoller['injector']>,
    polled: DaemonPoll,
    log: FastifyBaseLogger,
  ): Promise<void> {
    const created: EntitiesCreated = { subnets: [], hosts: [] };
    for (const subnet of polled.entities.subnets) {
      const res = await asDaemon('POST', '/api/v1/subnets', subnet);
      if (res.statusCode === 200)
        created.subnets.push([String(subnet.id), res.json<{ data: unknown }>().data]);
      else log.warn({ status: res.statusCode, body: res.body.slice(0, 300) }, 'subnet from daemon refused');
    }
    for (const host of polled.entities.hosts) {
      const res = await asDaemon('POST', '/api/v1/hosts/discovery', host);
      const pendingId = String((host.host as { id?: unknown } | undefined)?.id);
      if (res.statusCode === 200) created.hosts.push([pendingId, res.json<{ data: unknown }>().data]);
      else log.warn({ status: res.statusCode, body: res.body.slice(0, 300) }, 'host from daemon refused');
    }
    if (created.subnets.length || created.hosts.length) {
      await this.tryCall(log, 'entities-created', () => client.entitiesCreated(created));
    }
  }

  private async applyStatus(
    d: PolledDaemon,
    status: { name?: string; mode?: string; version?: string | null; capabilities?: unknown },
    firstContact: boolean,
  ): Promise<void> {
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
        ? JSON.stringify({
            has_docker_socket: caps.has_docker_socket,
            interfaced_subnet_ids: caps.interfaced_subnet_ids.filter((x) => typeof x === 'string'),
          })
        : null;
    await this.deps.db.transaction(async (tx) => {
      await tx.query(
        `UPDATE daemons SET last_seen = now(), version = COALESCE($2, version), capabilities = COALESCE($3, capabilities),
           updated_at = now() WHERE id = $1`,
        [d.id, typeof status.version === 'string' ? status.version.slice(0, 50) : null, capabilities],
      );
      if (!firstContact) return;
      // As at registration: the daemon reports its own host once; scanning the network is the user's choice.
      const [net] = await tx.query<{ name: string }>('SELECT name FROM networks WHERE id = $1', [
        d.network_id,
      ]);
      await this.deps.sessions.createDiscovery(
        tx,
        d.id,
        d.network_id,
        `Self Report — ${net.name}`,
        { type: 'SelfReport', host_id: d.host_id },
        true,
      );
    });
    if (firstContact)
      this.deps.log.info({ daemon_id: d.id }, 'server_poll daemon contacted for the first time');
  }

  /** Calls the server's own daemon routes as this daemon (same validation and rules as a daemon_poll daemon). */
  private injector(d: PolledDaemon, key: string, version: string | null) {
    return (method: 'POST', url: string, body: unknown): Promise<LightMyRequestResponse> =>
      this.deps.app.inject({
        method,
        url,
        headers: {
          authorization: `Bearer ${key}`,
          'x-daemon-id': d.id,
          ...(version ? { 'x-daemon-version': version } : {}),
          'content-type': 'application/json',
        },
        payload: JSON.stringify(body),
      });
  }

  private async markUnreachable(d: PolledDaemon, log: FastifyBaseLogger, why: string): Promise<void> {
    await this.deps.db.query('UPDATE daemons SET is_unreachable = true, updated_at = now() WHERE id = $1', [
      d.id,
    ]);
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
