import { describe, expect, it } from 'vitest';
import { containingSubnet, ipProblem, macProblem, portProblem } from './addresses.ts';

describe('interface and port validation messages', () => {
  it('accepts an address inside its subnet and explains one outside or malformed', () => {
    expect(ipProblem('192.168.1.20', '192.168.1.0/24')).toBeNull();
    expect(ipProblem('10.0.0.1')).toBeNull();
    expect(ipProblem('fd00::1', 'fd00::/64')).toBeNull();
    expect(ipProblem('192.168.2.20', '192.168.1.0/24')).toBe('192.168.2.20 is not in 192.168.1.0/24.');
    expect(ipProblem('fd00::1', '10.0.0.0/8')).toBe('fd00::1 is not in 10.0.0.0/8.');
    expect(ipProblem('192.168.1.300')).toMatch(/not an IPv4 address/);
    expect(ipProblem('10.0.0.1/24')).toMatch(/without a prefix/);
    expect(ipProblem(' ')).toMatch(/Enter an IP/);
  });

  it('takes MACs with colons, dashes or none, and ports 1 to 65535', () => {
    expect(macProblem('')).toBeNull();
    expect(macProblem('00:1A:2b:3c:4d:5e')).toBeNull();
    expect(macProblem('00-1a-2b-3c-4d-5e')).toBeNull();
    expect(macProblem('001a2b3c4d5e')).toBeNull();
    expect(macProblem('00:1a:2b')).toMatch(/not a MAC address/);
    expect(portProblem('443')).toBeNull();
    expect(portProblem('0')).toMatch(/between 1 and 65535/);
    expect(portProblem('70000')).toMatch(/between 1 and 65535/);
    expect(portProblem('8o')).toMatch(/whole number/);
  });
});

describe('containingSubnet', () => {
  it('picks the most specific subnet holding the address', () => {
    const subnets = [
      { cidr: '0.0.0.0/0' },
      { cidr: '10.0.0.0/8' },
      { cidr: '10.1.2.0/24' },
      { cidr: 'fd00::/64' },
    ];
    expect(containingSubnet('10.1.2.9', subnets)?.cidr).toBe('10.1.2.0/24');
    expect(containingSubnet('10.9.9.9', subnets)?.cidr).toBe('10.0.0.0/8');
    expect(containingSubnet('8.8.8.8', subnets)?.cidr).toBe('0.0.0.0/0');
    expect(containingSubnet('fd00::5', subnets)?.cidr).toBe('fd00::/64');
    expect(containingSubnet('not an ip', subnets)).toBeUndefined();
  });
});
