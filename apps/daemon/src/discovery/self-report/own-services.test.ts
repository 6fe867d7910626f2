import { describe, expect, it } from 'vitest';
import { parseSocketTable } from './own-services.ts';

// Lines as the kernel prints them (header, then one socket per line).
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000   101        0 4819 1 0000000000000000 100 0 0 10 0
   1: 00000000:1FBB 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5724 1 0000000000000000 100 0 0 10 0
   2: 024D0A0A:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5725 1 0000000000000000 100 0 0 10 0
   3: 024D0A0A:0016 054D0A0A:D431 01 00000000:00000000 00:00000000 00000000     0        0 5726 1 0000000000000000 100 0 0 10 0
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0
   1: 0000000000000000FFFF0000034D0A0A:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1 0000000000000000 100 0 0 10 0
   2: 00000000000000000000000001000000:1111 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 3 1 0000000000000000 100 0 0 10 0
`;
const UDP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  10: 00000000:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 9 2 0000000000000000 0
  11: 024D0A0A:C350 08080808:0035 01 00000000:00000000 00:00000000 00000000     0        0 9 2 0000000000000000 0
`;

describe('socket tables', () => {
  it('reads listening TCP sockets with their bound IPv4 address (host byte order)', () => {
    expect(parseSocketTable(TCP, 'tcp', false)).toEqual([
      { protocol: 'tcp', address: '127.0.0.1', port: 5432 },
      { protocol: 'tcp', address: '0.0.0.0', port: 8123 },
      { protocol: 'tcp', address: '10.10.77.2', port: 22 },
    ]);
  });

  it('maps "::" to every address and keeps v4-mapped listeners, skipping real IPv6 ones', () => {
    expect(parseSocketTable(TCP6, 'tcp', true)).toEqual([
      { protocol: 'tcp', address: '0.0.0.0', port: 80 },
      { protocol: 'tcp', address: '10.10.77.3', port: 8080 },
    ]);
  });

  it('reads bound, unconnected UDP sockets only', () => {
    expect(parseSocketTable(UDP, 'udp', false)).toEqual([{ protocol: 'udp', address: '0.0.0.0', port: 53 }]);
  });
});
