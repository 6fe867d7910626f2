import type { DaemonMode, SubnetType } from './api/types.ts';

// A Record over the enum makes a new subnet type in the contract a compile error here until it has a label.
const SUBNET_TYPE_LABELS: Record<SubnetType, string> = {
  Internet: 'Internet',
  Remote: 'Remote',
  Gateway: 'Gateway',
  VpnTunnel: 'VPN tunnel',
  Dmz: 'DMZ',
  Lan: 'LAN',
  WiFi: 'Wi-Fi',
  IoT: 'IoT',
  Guest: 'Guest',
  DockerBridge: 'Docker bridge',
  MacVlan: 'macvlan',
  IpVlan: 'ipvlan',
  Management: 'Management',
  Storage: 'Storage',
  Unknown: 'Unknown',
  None: 'None',
};

export function subnetTypeLabel(type: SubnetType): string {
  return SUBNET_TYPE_LABELS[type] ?? type;
}

export function daemonModeLabel(mode: DaemonMode): string {
  switch (mode) {
    case 'daemon_poll':
      return 'Daemon poll';
    case 'server_poll':
      return 'Server poll';
  }
}
