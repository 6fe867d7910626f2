import type { Principal } from '../../auth/principal.ts';
import type { Kdb } from '../../db/client.ts';
import { assertNetwork, type EntityService } from '../../http/crud.ts';
import { AppError } from '../../http/errors.ts';
import type { EntityTagsService } from '../tags/entity-tags.service.ts';
import type { GroupsRepository } from './groups.repository.ts';

export interface GroupInput {
  id?: string;
  network_id: string;
  name: string;
  description?: string | null;
  group_type: string;
  color: string;
  edge_style?: string;
  binding_ids?: string[];
  tags?: string[];
}

export class GroupsService {
  constructor(
    private readonly groups: GroupsRepository,
    private readonly entities: EntityService<'groups'>,
    private readonly tags: EntityTagsService,
  ) {}

  /** The ordered binding list and tags; every binding must live on the group's network. */
  private async writeLinks(trx: Kdb, p: Principal, id: string, b: GroupInput) {
    const bindings = [...new Set(b.binding_ids ?? [])];
    if ((await this.groups.countBindingsOnNetwork(trx, b.network_id, bindings)) !== bindings.length) {
      throw new AppError('entity_network_mismatch', {
        detail: 'Every binding of a group must exist on the group network',
      });
    }
    await this.groups.replaceBindings(trx, id, bindings);
    await this.tags.set(trx, 'Group', p.organizationId, id, b.tags ?? []);
  }

  async create(p: Principal, b: GroupInput) {
    assertNetwork(p, b.network_id);
    const id = await this.groups.transaction(async (trx) => {
      const gid = await this.groups.insert(
        trx,
        b.network_id,
        {
          name: b.name,
          description: b.description ?? null,
          group_type: b.group_type,
          color: b.color,
          edge_style: b.edge_style ?? 'SmoothStep',
        },
        b.id,
      );
      await this.writeLinks(trx, p, gid, b);
      return gid;
    });
    return this.entities.get(p, id);
  }

  async update(p: Principal, id: string, b: GroupInput) {
    const current = await this.entities.get(p, id);
    if (current.network_id !== b.network_id) {
      throw new AppError('entity_network_mismatch', { detail: 'A group cannot move to another network' });
    }
    await this.groups.transaction(async (trx) => {
      await this.groups.update(trx, id, {
        name: b.name,
        description: b.description ?? null,
        group_type: b.group_type,
        color: b.color,
        edge_style: b.edge_style ?? (current.edge_style as string),
      });
      await this.writeLinks(trx, p, id, b);
    });
    return this.entities.get(p, id);
  }
}
