import { describe, expect, it } from 'vitest';
import { cidrProblem } from './cidr.ts';

describe('cidrProblem', () => {
  it('accepts IPv4 and IPv6 CIDRs', () => {
    for (const ok of ['192.168.1.0/24', '10.0.0.0/8', '0.0.0.0/0', 'fd00::/64', '2001:db8::1/128']) {
      expect(cidrProblem(ok)).toBeNull();
    }
  });

  it('explains what is wrong with the rest', () => {
    expect(cidrProblem('')).toMatch(/Enter a CIDR/);
    expect(cidrProblem('192.168.1.0')).toMatch(/prefix length/);
    expect(cidrProblem('192.168.1.0/33')).toMatch(/at most 32/);
    expect(cidrProblem('192.168.300.0/24')).toMatch(/not an IPv4 address/);
    expect(cidrProblem('fd00::/129')).toMatch(/at most 128/);
    expect(cidrProblem('fd00:::1/64')).toMatch(/not an IPv6 address/);
    expect(cidrProblem('10.0.0.0/x')).toMatch(/must be a number/);
  });
});
