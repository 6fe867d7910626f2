import type { Principal } from '../../auth/principal.ts';
import { scopeOf, type EntityService } from '../../http/crud.ts';
import { AppError, notFound } from '../../http/errors.ts';
import type { EntityTagsService } from './entity-tags.service.ts';
import type { TagFields, TagsRepository } from './tags.repository.ts';

export class TagsService {
  constructor(
    private readonly tags: TagsRepository,
    private readonly entityTags: EntityTagsService,
    private readonly self: EntityService<'tags'>,
    /** The entities that carry tags, by their entity_tags type, with the scope rules that say who may see them. */
    private readonly taggable: Record<string, EntityService>,
  ) {}

  /** Names are unique per organization; checked first for a clear message (the unique index still guards races). */
  private async assertNameFree(organizationId: string, name: string, exceptId: string | null) {
    if (await this.tags.nameTaken(organizationId, name, exceptId)) {
      throw new AppError('entity_already_exists', { entity: `Tag "${name}"` });
    }
  }

  /** organization_id in the body is echoed by the UI and ignored: a tag always belongs to the caller's org. */
  async create(p: Principal, b: TagFields & { id?: string }) {
    await this.assertNameFree(p.organizationId, b.name, null);
    const id = await this.tags.insert(p.organizationId, b);
    return this.self.get(p, id);
  }

  async update(p: Principal, id: string, b: TagFields) {
    await this.self.get(p, id);
    await this.assertNameFree(p.organizationId, b.name, id);
    await this.tags.update(id, b);
    return this.self.get(p, id);
  }

  /** Every id must be an entity the caller can see; one that is not makes the whole request a 404. */
  private async visible(p: Principal, entityType: string, ids: string[]) {
    const entities = this.taggable[entityType];
    const unique = [...new Set(ids)];
    const seen = await entities.repo.visibleIds(scopeOf(p), unique);
    if (seen.length !== unique.length) throw notFound(entities.name);
    return unique;
  }

  async assign(p: Principal, entityType: string, entityId: string, tagIds: string[]) {
    await this.visible(p, entityType, [entityId]);
    await this.tags.transaction((trx) =>
      this.entityTags.set(trx, entityType, p.organizationId, entityId, tagIds),
    );
  }

  async bulk(op: 'add' | 'remove', p: Principal, entityType: string, entityIds: string[], tagId: string) {
    const ids = await this.visible(p, entityType, entityIds);
    if (!(await this.tags.countInOrganization(p.organizationId, [tagId]))) throw notFound('Tag');
    const affected =
      op === 'add'
        ? await this.tags.addLinks(entityType, ids, tagId)
        : await this.tags.removeLinks(entityType, ids, tagId);
    return { affected_count: affected };
  }
}
