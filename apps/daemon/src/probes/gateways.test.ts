import { describe, expect, it } from 'vitest';
import { parseCidr } from '../platform/ipv4.ts';
import { parseRouteTable } from '../platform/routes.ts';
import { broadcastAddressOf, gatewaysOf, isGateway, readGateways } from './gateways.ts';

// /proc/net/route of a little-endian machine: default via 10.77.50.1, a routed /24 via 10.77.51.254, one link route.
const ROUTES_LE = [
  'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
  'eth0\t00000000\t01324D0A\t0003\t0\t0\t100\t00000000\t0\t0\t0',
  'eth0\t00324D0A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
  'eth1\t00344D0A\tFE334D0A\t0003\t0\t0\t0\t00FFFFFF\t0\t0\t0',
  'eth1\t00354D0A\tFE334D0A\t0003\t0\t0\t0\t00FFFFFF\t0\t0\t0',
  'garbage line',
  '',
].join('\n');

describe('routing table', () => {
  it('lists each next hop once, skipping link routes', () => {
    expect(gatewaysOf(parseRouteTable(ROUTES_LE, true))).toEqual(['10.77.50.1', '10.77.51.254']);
  });

  it('reads the table of this machine without failing, and [] when it cannot', async () => {
    const gateways = await readGateways();
    expect(Array.isArray(gateways)).toBe(true);
    for (const g of gateways) expect(g).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(await readGateways('/nonexistent/route')).toEqual([]);
  });
});

describe('IsGateway', () => {
  const subnet50 = parseCidr('10.77.50.0/24')!;
  const subnet60 = parseCidr('10.77.60.0/24')!;
  const gateways = ['10.77.50.1', '10.77.51.254'];

  it('is true for a routing-table gateway', () => {
    expect(isGateway('10.77.50.1', gateways, subnet50)).toBe(true);
  });

  it('does not guess .1/.254 when the subnet has a known gateway', () => {
    expect(isGateway('10.77.50.254', gateways, subnet50)).toBe(false);
    expect(isGateway('10.77.50.7', gateways, subnet50)).toBe(false);
  });

  it('falls back to .1 and .254 in a subnet without a known gateway', () => {
    expect(isGateway('10.77.60.1', gateways, subnet60)).toBe(true);
    expect(isGateway('10.77.60.254', gateways, subnet60)).toBe(true);
    expect(isGateway('10.77.60.2', gateways, subnet60)).toBe(false);
    expect(isGateway('10.77.60.1', [], subnet60)).toBe(true);
  });

  it('computes broadcast addresses for the DHCP probe', () => {
    expect(broadcastAddressOf(subnet50)).toBe('10.77.50.255');
    expect(broadcastAddressOf(parseCidr('10.77.0.0/16')!)).toBe('10.77.255.255');
    expect(broadcastAddressOf(parseCidr('10.77.50.4/30')!)).toBe('10.77.50.7');
    expect(broadcastAddressOf(parseCidr('10.77.50.4/31')!)).toBeNull();
  });
});
