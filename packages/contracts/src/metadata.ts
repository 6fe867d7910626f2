import { Type, type Static } from 'typebox';
import { Color, Nullable } from './common.ts';

/**
 * One entry of a metadata registry (GET /api/metadata): a type the UI names, colours and draws. `metadata` holds what
 * is particular to the registry (ports: number and protocol; edge types: line style; …).
 */
export const TypeMetadata = Type.Object({
  id: Type.String(),
  name: Nullable(Type.String()),
  description: Nullable(Type.String()),
  category: Nullable(Type.String()),
  /** A lucide icon name, or a logo URL for service definitions that have one. */
  icon: Nullable(Type.String()),
  color: Color,
  metadata: Type.Unknown(),
});
export type TypeMetadata = Static<typeof TypeMetadata>;

/** Colour and lucide icon of an entity kind (Host, Subnet, …). */
export const EntityMetadata = Type.Object({ id: Type.String(), color: Color, icon: Type.String() });
export type EntityMetadata = Static<typeof EntityMetadata>;

export const MetadataRegistry = Type.Object({
  service_definitions: Type.Array(TypeMetadata),
  subnet_types: Type.Array(TypeMetadata),
  edge_types: Type.Array(TypeMetadata),
  group_types: Type.Array(TypeMetadata),
  entities: Type.Array(EntityMetadata),
  ports: Type.Array(TypeMetadata),
  discovery_types: Type.Array(TypeMetadata),
  billing_plans: Type.Array(TypeMetadata),
  features: Type.Array(TypeMetadata),
  permissions: Type.Array(TypeMetadata),
  concepts: Type.Array(EntityMetadata),
});
export type MetadataRegistry = Static<typeof MetadataRegistry>;

/** GET /api/metadata: the registries of the reference plus the service categories. */
export const MetadataResponse = Type.Object({
  ...MetadataRegistry.properties,
  service_categories: Type.Array(TypeMetadata),
});
export type MetadataResponse = Static<typeof MetadataResponse>;
