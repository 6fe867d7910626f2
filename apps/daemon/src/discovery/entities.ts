import { randomUUID } from 'node:crypto';
import type { DiscoveryMetadata, Subnet } from '@scanopy/contracts';

/** Child host_id placeholders; the server sets the real host id (daemon.md §3.4). */
export const NIL_UUID = '00000000-0000-0000-0000-000000000000';

export interface NewSubnet {
  networkId: string;
  cidr: string;
  subnet_type: Subnet['subnet_type'];
  /** Defaults to the CIDR. */
  name?: string;
  description?: string | null;
  metadata: DiscoveryMetadata[];
}

/**
 * A subnet as a runner posts it: a fresh id (the server answers with the stored subnet when the CIDR is
 * already known, daemon.md §7.3) and a Discovery source.
 */
export function newSubnet(s: NewSubnet): Subnet {
  const stamp = new Date().toISOString();
  return {
    id: randomUUID(),
    created_at: stamp,
    updated_at: stamp,
    network_id: s.networkId,
    cidr: s.cidr,
    name: s.name ?? s.cidr,
    description: s.description ?? null,
    subnet_type: s.subnet_type,
    source: { type: 'Discovery', metadata: s.metadata },
    tags: [],
  };
}
