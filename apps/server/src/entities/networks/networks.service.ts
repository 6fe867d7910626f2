import type { Principal } from '../../auth/principal.ts';
import type { EntityService } from '../../http/crud.ts';
import type { EntityTagsService } from '../tags/entity-tags.service.ts';
import type { NetworksRepository } from './networks.repository.ts';

export interface NetworkInput {
  name: string;
  tags?: string[];
}

export class NetworksService {
  constructor(
    private readonly networks: NetworksRepository,
    private readonly entities: EntityService<'networks'>,
    private readonly tags: EntityTagsService,
  ) {}

  async create(p: Principal, input: NetworkInput) {
    const id = await this.networks.transaction(async (trx) => {
      const nid = await this.networks.create(trx, p.organizationId, input.name);
      if (input.tags) await this.tags.set(trx, 'Network', p.organizationId, nid, input.tags);
      return nid;
    });
    // Owner/Admin see every org network; the principal's set was computed before this one existed.
    p.networkIds.push(id);
    return this.entities.get(p, id);
  }

  async update(p: Principal, id: string, input: NetworkInput) {
    await this.entities.get(p, id);
    await this.networks.transaction(async (trx) => {
      await this.networks.rename(trx, id, input.name);
      if (input.tags) await this.tags.set(trx, 'Network', p.organizationId, id, input.tags);
    });
    return this.entities.get(p, id);
  }
}
