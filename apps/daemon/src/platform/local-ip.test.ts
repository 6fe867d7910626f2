import { describe, expect, it } from 'vitest';
import { defaultRouteAddress } from './local-ip.ts';

const HEADER = 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT';
const ADDRESSES = [
  { name: 'eth0', ip: '10.77.64.2', prefix: 24, mac: null },
  { name: 'eth1', ip: '10.77.65.2', prefix: 24, mac: null },
];

describe('defaultRouteAddress', () => {
  it('is the address of the interface with the lowest-metric default route', () => {
    const table = [
      HEADER,
      // Little-endian /proc words: 0140_4D0A is 10.77.64.1.
      'eth1\t00000000\t01414D0A\t0003\t0\t0\t200\t00000000\t0\t0\t0',
      'eth0\t00000000\t01404D0A\t0003\t0\t0\t100\t00000000\t0\t0\t0',
      'eth0\t00404D0A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
    ].join('\n');
    expect(defaultRouteAddress(ADDRESSES, table, true)).toBe('10.77.64.2');
  });

  it('is null without a default route', () => {
    const table = [HEADER, 'eth0\t00404D0A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0'].join('\n');
    expect(defaultRouteAddress(ADDRESSES, table, true)).toBeNull();
  });
});
