import type os from 'node:os';
import { describe, expect, it } from 'vitest';
import { listOwnIpv4 } from './interfaces.ts';

const info = (address: string, cidr: string, mac: string, extra: Partial<os.NetworkInterfaceInfo> = {}) =>
  ({ address, cidr, mac, netmask: '', family: 'IPv4', internal: false, ...extra }) as os.NetworkInterfaceInfo;

const table = () => ({
  lo: [info('127.0.0.1', '127.0.0.1/8', '00:00:00:00:00:00', { internal: true })],
  eth0: [
    info('192.168.1.5', '192.168.1.5/24', 'AA:BB:CC:DD:EE:01'),
    {
      ...info('fe80::1', 'fe80::1/64', 'aa:bb:cc:dd:ee:01'),
      family: 'IPv6',
      scopeid: 2,
    } as os.NetworkInterfaceInfo,
  ],
  wg0: [info('10.8.0.2', '10.8.0.2/32', '00:00:00:00:00:00')],
});

describe('listOwnIpv4', () => {
  it('lists IPv4 addresses of non-loopback interfaces, MAC lower-cased and null when all zeros', () => {
    expect(listOwnIpv4([], table)).toEqual([
      { name: 'eth0', ip: '192.168.1.5', prefix: 24, mac: 'aa:bb:cc:dd:ee:01' },
      { name: 'wg0', ip: '10.8.0.2', prefix: 32, mac: null },
    ]);
  });

  it('keeps only the interfaces named in the filter', () => {
    expect(listOwnIpv4(['wg0'], table).map((a) => a.name)).toEqual(['wg0']);
  });
});
