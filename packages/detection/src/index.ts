export * from './types.ts';
export * from './categories.ts';
export * from './catalog.ts';
export { CatalogShapeError, parseDefinition, parseRule, walkRule } from './rule.ts';
export * from './probes.ts';
export * from './matcher.ts';
export * from './scan-presets.ts';
export * from './scan-ports.ts';
