import type { Kdb } from '../../db/client.ts';

/** Tags and the polymorphic entity_tags links of taggable entities. */
export class TagsRepository {
  constructor(private readonly db: Kdb) {}

  /** How many of these tag ids belong to the organization. */
  async countInOrganization(organizationId: string, tagIds: string[], on: Kdb = this.db): Promise<number> {
    if (!tagIds.length) return 0;
    const rows = await on
      .selectFrom('tags')
      .select('id')
      .where('id', 'in', tagIds)
      .where('organization_id', '=', organizationId)
      .execute();
    return rows.length;
  }

  /** Makes the tag set of one entity exactly `tagIds`. */
  async replaceLinks(
    entityType: string,
    entityId: string,
    tagIds: string[],
    on: Kdb = this.db,
  ): Promise<void> {
    await on
      .deleteFrom('entity_tags')
      .where('entity_id', '=', entityId)
      .where('entity_type', '=', entityType)
      .execute();
    if (tagIds.length) {
      await on
        .insertInto('entity_tags')
        .values(tagIds.map((tag_id) => ({ entity_id: entityId, entity_type: entityType, tag_id })))
        .execute();
    }
  }
}
