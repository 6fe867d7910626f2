import { describe, expect, it } from 'vitest';
import type { OwnAddress } from '../platform/interfaces.ts';
import { deriveSubnets, subnetTypeOf, withoutDockerSubnets } from './subnets.ts';

const addr = (name: string, ip: string, prefix: number, mac: string | null = null): OwnAddress => ({
  name,
  ip,
  prefix,
  mac,
});

describe('subnetTypeOf', () => {
  it.each([
    ['docker0', 'DockerBridge'],
    ['docker_gwbridge', 'DockerBridge'],
    ['br-3f2a9c1d0e4b', 'DockerBridge'],
    ['br0', 'Lan'],
    ['br', 'Lan'],
    ['eth0', 'Lan'],
    ['en0', 'Lan'],
    ['eno1', 'Lan'],
    ['enp3s0', 'Lan'],
    ['ens33', 'Lan'],
    ['tun0', 'VpnTunnel'],
    ['utun3', 'VpnTunnel'],
    ['wg0', 'VpnTunnel'],
    ['tap1', 'VpnTunnel'],
    ['ppp0', 'VpnTunnel'],
    ['vpn', 'VpnTunnel'],
    ['wlan0', 'WiFi'],
    ['wlp2s0', 'WiFi'],
    ['wl0', 'WiFi'],
    ['guest1', 'Guest'],
    ['iot', 'IoT'],
    ['dmz0', 'Dmz'],
    ['mgmt0', 'Management'],
    ['ipmi', 'Management'],
    ['bmc1', 'Management'],
    ['iscsi0', 'Storage'],
    ['storage2', 'Storage'],
    ['macvlan0', 'MacVlan'],
    ['mvlan1', 'MacVlan'],
    ['ipvlan0', 'IpVlan'],
    ['ETH1', 'Lan'],
    ['veth12ab', 'Unknown'],
    ['enx00e04c680001', 'Unknown'],
    ['ethernet', 'Unknown'],
    ['tunnel', 'Unknown'],
  ])('%s is %s', (name, type) => {
    expect(subnetTypeOf(name)).toBe(type);
  });
});

describe('deriveSubnets', () => {
  it('names subnets by network CIDR and de-duplicates them', () => {
    const { subnets, assigned } = deriveSubnets([
      addr('eth0', '192.168.1.20', 24),
      addr('eth1', '192.168.1.21', 24),
      addr('eth2', '10.1.2.3', 16),
    ]);
    expect(subnets).toEqual([
      { cidr: '192.168.1.0/24', subnet_type: 'Lan', interface_name: 'eth0' },
      { cidr: '10.1.0.0/16', subnet_type: 'Lan', interface_name: 'eth2' },
    ]);
    expect(assigned.map((a) => [a.address.ip, a.cidr])).toEqual([
      ['192.168.1.20', '192.168.1.0/24'],
      ['192.168.1.21', '192.168.1.0/24'],
      ['10.1.2.3', '10.1.0.0/16'],
    ]);
  });

  it('drops /32 addresses except on VPN interfaces, which are widened to /24', () => {
    const { subnets, assigned } = deriveSubnets([
      addr('eth0', '203.0.113.7', 32),
      addr('wg0', '10.8.0.5', 32),
    ]);
    expect(subnets).toEqual([{ cidr: '10.8.0.0/24', subnet_type: 'VpnTunnel', interface_name: 'wg0' }]);
    expect(assigned.map((a) => a.address.ip)).toEqual(['10.8.0.5']);
  });

  it('assigns each address to the longest-prefix subnet containing it, as the reference does', () => {
    const { assigned } = deriveSubnets([
      addr('eth0', '10.0.5.1', 16),
      addr('eth1', '10.0.9.1', 16),
      addr('tun0', '10.0.5.9', 32),
    ]);
    expect(assigned.map((a) => [a.address.ip, a.cidr])).toEqual([
      ['10.0.5.1', '10.0.5.0/24'],
      ['10.0.9.1', '10.0.0.0/16'],
      ['10.0.5.9', '10.0.5.0/24'],
    ]);
  });
});

describe('withoutDockerSubnets', () => {
  it('drops DockerBridge-typed subnets and subnets Docker reports as its networks', () => {
    const { subnets } = deriveSubnets([
      addr('eth0', '192.168.1.2', 24),
      addr('docker0', '172.17.0.1', 16),
      addr('vmbr1', '172.20.0.1', 16),
    ]);
    const { kept, dropped } = withoutDockerSubnets(subnets, ['172.20.0.0/16']);
    expect(kept.map((s) => s.cidr)).toEqual(['192.168.1.0/24']);
    expect(dropped.map((s) => s.cidr)).toEqual(['172.17.0.0/16', '172.20.0.0/16']);
  });
});
