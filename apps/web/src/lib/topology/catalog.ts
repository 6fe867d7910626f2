import type { MetadataResponse } from '@scanopy/contracts';
import { UNKNOWN_SERVICE, type ServiceCatalog, type ServiceLook } from './model.ts';
import type { Color } from './types.ts';

/** Service definition name → category and colour, from GET /api/metadata (public, so share pages have it too). */
export function catalogFrom(meta: MetadataResponse | null): ServiceCatalog {
  const looks = new Map<string, ServiceLook>();
  for (const d of meta?.service_definitions ?? []) {
    looks.set(d.id, { category: d.category ?? 'Unknown', color: d.color as Color });
  }
  return (definition) => looks.get(definition) ?? UNKNOWN_SERVICE;
}

/** The categories of the services a topology draws, for the legend (first seen first). */
export function categoriesIn(
  services: readonly { service_definition: string }[],
  catalog: ServiceCatalog,
): { id: string; color: Color }[] {
  const seen = new Map<string, Color>();
  for (const s of services) {
    const look = catalog(s.service_definition);
    if (!seen.has(look.category)) seen.set(look.category, look.color);
  }
  return [...seen].map(([id, color]) => ({ id, color }));
}
