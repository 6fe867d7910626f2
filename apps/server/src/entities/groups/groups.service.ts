import type { DependencyRequest } from '@scanopy/contracts';
import type { Principal } from '../../auth/principal.ts';
import type { Kdb } from '../../db/client.ts';
import type { Row } from '../../db/entity-repository.ts';
import { assertNetwork, type EntityService } from '../../http/crud.ts';
import { AppError } from '../../http/errors.ts';
import type { EntityTagsService } from '../tags/entity-tags.service.ts';
import type { GroupsRepository } from './groups.repository.ts';

/** v0.17 members: an ordered list of services or of bindings. */
export type GroupMembers =
  { type: 'Bindings'; binding_ids: string[] } | { type: 'Services'; service_ids: string[] };

export interface GroupInput {
  id?: string;
  network_id: string;
  name: string;
  description?: string | null;
  group_type: string;
  color: string;
  edge_style?: string;
  /** v0.14: the ordered bindings; absent is none. */
  binding_ids?: string[];
  tags?: string[];
}

const unique = (ids: string[]) => [...new Set(ids)];
const sameList = (a: unknown[], b: unknown[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Groups (v0.14) and dependencies (v0.17, /api/v1/dependencies) are one entity. A dependency's members are bindings
 * (what a v0.14 group has) or services (stored as such, so they round-trip; a v0.14 reader sees their bindings).
 */
export class GroupsService {
  constructor(
    private readonly groups: GroupsRepository,
    private readonly entities: EntityService<'groups'>,
    private readonly tags: EntityTagsService,
    private readonly dependencies: EntityService<'groups'>,
  ) {}

  /** The ordered members and tags; every member must live on the group's network. */
  private async writeLinks(
    trx: Kdb,
    p: Principal,
    id: string,
    networkId: string,
    m: GroupMembers,
    tags: string[],
  ) {
    const ids = unique(m.type === 'Bindings' ? m.binding_ids : m.service_ids);
    const found =
      m.type === 'Bindings'
        ? await this.groups.countBindingsOnNetwork(trx, networkId, ids)
        : await this.groups.countServicesOnNetwork(trx, networkId, ids);
    if (found !== ids.length) {
      const what = m.type === 'Bindings' ? 'binding' : 'service';
      throw new AppError('entity_network_mismatch', {
        detail: `Every ${what} of a group must exist on the group network`,
      });
    }
    await this.groups.replaceBindings(trx, id, m.type === 'Bindings' ? ids : []);
    await this.groups.replaceServices(trx, id, m.type === 'Services' ? ids : []);
    await this.tags.set(trx, 'Group', p.organizationId, id, tags);
  }

  /**
   * The members a v0.14 write means. binding_ids equal to what a Services group reads as (a v0.14 client's GET → PUT
   * round trip) keep its services; any other list makes it a Bindings group.
   */
  private v014Members(current: Row | undefined, bindingIds: string[] | undefined): GroupMembers {
    const ids = unique(bindingIds ?? []);
    const members = current?.members as GroupMembers | undefined;
    if (members?.type === 'Services' && sameList(ids, current!.binding_ids as string[])) return members;
    return { type: 'Bindings', binding_ids: ids };
  }

  private async save(p: Principal, id: string | null, b: GroupInput, members: GroupMembers, current?: Row) {
    const fields = {
      name: b.name,
      description: b.description ?? null,
      group_type: b.group_type,
      color: b.color,
      edge_style: b.edge_style ?? (current?.edge_style as string | undefined) ?? 'SmoothStep',
      member_type: members.type,
    };
    return this.groups.transaction(async (trx) => {
      const gid = id ?? (await this.groups.insert(trx, b.network_id, fields, b.id));
      if (id) await this.groups.update(trx, id, fields);
      await this.writeLinks(trx, p, gid, b.network_id, members, b.tags ?? []);
      return gid;
    });
  }

  private async current(p: Principal, id: string, networkId: string, via = this.entities) {
    const current = await via.get(p, id);
    if (current.network_id !== networkId) {
      throw new AppError('entity_network_mismatch', { detail: 'A group cannot move to another network' });
    }
    return current;
  }

  async create(p: Principal, b: GroupInput) {
    assertNetwork(p, b.network_id);
    const id = await this.save(p, null, b, this.v014Members(undefined, b.binding_ids));
    return this.entities.get(p, id);
  }

  async update(p: Principal, id: string, b: GroupInput) {
    const current = await this.current(p, id, b.network_id);
    await this.save(p, id, b, this.v014Members(current, b.binding_ids), current);
    return this.entities.get(p, id);
  }

  private static fromDependency(b: DependencyRequest): GroupInput {
    return { ...b, group_type: b.dependency_type };
  }

  async createDependency(p: Principal, b: DependencyRequest) {
    assertNetwork(p, b.network_id);
    const id = await this.save(p, null, GroupsService.fromDependency(b), b.members);
    return this.dependencies.get(p, id);
  }

  async updateDependency(p: Principal, id: string, b: DependencyRequest) {
    const current = await this.current(p, id, b.network_id, this.dependencies);
    await this.save(p, id, GroupsService.fromDependency(b), b.members, current);
    return this.dependencies.get(p, id);
  }
}
