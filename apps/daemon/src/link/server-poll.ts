import { createHash, timingSafeEqual } from 'node:crypto';
import type {
  DaemonCapabilities,
  DiscoveryHostRequest,
  DiscoveryType,
  DiscoveryUpdatePayload,
  HostResponse,
  Subnet,
} from '@scanopy/contracts';
import type { ConfigStore } from '../config/store.ts';
import type { SessionManager } from '../discovery/session-manager.ts';
import type { Logger } from '../logger.ts';
import { EntityBuffer, type CreatedEntities, type PendingEntities } from './entity-buffer.ts';
import type { DiscoverySink } from './server-api.ts';

/** A refusal of the daemon's HTTP API, rendered by daemon-http.ts. */
export class DaemonHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const terminal = new Set(['Complete', 'Failed', 'Cancelled']);
const discoveryTypes = new Set(['SelfReport', 'Docker', 'Network']);

const sha256 = (s: string) => createHash('sha256').update(s).digest();
const invalid = (message: string) => new DaemonHttpError(400, message, 'validation_failed');

export interface DaemonStatus {
  name: string;
  mode: string;
  version: string;
  capabilities: DaemonCapabilities;
}

export interface ServerPollDeps {
  store: ConfigStore;
  /** A getter: the session manager is built with this link as its sink. */
  sessions: () => SessionManager;
  version: string;
  logger: Logger;
  hasDockerSocket: () => Promise<boolean>;
  confirmTimeoutMs?: number;
}

/**
 * server_poll mode (daemon.md §2.5), the daemon's half: nothing goes out. Discovery results and progress are kept
 * here until the server polls them (GET /api/poll); the server confirms stored entities, starts and cancels
 * sessions through the daemon's HTTP API (daemon-http.ts routes to the methods below).
 */
export class ServerPollLink implements DiscoverySink {
  readonly buffer: EntityBuffer;
  /** The latest report of the running session. */
  private current: DiscoveryUpdatePayload | null = null;
  /** A finished session's last report, served to the server once. */
  private finished: DiscoveryUpdatePayload | null = null;
  private initiated: { session_id: string; discovery_type: DiscoveryType } | null = null;

  constructor(private readonly deps: ServerPollDeps) {
    this.buffer = new EntityBuffer(deps.confirmTimeoutMs);
  }

  /** Bearer check: the token must be this daemon's own API key (compared as SHA-256, in constant time). */
  authorize(header: string | undefined): boolean {
    const key = this.deps.store.config.daemon_api_key;
    const token = header?.toLowerCase().startsWith('bearer ') ? header.slice(7).trim() : undefined;
    if (!key || !token) return false;
    return timingSafeEqual(sha256(token), sha256(key));
  }

  // ---- DiscoverySink: what runners report ----

  createSubnet(subnet: Subnet, signal?: AbortSignal): Promise<Subnet> {
    return this.buffer.pushSubnet(subnet, signal);
  }

  createHost(request: DiscoveryHostRequest, signal?: AbortSignal): Promise<HostResponse> {
    return this.buffer.pushHost(request, signal);
  }

  /** Kept in the config (saveCapabilities); the server reads them from /api/status. */
  async updateCapabilities(): Promise<void> {}

  async updateSession(payload: DiscoveryUpdatePayload): Promise<void> {
    if (terminal.has(payload.phase)) {
      this.finished = { ...payload };
      this.current = null;
      this.initiated = null;
      this.buffer.clear('the discovery session ended');
    } else {
      this.current = { ...payload };
    }
  }

  // ---- The HTTP API the server calls ----

  async status(): Promise<DaemonStatus> {
    const c = this.deps.store.config;
    return {
      name: c.name,
      mode: c.mode,
      version: this.deps.version,
      capabilities: {
        has_docker_socket: c.capabilities.has_docker_socket,
        interfaced_subnet_ids: c.capabilities.interfaced_subnet_ids,
      },
    };
  }

  /** The server assigns this daemon its id (the one it provisioned) and learns what the daemon can do. */
  async firstContact(body: unknown): Promise<DaemonStatus> {
    const b = body as { daemon_id?: unknown } | null;
    if (typeof b?.daemon_id !== 'string' || !UUID_RE.test(b.daemon_id))
      throw invalid('daemon_id must be a UUID');
    if (this.deps.sessions().activeSessionId && b.daemon_id !== this.deps.store.config.id) {
      throw new DaemonHttpError(409, 'a discovery session is running', 'session_running');
    }
    const hasDocker = await this.deps.hasDockerSocket();
    await this.deps.store.update({
      id: b.daemon_id.toLowerCase(),
      capabilities: { ...this.deps.store.config.capabilities, has_docker_socket: hasDocker },
    });
    this.deps.logger.info({ daemon_id: b.daemon_id }, 'first contact from the server; daemon id adopted');
    return this.status();
  }

  /** Progress of the running session (or, once, of the one that just ended) and every uncollected entity. */
  poll(): { progress: DiscoveryUpdatePayload | null; entities: PendingEntities } {
    let progress: DiscoveryUpdatePayload | null = null;
    const active = this.deps.sessions().activeSessionId;
    if (this.finished) {
      progress = this.finished;
      this.finished = null;
    } else if (active && this.current?.session_id === active) {
      progress = this.current;
    } else if (active && this.initiated?.session_id === active) {
      // Running its pre-step (e.g. creating subnets) and not Started yet.
      const c = this.deps.store.config;
      progress = {
        session_id: active,
        daemon_id: c.id,
        network_id: c.network_id ?? '',
        phase: 'Started',
        discovery_type: this.initiated.discovery_type,
        progress: 0,
        error: null,
        started_at: null,
        finished_at: null,
      };
    }
    return { progress, entities: this.buffer.pending() };
  }

  entitiesCreated(body: unknown): { confirmed: number } {
    const b = body as Partial<CreatedEntities> | null;
    const pairs = (v: unknown) =>
      Array.isArray(v) &&
      v.every(
        (p) => Array.isArray(p) && p.length === 2 && typeof p[0] === 'string' && typeof p[1] === 'object',
      );
    if (!b || !pairs(b.subnets ?? []) || !pairs(b.hosts ?? [])) {
      throw invalid('expected {subnets: [[pending_id, Subnet]], hosts: [[pending_id, HostResponse]]}');
    }
    return { confirmed: this.buffer.confirm({ subnets: b.subnets ?? [], hosts: b.hosts ?? [] }) };
  }

  initiate(body: unknown): { session_id: string } {
    const b = body as { session_id?: unknown; discovery_type?: { type?: unknown } } | null;
    if (typeof b?.session_id !== 'string' || !UUID_RE.test(b.session_id))
      throw invalid('session_id must be a UUID');
    if (!b.discovery_type || !discoveryTypes.has(String(b.discovery_type.type))) {
      throw invalid('discovery_type.type must be SelfReport, Docker or Network');
    }
    const c = this.deps.store.config;
    if (!c.network_id) throw new DaemonHttpError(409, 'the daemon has no network_id', 'not_configured');
    const discoveryType = b.discovery_type as DiscoveryType;
    const payload: DiscoveryUpdatePayload = {
      session_id: b.session_id,
      daemon_id: c.id,
      network_id: c.network_id,
      phase: 'Starting',
      discovery_type: discoveryType,
      progress: 0,
      error: null,
      started_at: null,
      finished_at: null,
    };
    if (!this.deps.sessions().start(payload)) {
      throw new DaemonHttpError(409, 'a discovery session is already running', 'session_running');
    }
    this.initiated = { session_id: b.session_id, discovery_type: discoveryType };
    this.current = null;
    return { session_id: b.session_id };
  }

  cancel(body: unknown): { session_id: string } {
    if (typeof body !== 'string' || !UUID_RE.test(body))
      throw invalid('the body must be a session id (JSON string)');
    const active = this.deps.sessions().activeSessionId;
    if (!active || active !== body) {
      throw new DaemonHttpError(409, 'that session is not running', 'session_not_running');
    }
    this.deps.sessions().cancel('cancelled by the server');
    return { session_id: body };
  }
}
