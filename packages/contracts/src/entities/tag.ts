import { Type, type Static } from 'typebox';
import { Color, Description, echoedMeta, entityMeta, Name, Nullable, bodyObject, Uuid } from '../common.ts';

export const Tag = Type.Object({
  ...entityMeta,
  name: Type.String(),
  description: Type.Optional(Nullable(Type.String())),
  /** v0.17: the tag names an application (the topology's Applications view groups by these tags). */
  is_application: Type.Boolean(),
  color: Color,
  organization_id: Uuid,
});
export type Tag = Static<typeof Tag>;

export const CreateTagRequest = Type.Object(
  {
    ...echoedMeta,
    name: Name,
    /**
     * v0.17 fields (v0.14's Tag has neither): omitted is null/false on create and keeps the stored value on update,
     * so a v0.14 client's PUT never clears them.
     */
    description: Type.Optional(Nullable(Description)),
    is_application: Type.Optional(Type.Boolean()),
    color: Color,
    organization_id: Type.Optional(Uuid),
  },
  bodyObject,
);
export type CreateTagRequest = Static<typeof CreateTagRequest>;
export const UpdateTagRequest = CreateTagRequest;
export type UpdateTagRequest = CreateTagRequest;

/** Taggable entity types (entity_tags.entity_type), in the order the API documents them. */
export const TAGGABLE_ENTITY_TYPES = [
  'Host',
  'Service',
  'Subnet',
  'Group',
  'Network',
  'Daemon',
  'DaemonApiKey',
  'UserApiKey',
  'Discovery',
] as const;
export const TaggableEntityType = Type.Enum([...TAGGABLE_ENTITY_TYPES]);
export type TaggableEntityType = Static<typeof TaggableEntityType>;

/** PUT /api/v1/tags/assign: the entity's tags become exactly these. */
export const SetTagsRequest = Type.Object(
  {
    entity_id: Uuid,
    entity_type: TaggableEntityType,
    tag_ids: Type.Array(Uuid, { maxItems: 1000 }),
  },
  bodyObject,
);
export type SetTagsRequest = Static<typeof SetTagsRequest>;

/** POST /api/v1/tags/assign/bulk-add and bulk-remove: one tag on many entities. */
export const BulkTagRequest = Type.Object(
  {
    entity_ids: Type.Array(Uuid, { minItems: 1, maxItems: 10000 }),
    entity_type: TaggableEntityType,
    tag_id: Uuid,
  },
  bodyObject,
);
export type BulkTagRequest = Static<typeof BulkTagRequest>;

export const BulkTagResponse = Type.Object({ affected_count: Type.Integer() });
export type BulkTagResponse = Static<typeof BulkTagResponse>;
