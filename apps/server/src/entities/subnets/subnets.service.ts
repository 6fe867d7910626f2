import type { Principal } from '../../auth/principal.ts';
import { assertNetwork, type EntityService } from '../../http/crud.ts';
import { AppError } from '../../http/errors.ts';
import type { EntityTagsService } from '../tags/entity-tags.service.ts';
import type { SubnetsRepository } from './subnets.repository.ts';

export interface SubnetFields {
  cidr: string;
  name: string;
  description?: string | null;
  subnet_type: string;
  tags?: string[];
}
export interface NewSubnet extends SubnetFields {
  id?: string;
  network_id: string;
  source?: unknown;
}

/** Daemon host ids of the Docker discoveries that reported a subnet; null when no Docker discovery did. */
function dockerHosts(source: unknown): Set<string> | null {
  const s = source as { type?: string; metadata?: Array<{ type?: string; host_id?: string }> } | null;
  if (s?.type !== 'Discovery' && s?.type !== 'DiscoveryWithMatch') return null;
  const hosts = (s.metadata ?? []).filter((m) => m.type === 'Docker').map((m) => m.host_id ?? '');
  return hosts.length ? new Set(hosts) : null;
}

/**
 * Subnet equality for a create with a CIDR already on the network (daemon.md §7.3): the same, except that
 * two subnets both reported by Docker discovery, either of them a DockerBridge, are the same only when the
 * same daemon host reported them — every Docker host reuses 172.17.0.0/16 for its own private bridge.
 */
export function sameSubnet(
  existing: { subnet_type: string; source: unknown },
  incoming: { subnet_type: string; source?: unknown },
): boolean {
  const a = dockerHosts(existing.source);
  const b = dockerHosts(incoming.source);
  if (!a || !b) return true;
  if (existing.subnet_type !== 'DockerBridge' && incoming.subnet_type !== 'DockerBridge') return true;
  return [...b].some((host) => a.has(host));
}

export class SubnetsService {
  constructor(
    private readonly subnets: SubnetsRepository,
    private readonly entities: EntityService<'subnets'>,
    private readonly tags: EntityTagsService,
  ) {}

  /**
   * The same CIDR on the same network is the same subnet (system subnets never merge): a daemon gets the existing
   * row back unchanged, a user is told it exists. Docker bridges are the exception (daemon.md §7.3).
   */
  async create(p: Principal, b: NewSubnet) {
    assertNetwork(p, b.network_id);
    const id = await this.subnets.transaction(async (trx) => {
      await this.subnets.lockNetwork(trx, b.network_id);
      const candidates = await this.subnets.withCidr(trx, b.network_id, b.cidr);
      const existing = candidates.find((c) =>
        sameSubnet(c, { subnet_type: b.subnet_type, source: b.source }),
      );
      if (existing) {
        if (p.kind === 'daemon') return existing.id;
        throw new AppError('entity_already_exists', { entity: 'Subnet' });
      }
      const newId = await this.subnets.insert(trx, {
        id: b.id,
        network_id: b.network_id,
        cidr: b.cidr,
        name: b.name,
        description: b.description ?? null,
        subnet_type: b.subnet_type,
        source: p.kind === 'daemon' ? (b.source ?? { type: 'Discovery', metadata: [] }) : { type: 'Manual' },
      });
      if (b.tags?.length) await this.tags.set(trx, 'Subnet', p.organizationId, newId, b.tags);
      return newId;
    });
    return this.entities.get(p, id);
  }

  async update(p: Principal, id: string, b: SubnetFields) {
    await this.entities.get(p, id);
    await this.subnets.transaction(async (trx) => {
      await this.subnets.update(trx, id, {
        cidr: b.cidr,
        name: b.name,
        description: b.description ?? null,
        subnet_type: b.subnet_type,
      });
      if (b.tags) await this.tags.set(trx, 'Subnet', p.organizationId, id, b.tags);
    });
    return this.entities.get(p, id);
  }
}
