import { describe, expect, it } from 'vitest';
import { parseRouteTable } from './routes.ts';

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
  it('parses /proc/net/route in host byte order', () => {
    const routes = parseRouteTable(ROUTES_LE, true);
    expect(routes).toHaveLength(4);
    expect(routes[0]).toEqual({
      iface: 'eth0',
      destination: '0.0.0.0',
      gateway: '10.77.50.1',
      mask: '0.0.0.0',
      flags: 3,
      metric: 100,
    });
    expect(routes[1]).toMatchObject({ destination: '10.77.50.0', gateway: '0.0.0.0', mask: '255.255.255.0' });
    const bigEndian = parseRouteTable(
      'Iface\tDestination\tGateway\nx\t0A4D3200\t0A4D3201\t0003\t0\t0\t0\tFFFFFF00',
      false,
    );
    expect(bigEndian[0]).toMatchObject({
      destination: '10.77.50.0',
      gateway: '10.77.50.1',
      mask: '255.255.255.0',
    });
  });
});
