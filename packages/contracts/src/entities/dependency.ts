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
import { EdgeStyle, GroupType } from './group.ts';

/**
 * v0.17 `Dependency`, the newer name of a v0.14 `Group`, served at /api/v1/dependencies over the same rows:
 * `dependency_type` is `group_type`, and `members` is an ordered list of services or of bindings. A group made in
 * v0.14 (binding_ids) reads here as Bindings members; a Services dependency reads in v0.14 as the bindings of its
 * services, in member order.
 */
export const DependencyType = GroupType;
export type DependencyType = Static<typeof DependencyType>;

export const DependencyMembers = Type.Union([
  Type.Object({ type: Type.Literal('Services'), service_ids: Type.Array(Uuid) }),
  Type.Object({ type: Type.Literal('Bindings'), binding_ids: Type.Array(Uuid) }),
]);
export type DependencyMembers = Static<typeof DependencyMembers>;

export const Dependency = Type.Object({
  ...entityMeta,
  network_id: Uuid,
  name: Type.String(),
  description: Nullable(Type.String()),
  dependency_type: DependencyType,
  members: DependencyMembers,
  color: Color,
  edge_style: EdgeStyle,
  source: EntitySource,
  tags: Type.Array(Uuid),
});
export type Dependency = Static<typeof Dependency>;

const MemberIds = Type.Array(Uuid, { maxItems: 1000 });
export const DependencyMembersInput = Type.Union([
  Type.Object({ type: Type.Literal('Services'), service_ids: MemberIds }, bodyObject),
  Type.Object({ type: Type.Literal('Bindings'), binding_ids: MemberIds }, bodyObject),
]);
export type DependencyMembersInput = Static<typeof DependencyMembersInput>;

/** POST /api/v1/dependencies and PUT /api/v1/dependencies/{id}: the whole Dependency, read-only fields ignored. */
export const DependencyRequest = Type.Object(
  {
    ...echoedMeta,
    network_id: Uuid,
    name: Name,
    description: Type.Optional(Nullable(Description)),
    dependency_type: DependencyType,
    members: DependencyMembersInput,
    color: Color,
    edge_style: Type.Optional(EdgeStyle),
    // Echoed by clients; the server keeps its own.
    source: Type.Optional(Type.Unknown()),
    tags: Type.Optional(Type.Array(Uuid, { maxItems: 1000 })),
  },
  bodyObject,
);
export type DependencyRequest = Static<typeof DependencyRequest>;
