import { describe, expect, it } from 'vitest';
import { bundledOuiTable, macVendor, macVendorMatches, macDigits, normalizeVendor } from './oui.ts';

describe('MAC vendor lookup (bundled IEEE data)', () => {
  it('finds MA-L vendors whatever the MAC notation', () => {
    expect(macVendor('00:00:0c:12:34:56')).toBe('Cisco Systems, Inc');
    expect(macVendor('B8-27-EB-00-00-01')).toBe('Raspberry Pi Foundation');
    expect(macVendor('0011.3200.0001')).toBe('Synology Incorporated');
    expect(macVendor('dca632000001')).toBe('Raspberry Pi Trading Ltd');
    expect(bundledOuiTable().size).toBeGreaterThan(40_000);
  });

  it('prefers the most specific registration (MA-S, IAB, MA-M) over the block holder', () => {
    expect(macVendor('70:B3:D5:F2:F0:01')).toBe('TELEPLATFORMS'); // MA-S inside 70B3D5
    expect(macVendor('00:50:C2:00:00:01')).toBe('T.L.S. Corp.'); // IAB inside 0050C2
    expect(macVendor('20:85:93:B0:00:01')).toBe('IOG Products LLC'); // MA-M inside 208593
    expect(macVendor('00:50:C2:04:D0:01')).toBe('IEEE Registration Authority'); // unassigned IAB slot
    expect(macVendor('20:85:93:F0:00:01')).toBe('IEEE Registration Authority'); // unassigned MA-M slot
  });

  it('gives null for unknown blocks and unparsable input', () => {
    expect(macVendor('02:00:00:00:00:01')).toBeNull(); // locally administered
    expect(macVendor('not a mac')).toBeNull();
    expect(macVendor('00:00:0c:12:34')).toBeNull();
  });

  it('matches the catalog’s vendor constants exactly after normalization', () => {
    expect(macVendorMatches('24:A4:3C:00:00:01', 'Ubiquiti Networks Inc')).toBe(true);
    expect(macVendorMatches('18:B4:30:00:00:01', 'Nest Labs Inc.')).toBe(true);
    expect(macVendorMatches('F4:F5:D8:00:00:01', 'Google, Inc.')).toBe(true);
    // Exact equality, not a substring: "Google" alone does not match "Google, Inc.".
    expect(macVendorMatches('F4:F5:D8:00:00:01', 'Google')).toBe(false);
    expect(macVendorMatches('B0:A7:B9:00:00:01', 'TP-LINK TECHNOLOGIES CO.,LTD')).toBe(false);
    expect(macVendorMatches('02:00:00:00:00:01', 'Ubiquiti Networks Inc')).toBe(false);
  });

  it('normalizes MACs and vendor names', () => {
    expect(macDigits('0:1b:2:c:d:e')).toBe('001B020C0D0E');
    expect(macDigits(' AA:BB:CC:DD:EE:FF ')).toBe('AABBCCDDEEFF');
    expect(macDigits('aa-bb-cc-dd-ee-ff')).toBe('AABBCCDDEEFF');
    expect(macDigits('0011.3200.0001')).toBe('001132000001');
    expect(macDigits('aa:bb:cc:dd:ee:fg')).toBeNull();
    expect(macDigits('aa::bb:cc:dd:ee')).toBeNull();
    expect(macDigits('00:00:00:00:00:00')).toBeNull();
    expect(normalizeVendor('  TP-LINK TECHNOLOGIES CO.,LTD. ')).toBe('tplinktechnologiescoltd');
    expect(normalizeVendor('eero inc.')).toBe(normalizeVendor('eero Inc'));
  });
});
