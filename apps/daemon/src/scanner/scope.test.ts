import { describe, expect, it } from 'vitest';
import { MAX_SCOPE_ADDRESSES, parseAllowList, ScanScope, ScopeError } from './scope.ts';

describe('ScanScope', () => {
  it('targets every host address of the requested subnets, without network and broadcast', () => {
    const scope = ScanScope.create({ subnets: ['198.51.100.0/29'] });
    expect(scope.targets().sort()).toEqual(
      ['198.51.100.1', '198.51.100.2', '198.51.100.3', '198.51.100.4', '198.51.100.5', '198.51.100.6'].sort(),
    );
    expect(scope.has('198.51.100.0')).toBe(false);
    expect(scope.has('198.51.100.7')).toBe(false);
    expect(scope.has('198.51.100.8')).toBe(false);
    expect(() => scope.assert('203.0.113.1')).toThrow(ScopeError);
    expect(() => scope.assert('198.51.100.7')).toThrow(/outside the scope/);
    expect(scope.has('not-an-ip')).toBe(false);
  });

  it('keeps both addresses of a /31 and the one of a /32 (no network or broadcast there)', () => {
    expect(ScanScope.create({ subnets: ['203.0.113.6/31'] }).targets()).toEqual([
      '203.0.113.6',
      '203.0.113.7',
    ]);
    expect(ScanScope.create({ subnets: ['203.0.113.9'] }).targets()).toEqual(['203.0.113.9']);
  });

  it('honours exclusions (addresses and CIDRs)', () => {
    const scope = ScanScope.create({
      subnets: ['198.51.100.0/28'],
      exclude: ['198.51.100.1', '198.51.100.8/30'],
    });
    const targets = scope.targets();
    expect(targets).not.toContain('198.51.100.1');
    for (const ip of ['198.51.100.8', '198.51.100.9', '198.51.100.10', '198.51.100.11'])
      expect(targets).not.toContain(ip);
    expect(targets).toContain('198.51.100.12');
    expect(targets).toHaveLength(14 - 5);
  });

  it('pins scanning to SCANOPY_SCAN_ALLOW and says which requested parts fall outside it', () => {
    const allow = parseAllowList('198.51.100.0/28, 203.0.113.5');
    expect(allow).toEqual(['198.51.100.0/28', '203.0.113.5/32']);
    const scope = ScanScope.create({
      subnets: ['198.51.100.0/27', '203.0.113.0/29', '10.77.47.0/30'],
      allow,
    });
    const targets = scope.targets();
    expect(targets.every((ip) => ip.startsWith('198.51.100.') || ip === '203.0.113.5')).toBe(true);
    expect(targets).toContain('198.51.100.15');
    expect(targets).not.toContain('198.51.100.16');
    expect(targets).toContain('203.0.113.5');
    expect(targets.filter((ip) => ip.startsWith('10.77.'))).toEqual([]);
    expect(scope.notes).toEqual([
      '10.77.47.0/30 is entirely outside SCANOPY_SCAN_ALLOW; it is skipped',
      '198.51.100.0/27 is partly outside SCANOPY_SCAN_ALLOW; only the allowed part is scanned',
      '203.0.113.0/29 is partly outside SCANOPY_SCAN_ALLOW; only the allowed part is scanned',
    ]);
    expect(parseAllowList(undefined)).toBeNull();
    expect(parseAllowList('  ')).toBeNull();
    expect(() => parseAllowList('10.77.0.0/16,nonsense')).toThrow(ScopeError);
  });

  it('refuses huge ranges with a clear error, and counts overlapping subnets once', () => {
    expect(() => ScanScope.create({ subnets: ['0.0.0.0/0'] })).toThrow(/at most 65536/);
    expect(() => ScanScope.create({ subnets: ['10.0.0.0/8'] })).toThrow(/16777216 addresses/);
    expect(() => ScanScope.create({ subnets: ['10.76.0.0/16', '10.77.0.0/16'] })).toThrow(
      /cover 131072 addresses/,
    );
    const big = ScanScope.create({ subnets: ['10.77.0.0/16', '10.77.40.0/24', '10.77.40.0/24'] });
    expect(big.subnets).toHaveLength(1);
    expect(big.size).toBe(MAX_SCOPE_ADDRESSES - 2);
    // A nested /24 inside the /16 is not cut: its .0 and .255 are ordinary hosts of the /16.
    expect(big.has('10.77.40.0')).toBe(true);
    expect(big.has('10.77.40.255')).toBe(true);
  });

  it('refuses non-unicast ranges, IPv6 and malformed input', () => {
    expect(() => ScanScope.create({ subnets: ['224.0.0.0/24'] })).toThrow(/multicast/);
    expect(() => ScanScope.create({ subnets: ['255.255.255.255'] })).toThrow(/broadcast/);
    expect(() => ScanScope.create({ subnets: ['0.0.0.1'] })).toThrow(/this network/);
    expect(() => ScanScope.create({ subnets: ['2001:db8::/64'] })).toThrow(/IPv6 is not scanned/);
    expect(() => ScanScope.create({ subnets: ['10.77.40.0/33'] })).toThrow(ScopeError);
    expect(() => ScanScope.create({ subnets: [] })).toThrow(/no subnet/);
    expect(() => ScanScope.create({ subnets: ['10.77.40.0/24'], exclude: ['x'] })).toThrow(/exclusion/);
  });

  it('orders targets like the reference: .1, .254, then static-ish addresses, then DHCP-ish ranges', () => {
    const targets = ScanScope.create({ subnets: ['10.77.41.0/24'] }).targets();
    expect(targets.slice(0, 8)).toEqual([1, 254, 2, 3, 10, 100, 253, 252].map((n) => `10.77.41.${n}`));
    expect(targets[8]).toBe('10.77.41.4');
    expect(targets[targets.length - 1]).toBe('10.77.41.251');
    expect(new Set(targets).size).toBe(254);
  });
});
