import { describe, expect, it } from 'vitest';
import { parseCsv, registryEntries, renderTsv } from '../scripts/gen-oui.ts';
import { OuiTable } from '../src/probes/oui.ts';

describe('gen-oui', () => {
  it('parses RFC 4180 CSV with quoted commas, quotes and newlines', () => {
    expect(parseCsv('a,"b, c","say ""hi"""\r\n1,"two\nlines",3\n')).toEqual([
      ['a', 'b, c', 'say "hi"'],
      ['1', 'two\nlines', '3'],
    ]);
  });

  it('turns registry CSVs into a sorted TSV the lookup reads back', () => {
    const mal = registryEntries(
      'Registry,Assignment,Organization Name,Organization Address\n' +
        'MA-L,F4BD9E,"Cisco Systems, Inc",80 West Tasman Drive\n' +
        'MA-L,00005E,ICANN,  \n' +
        'MA-L,XYZ,Broken,\n',
      6,
    );
    const mas = registryEntries(
      'Registry,Assignment,Organization Name,Organization Address\nMA-S,00005E001,"Tiny\n  Block",x\n',
      9,
    );
    expect(mal).toEqual([
      ['F4BD9E', 'Cisco Systems, Inc'],
      ['00005E', 'ICANN'],
    ]);
    const tsv = renderTsv([...mal, ...mas], ['source: test']);
    expect(tsv).toBe('# source: test\n00005E\tICANN\n00005E001\tTiny Block\nF4BD9E\tCisco Systems, Inc\n');
    const table = OuiTable.parse(tsv);
    expect(table.lookup('00:00:5e:00:10:01')).toBe('Tiny Block');
    expect(table.lookup('00:00:5e:00:20:01')).toBe('ICANN');
    expect(() => registryEntries('a,b\n1,2\n', 6)).toThrow(/columns/);
  });
});
