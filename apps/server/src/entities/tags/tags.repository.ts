import { sql } from 'kysely';
import type { Kdb } from '../../db/client.ts';
import { entitySpec } from '../../db/entity-repository.ts';
import { freshId } from '../../db/fresh-id.ts';

export const tagSpec = entitySpec({
  table: 'tags',
  scope: 'organization',
  select: () => [
    't.id',
    't.organization_id',
    't.name',
    't.description',
    't.is_application',
    't.color',
    't.created_at',
    't.updated_at',
  ],
  filters: { ids: 'id' },
  search: ['name', 'description'],
  orderFields: {
    created_at: 'created_at',
    name: 'name',
    color: 'color',
    updated_at: 'updated_at',
    is_application: 'is_application',
  },
  csv: {
    columns: [
      'id',
      'name',
      'description',
      'is_application',
      'color',
      'organization_id',
      'created_at',
      'updated_at',
    ],
  },
});

export interface TagFields {
  name: string;
  /**
   * Neither field is in the v0.14 Tag, so a v0.14 client's PUT leaves them out: omitted means null/false on insert
   * and unchanged on update (null clears the description).
   */
  description?: string | null;
  is_application?: boolean;
  color: string;
}

/** Tags and the polymorphic entity_tags links of taggable entities. */
export class TagsRepository {
  constructor(private readonly db: Kdb) {}

  /** Whether another tag of the organization has this name. */
  async nameTaken(organizationId: string, name: string, exceptId: string | null): Promise<boolean> {
    let q = this.db
      .selectFrom('tags')
      .select('id')
      .where('organization_id', '=', organizationId)
      .where('name', '=', name);
    if (exceptId) q = q.where('id', '<>', exceptId);
    return (await q.executeTakeFirst()) !== undefined;
  }

  async insert(organizationId: string, fields: TagFields & { id?: string }): Promise<string> {
    const id = await freshId(this.db, 'tags', fields.id);
    await this.db
      .insertInto('tags')
      .values({
        id,
        organization_id: organizationId,
        name: fields.name,
        description: fields.description ?? null,
        is_application: fields.is_application ?? false,
        color: fields.color,
      })
      .execute();
    return id;
  }

  async update(id: string, fields: TagFields): Promise<void> {
    await this.db
      .updateTable('tags')
      .set({
        name: fields.name,
        ...(fields.description === undefined ? {} : { description: fields.description }),
        ...(fields.is_application === undefined ? {} : { is_application: fields.is_application }),
        color: fields.color,
        updated_at: sql`now()`,
      })
      .where('id', '=', id)
      .execute();
  }

  /** Links one tag to many entities; returns how many links are new. */
  async addLinks(entityType: string, entityIds: string[], tagId: string): Promise<number> {
    const rows = await this.db
      .insertInto('entity_tags')
      .values(entityIds.map((entity_id) => ({ entity_id, entity_type: entityType, tag_id: tagId })))
      .onConflict((oc) => oc.doNothing())
      .returning('entity_id')
      .execute();
    return rows.length;
  }

  /** Unlinks one tag from many entities; returns how many links went. */
  async removeLinks(entityType: string, entityIds: string[], tagId: string): Promise<number> {
    const rows = await this.db
      .deleteFrom('entity_tags')
      .where('entity_id', 'in', entityIds)
      .where('entity_type', '=', entityType)
      .where('tag_id', '=', tagId)
      .returning('entity_id')
      .execute();
    return rows.length;
  }

  transaction<T>(fn: (trx: Kdb) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }

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
