import { subnetQueries } from '$lib/api/queries.ts';
import type { SubnetType } from '$lib/api/types.ts';
import { subnetTypeLabel } from '$lib/labels.ts';

export { subnetQueries };

/** Every subnet type, in the order the pickers show them. */
export const SUBNET_TYPES: readonly SubnetType[] = [
  'Lan',
  'WiFi',
  'IoT',
  'Guest',
  'Dmz',
  'Management',
  'Storage',
  'VpnTunnel',
  'Gateway',
  'DockerBridge',
  'MacVlan',
  'IpVlan',
  'Remote',
  'Internet',
  'Unknown',
  'None',
];

export const subnetTypeOptions = SUBNET_TYPES.map((t) => ({ value: t, label: subnetTypeLabel(t) }));
