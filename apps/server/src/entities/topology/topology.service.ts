import type { Principal } from '../../auth/principal.ts';
import { assertNetwork, type EntityService } from '../../http/crud.ts';
import { AppError } from '../../http/errors.ts';
import type { TagsRepository } from '../tags/tags.repository.ts';
import type { TopologiesRepository } from './topology.repository.ts';

export interface TopologyInput {
  id?: string;
  network_id: string;
  name: string;
  parent_id?: string | null;
  tags?: string[];
  options?: object;
}

/** Topology storage: create only for now; building, refresh, locking and node edits come with the builder. */
export class TopologyService {
  constructor(
    private readonly topologies: TopologiesRepository,
    private readonly self: EntityService<'topologies'>,
    private readonly tags: TagsRepository,
  ) {}

  async create(p: Principal, b: TopologyInput) {
    assertNetwork(p, b.network_id);
    const id = await this.topologies.transaction(async (trx) => {
      if (b.parent_id) await this.self.reference(p, b.parent_id, b.network_id, 'Topology', trx);
      const tags = [...new Set(b.tags ?? [])];
      if ((await this.tags.countInOrganization(p.organizationId, tags, trx)) !== tags.length) {
        throw new AppError('entity_reference_invalid');
      }
      return this.topologies.insert(trx, {
        id: b.id,
        network_id: b.network_id,
        name: b.name,
        parent_id: b.parent_id ?? null,
        tags,
        options: b.options,
      });
    });
    return this.self.get(p, id);
  }
}
