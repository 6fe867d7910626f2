import { Type, type Static } from 'typebox';
import { Color, Description, echoedMeta, entityMeta, Name, Nullable, strict, Uuid } from '../common.ts';

export const Tag = Type.Object({
  ...entityMeta,
  name: Type.String(),
  description: Type.Optional(Nullable(Type.String())),
  color: Color,
  organization_id: Uuid,
});
export type Tag = Static<typeof Tag>;

export const CreateTagRequest = Type.Object(
  {
    ...echoedMeta,
    name: Name,
    description: Type.Optional(Nullable(Description)),
    color: Color,
    organization_id: Type.Optional(Uuid),
  },
  strict,
);
export type CreateTagRequest = Static<typeof CreateTagRequest>;
export const UpdateTagRequest = CreateTagRequest;
export type UpdateTagRequest = CreateTagRequest;
