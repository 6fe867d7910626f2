import type { DiscoveryType } from '@scanopy/contracts';
import type { Principal } from '../auth/principal.ts';
import type { Kdb } from '../db/client.ts';
import { assertNetwork, type EntityService } from '../http/crud.ts';
import { AppError, badRequest } from '../http/errors.ts';
import type { EntityTagsService } from '../entities/tags/entity-tags.service.ts';
import type { JobsRepository } from './jobs.repository.ts';
import { nextRunOf, ScheduleError, validateRunType, type RunType } from './schedule.ts';
import type { SessionsService } from './sessions.service.ts';

/** A job as clients write it (the wire DiscoveryRequest). */
export interface JobInput {
  id?: string | null;
  name: string;
  network_id: string;
  daemon_id: string;
  discovery_type: DiscoveryType;
  /** Checked by the route's schema; Historical ones are refused here. */
  run_type: { type: string };
  tags?: string[];
}

/** What the default jobs of a daemon depend on. */
export interface NewDaemonJobs {
  id: string;
  network_id: string;
  /** The daemon's own host, which SelfReport and Docker discovery report on. */
  host_id: string;
  has_docker_socket: boolean;
}

/** Discovery jobs ("discovery configurations"): what a daemon runs, and when. */
export class JobsService {
  constructor(
    private readonly jobs: JobsRepository,
    private readonly entities: {
      discovery: EntityService<'discovery'>;
      daemons: EntityService<'daemons'>;
      hosts: EntityService<'hosts'>;
      subnets: EntityService<'subnets'>;
    },
    private readonly tags: EntityTagsService,
    private readonly sessions: SessionsService,
  ) {}

  /**
   * The jobs every daemon starts with, whichever way it connects (daemon_poll registration, server_poll first
   * contact), in the reference's queue order (daemon.md §3.6). The self-report and, with a Docker socket, the Docker
   * discovery (local Engine API only) run at once; the Network discovery is created but never started by itself:
   * scanning a network is always an explicit user action.
   */
  async createDefaultJobs(trx: Kdb, d: NewDaemonJobs): Promise<void> {
    const network = await this.jobs.networkName(trx, d.network_id);
    await this.createAdHoc(
      trx,
      d,
      `Self Report — ${network}`,
      { type: 'SelfReport', host_id: d.host_id },
      true,
    );
    if (d.has_docker_socket) {
      await this.createAdHoc(
        trx,
        d,
        `Docker — ${network}`,
        { type: 'Docker', host_id: d.host_id, host_naming_fallback: 'BestService' },
        true,
      );
    }
    await this.createAdHoc(
      trx,
      d,
      `Network — ${network}`,
      {
        type: 'Network',
        subnet_ids: null,
        host_naming_fallback: 'BestService',
        probe_raw_socket_ports: false,
      },
      false,
    );
  }

  async create(p: Principal, input: JobInput) {
    const id = await this.jobs.transaction(async (trx) => {
      await this.validate(trx, p, input);
      const jobId = await this.jobs.insert(trx, input);
      await this.save(trx, p, jobId, input);
      return jobId;
    });
    return this.entities.discovery.get(p, id);
  }

  async update(p: Principal, id: string, input: JobInput) {
    const current = await this.entities.discovery.get(p, id);
    if ((current.run_type as { type: string }).type === 'Historical') {
      throw new AppError('discovery_historical_read_only');
    }
    if (current.network_id !== input.network_id) {
      throw new AppError('entity_network_mismatch', { detail: 'A discovery cannot move to another network' });
    }
    await this.jobs.transaction(async (trx) => {
      await this.validate(trx, p, input);
      await this.jobs.update(trx, id, input);
      await this.save(trx, p, id, input);
    });
    return this.entities.discovery.get(p, id);
  }

  /** A job for the daemon that runs when asked (AdHoc), optionally queued to run right away. */
  private async createAdHoc(
    trx: Kdb,
    d: NewDaemonJobs,
    name: string,
    discoveryType: Record<string, unknown>,
    runNow: boolean,
  ): Promise<void> {
    const id = await this.jobs.insert(trx, {
      network_id: d.network_id,
      daemon_id: d.id,
      name,
      discovery_type: discoveryType,
      run_type: { type: 'AdHoc', last_run: null },
    });
    if (runNow) await this.sessions.enqueue(trx, id);
  }

  /** The daemon, hosts and subnets a job names must all be on its network. */
  private async validate(trx: Kdb, p: Principal, b: JobInput): Promise<void> {
    if (b.run_type.type === 'Historical') throw new AppError('discovery_historical_read_only');
    try {
      validateRunType(b.run_type as RunType);
    } catch (err) {
      if (err instanceof ScheduleError) throw badRequest(err.message);
      throw err;
    }
    assertNetwork(p, b.network_id);
    await this.entities.daemons.reference(p, b.daemon_id, b.network_id, 'Daemon', trx);
    const d = b.discovery_type;
    switch (d.type) {
      case 'SelfReport':
      case 'Docker':
        await this.entities.hosts.reference(p, d.host_id, b.network_id, 'Host', trx);
        break;
      case 'Network':
        for (const s of new Set(d.subnet_ids ?? [])) {
          await this.entities.subnets.reference(p, s, b.network_id, 'Subnet', trx);
        }
        break;
    }
  }

  private async save(trx: Kdb, p: Principal, id: string, b: JobInput): Promise<void> {
    await this.tags.set(trx, 'Discovery', p.organizationId, id, b.tags ?? []);
    // When the scheduler (schedules.service.ts) next starts it; null = not scheduled.
    await this.jobs.setNextRun(trx, id, nextRunOf(b.run_type as RunType));
  }
}
