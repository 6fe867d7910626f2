import catalogData from '../data/service-catalog.json' with { type: 'json' };
import { parseDefinition } from './rule.ts';
import type { ServiceDefinition } from './types.ts';

/**
 * The 235 upstream definitions in upstream module order (`mod.rs`, grouped by category), which serves as the
 * deterministic evaluation order inside a priority bucket. The fork-only, non-compiling Salt Project is left out.
 */
export const catalog: readonly ServiceDefinition[] = Object.freeze(
  (catalogData as unknown[]).map(parseDefinition),
);

const byName = new Map(catalog.map((d) => [d.name, d]));
const byId = new Map(catalog.map((d) => [d.id, d]));

/** Looks a definition up by its name (the API id, e.g. "Home Assistant"). */
export function definitionByName(name: string): ServiceDefinition | undefined {
  return byName.get(name);
}

/** Looks a definition up by its file-stem id (e.g. "home_assistant"). */
export function definitionById(id: string): ServiceDefinition | undefined {
  return byId.get(id);
}
