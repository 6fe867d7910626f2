import { subnetTitle } from './model.ts';
import type { Topology } from './types.ts';

export interface RebuildPreview {
  addedHosts: string[];
  removedHosts: string[];
  addedSubnets: string[];
  removedSubnets: string[];
  removedServices: string[];
  /** Nothing that a rebuild would add or remove (it may still move cards). */
  empty: boolean;
}

/**
 * What a rebuild would change, from a topology whose snapshot was just refreshed (the refresh updates the entity
 * arrays and removed_* lists but not the graph): hosts and subnets the inventory has that the diagram does not
 * draw, and drawn ones that are gone. A host is expected to get a card when one of its services is bound, the rule
 * the builder uses.
 */
export function rebuildPreview(t: Topology): RebuildPreview {
  const drawnHosts = new Set<string>();
  const drawnSubnets = new Set<string>();
  for (const n of t.nodes) {
    if (n.node_type === 'InterfaceNode') drawnHosts.add(n.host_id);
    else drawnSubnets.add(n.id);
  }
  const removedHostIds = new Set(t.removed_hosts);
  const removedSubnetIds = new Set(t.removed_subnets);
  const liveHosts = new Map(
    t.hosts.filter((h) => !h.hidden && !removedHostIds.has(h.id)).map((h) => [h.id, h]),
  );
  const nameOf = new Map(t.hosts.map((h) => [h.id, h.name]));
  const subnetById = new Map(t.subnets.map((s) => [s.id, s]));

  const boundHosts = new Set<string>();
  const boundSubnets = new Set<string>();
  const ifaceSubnet = new Map(t.interfaces.map((i) => [i.id, i]));
  for (const s of t.services) {
    if (s.bindings.length === 0) continue;
    boundHosts.add(s.host_id);
    for (const b of s.bindings) {
      const iface = b.interface_id ? ifaceSubnet.get(b.interface_id) : undefined;
      if (iface) boundSubnets.add(iface.subnet_id);
      else for (const i of t.interfaces) if (i.host_id === s.host_id) boundSubnets.add(i.subnet_id);
    }
  }

  const addedHosts = [...liveHosts.values()]
    .filter((h) => boundHosts.has(h.id) && !drawnHosts.has(h.id))
    .map((h) => h.name);
  const removedHosts = [...drawnHosts]
    .filter((id) => removedHostIds.has(id) || !liveHosts.has(id))
    .map((id) => nameOf.get(id) ?? id);
  const addedSubnets = [...boundSubnets]
    .filter((id) => !drawnSubnets.has(id) && !removedSubnetIds.has(id) && subnetById.has(id))
    .map((id) => subnetTitle(subnetById.get(id), id));
  const removedSubnets = [...drawnSubnets]
    .filter((id) => removedSubnetIds.has(id) || !subnetById.has(id))
    .map((id) => subnetTitle(subnetById.get(id), id));
  const serviceName = new Map(t.services.map((s) => [s.id, s.name]));
  const removedServices = t.removed_services.map((id) => serviceName.get(id) ?? id);
  const sort = (a: string[]) => [...new Set(a)].sort((x, y) => x.localeCompare(y));
  const p = {
    addedHosts: sort(addedHosts),
    removedHosts: sort(removedHosts),
    addedSubnets: sort(addedSubnets),
    removedSubnets: sort(removedSubnets),
    removedServices: sort(removedServices),
  };
  return { ...p, empty: Object.values(p).every((l) => l.length === 0) };
}
