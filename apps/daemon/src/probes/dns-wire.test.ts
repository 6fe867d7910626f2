import { describe, expect, it } from 'vitest';
import { buildQuery, DnsFormatError, encodeName, parseMessage, readName, reverseName } from './dns-wire.ts';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('DNS wire format', () => {
  it('encodes names as length-prefixed labels', () => {
    expect(encodeName('google.com').toString('hex')).toBe('06676f6f676c6503636f6d00');
    expect(encodeName('google.com.')).toEqual(encodeName('google.com'));
    expect(encodeName('').toString('hex')).toBe('00');
    expect(() => encodeName(`${'a'.repeat(64)}.com`)).toThrow(DnsFormatError);
  });

  it('follows compression pointers and refuses loops and overruns', () => {
    // "lab.test" at 0, then "host" + pointer to 0 at 10.
    const msg = hex('036c6162 0474657374 00 04686f7374 c000');
    expect(readName(msg, 0)).toEqual({ name: 'lab.test', next: 10 });
    expect(readName(msg, 10)).toEqual({ name: 'host.lab.test', next: 17 });
    expect(() => readName(hex('c000'), 0)).toThrow(/loop/);
    expect(() => readName(hex('05616263'), 0)).toThrow(/past the end/);
    expect(() => readName(hex('40'), 0)).toThrow(/label type/);
  });

  it('builds a query and parses a reply with a compressed answer', () => {
    const query = buildQuery({
      id: 0xabcd,
      flags: 0x0100,
      questions: [{ name: 'google.com', type: 1, class: 1 }],
    });
    expect(query.toString('hex')).toBe('abcd01000001000000000000' + '06676f6f676c6503636f6d00' + '00010001');
    const answer = hex('c00c 0001 0001 0000003c 0004 cb007107');
    const reply = Buffer.concat([hex('abcd 8180 0001 0001 0000 0000'), query.subarray(12), answer]);
    const parsed = parseMessage(reply);
    expect(parsed).toMatchObject({ id: 0xabcd, flags: 0x8180, rcode: 0 });
    expect(parsed.questions).toEqual([{ name: 'google.com', type: 1, class: 1 }]);
    expect(parsed.answers).toEqual([
      { name: 'google.com', type: 1, class: 1, ttl: 60, data: hex('cb007107'), dataOffset: 40 },
    ]);
  });

  it('throws on truncated messages so that "parses" means "well-formed"', () => {
    expect(() => parseMessage(hex('abcd8180'))).toThrow(DnsFormatError);
    // Claims one answer but carries none.
    expect(() => parseMessage(hex('abcd 8180 0000 0001 0000 0000'))).toThrow(DnsFormatError);
    // Record data longer than the message.
    expect(() => parseMessage(hex('abcd 8180 0000 0001 0000 0000 00 0001 0001 00000000 0010 01'))).toThrow(
      /record data/,
    );
  });

  it('names the reverse zone of an IPv4 address', () => {
    expect(reverseName('10.77.50.2')).toBe('2.50.77.10.in-addr.arpa');
    expect(reverseName('10.77.50')).toBeNull();
    expect(reverseName('10.77.50.256')).toBeNull();
    expect(reverseName('::1')).toBeNull();
  });
});
