import type { Kdb } from '../../db/client.ts';
import { AppError } from '../../http/errors.ts';
import type { TagsRepository } from './tags.repository.ts';

/** The tag set of taggable entities: every tag must belong to the caller's organization. */
export class EntityTagsService {
  constructor(private readonly tags: TagsRepository) {}

  /** Replaces the tag set of an entity, in the caller's transaction `on`. */
  async set(on: Kdb, entityType: string, organizationId: string, entityId: string, tagIds: string[]) {
    const unique = [...new Set(tagIds)];
    if ((await this.tags.countInOrganization(organizationId, unique, on)) !== unique.length) {
      throw new AppError('entity_reference_invalid');
    }
    await this.tags.replaceLinks(entityType, entityId, unique, on);
  }
}
