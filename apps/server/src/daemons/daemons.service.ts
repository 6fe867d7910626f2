import { randomUUID } from 'node:crypto';
import { requireUser, type DaemonPrincipal, type Principal } from '../auth/principal.ts';
import { assertNetwork, type EntityService } from '../http/crud.ts';
import { AppError, badRequest, notFound } from '../http/errors.ts';
import { SERVER_VERSION } from '../version.ts';
import type { JobsService } from '../discovery/jobs.service.ts';
import type { SessionsService } from '../discovery/sessions.service.ts';
import type { DaemonApiKeysService } from './daemon-api-keys.service.ts';
import { normalizeMode, serverCapabilities } from './daemon-version.ts';
import type { DaemonFields, DaemonsRepository } from './daemons.repository.ts';

export interface Registration {
  daemon_id: string;
  network_id: string;
  name: string;
  mode: string;
  capabilities: { has_docker_socket: boolean; interfaced_subnet_ids: string[] };
  user_id?: string | null;
  version?: string | null;
}

export interface Provisioning {
  name: string;
  network_id: string;
  url: string;
}

/** The daemon's base URL as the server will call it: http(s) only, no credentials, no query. */
export function daemonUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    throw badRequest('url must be an absolute http:// or https:// URL');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw badRequest('url must use http or https');
  if (u.username || u.password || u.search || u.hash) {
    throw badRequest('url must not carry credentials, a query or a fragment');
  }
  return u.toString().replace(/\/+$/, '');
}

/**
 * Daemons: registration and the calls of the daemon protocol (daemon_poll), provisioning of server_poll daemons, and
 * the connection state users see.
 */
export class DaemonsService {
  constructor(
    private readonly daemons: DaemonsRepository,
    private readonly entities: EntityService<'daemons'>,
    private readonly jobs: JobsService,
    private readonly sessions: SessionsService,
    private readonly keys: DaemonApiKeysService,
  ) {}

  /**
   * POST /register: a new daemon gets its host and its default jobs; a known one (same id, same network) is
   * updated with what it says now and keeps its host.
   */
  async register(p: DaemonPrincipal, r: Registration) {
    if (r.daemon_id !== p.daemonId) throw new AppError('daemon_identity_mismatch');
    if (r.network_id !== p.networkId) throw new AppError('daemon_network_mismatch');
    const mode = normalizeMode(r.mode);
    const hostId = await this.daemons.transaction(async (trx) => {
      const existing = await this.daemons.lock(trx, r.daemon_id);
      if (existing) {
        if (existing.network_id !== p.networkId) throw new AppError('daemon_network_mismatch');
        await this.daemons.reregister(trx, r.daemon_id, {
          name: r.name,
          mode,
          capabilities: r.capabilities,
          version: r.version ?? null,
          api_key_id: p.keyId,
        });
        return existing.host_id;
      }
      // The daemon is attributed to the given user when it belongs to this org, else to the first Owner.
      const userId = await this.daemons.userOrFirstOwner(trx, p.organizationId, r.user_id ?? null);
      if (!userId) throw new AppError('entity_reference_invalid');
      const host = randomUUID();
      await this.daemons.insertHost(trx, {
        id: host,
        network_id: p.networkId,
        name: r.name.slice(0, 100) || 'scanopy-daemon',
        source: {
          type: 'Discovery',
          metadata: [
            { type: 'SelfReport', host_id: host, daemon_id: r.daemon_id, date: new Date().toISOString() },
          ],
        },
      });
      await this.daemons.insert(trx, {
        id: r.daemon_id,
        network_id: p.networkId,
        host_id: host,
        user_id: userId,
        name: r.name,
        mode,
        capabilities: r.capabilities,
        version: r.version ?? null,
        api_key_id: p.keyId,
        seen: true,
      });
      await this.jobs.createDefaultJobs(trx, {
        id: r.daemon_id,
        network_id: p.networkId,
        host_id: host,
        has_docker_socket: r.capabilities.has_docker_socket,
      });
      return host;
    });
    return {
      daemon: await this.entities.get(p, r.daemon_id),
      host_id: hostId,
      server_capabilities: serverCapabilities(),
    };
  }

  /** Sent once per boot: whatever the daemon was running died with its previous process. Returns how many. */
  async startup(p: DaemonPrincipal, version: string): Promise<number> {
    await this.touch(p.daemonId, { version });
    return this.sessions.failRunning(p.daemonId, 'The daemon restarted while the session was running');
  }

  async updateCapabilities(p: DaemonPrincipal, capabilities: object): Promise<void> {
    await this.touch(p.daemonId, { capabilities });
  }

  /** request-work: the daemon's sign of life with its current name, mode and version, answered with its work. */
  async requestWork(p: DaemonPrincipal, status: { name?: string; mode?: string; version?: string | null }) {
    await this.touch(p.daemonId, {
      name: status.name,
      mode: status.mode ? normalizeMode(status.mode) : undefined,
      version: status.version ?? undefined,
    });
    return this.sessions.requestWork(p.daemonId);
  }

  async heartbeat(p: DaemonPrincipal): Promise<void> {
    await this.touch(p.daemonId);
  }

  /**
   * server_poll provisioning (daemon.md §2.5): a daemon the server will call at `url`, its host and its key (shown
   * once). Its default jobs are created when the server first reaches it and learns what it can do.
   */
  async provision(p: Principal, b: Provisioning) {
    const user = requireUser(p);
    assertNetwork(p, b.network_id);
    const url = daemonUrl(b.url);
    const name = b.name.trim() || 'scanopy-daemon';
    const daemonId = randomUUID();
    const key = await this.daemons.transaction(async (trx) => {
      const created = await this.keys.createServerPollKey(trx, b.network_id, name);
      const hostId = randomUUID();
      await this.daemons.insertHost(trx, {
        id: hostId,
        network_id: b.network_id,
        name,
        source: { type: 'System' },
      });
      await this.daemons.insert(trx, {
        id: daemonId,
        network_id: b.network_id,
        host_id: hostId,
        user_id: user.userId,
        name,
        url,
        mode: 'server_poll',
        version: SERVER_VERSION,
        api_key_id: created.id,
        seen: false,
      });
      return created.key;
    });
    return { daemon: await this.entities.get(p, daemonId), daemon_api_key: key };
  }

  /** Clears is_unreachable; the next discovery loop pass contacts the daemon. */
  async retryConnection(p: Principal, id: string): Promise<void> {
    await this.entities.get(p, id);
    await this.daemons.retryConnection(id);
  }

  private async touch(daemonId: string, fields?: DaemonFields): Promise<void> {
    if (!(await this.daemons.touch(daemonId, fields))) throw notFound('Daemon');
  }
}
