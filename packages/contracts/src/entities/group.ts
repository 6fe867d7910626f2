import { Type, type Static } from 'typebox';
import {
  Color,
  Description,
  echoedMeta,
  entityMeta,
  EntitySource,
  Name,
  Nullable,
  bodyObject,
  Uuid,
} from '../common.ts';

export const GroupType = Type.Enum(['RequestPath', 'HubAndSpoke']);
export type GroupType = Static<typeof GroupType>;

export const EdgeStyle = Type.Enum(['Straight', 'SmoothStep', 'Step', 'Bezier', 'SimpleBezier']);
export type EdgeStyle = Static<typeof EdgeStyle>;

export const Group = Type.Object({
  ...entityMeta,
  network_id: Uuid,
  name: Type.String(),
  description: Type.Optional(Nullable(Type.String())),
  group_type: GroupType,
  color: Color,
  edge_style: EdgeStyle,
  source: EntitySource,
  binding_ids: Type.Array(Uuid),
  tags: Type.Array(Uuid),
});
export type Group = Static<typeof Group>;

export const GroupRequest = Type.Object(
  {
    ...echoedMeta,
    network_id: Uuid,
    name: Name,
    description: Type.Optional(Nullable(Description)),
    group_type: GroupType,
    color: Color,
    edge_style: Type.Optional(EdgeStyle),
    // Echoed by the UI; the server keeps its own.
    source: Type.Optional(Type.Unknown()),
    binding_ids: Type.Optional(Type.Array(Uuid, { maxItems: 1000 })),
    tags: Type.Optional(Type.Array(Uuid, { maxItems: 1000 })),
  },
  bodyObject,
);
export type GroupRequest = Static<typeof GroupRequest>;
