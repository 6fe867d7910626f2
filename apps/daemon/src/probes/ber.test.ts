import { describe, expect, it } from 'vitest';
import {
  BerError,
  decodeOid,
  decodeSnmpMessage,
  encodeInteger,
  encodeOid,
  encodeSnmpGet,
  encodeSnmpMessage,
  PDU_RESPONSE,
  readTlv,
  type SnmpMessage,
} from './ber.ts';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('BER for SNMP', () => {
  it('encodes a v2c GET of sysDescr.0 with community public byte for byte', () => {
    // Checked with `openssl asn1parse -inform DER` and tcpdump's SNMP decoder.
    expect(encodeSnmpGet('public', 0x12345678, ['1.3.6.1.2.1.1.1.0']).toString('hex')).toBe(
      '302902010104067075626c6963a01c020412345678020100020100300e300c06082b060102010101000500',
    );
  });

  it('encodes integers in minimal two’s complement', () => {
    const cases: Array<[number, string]> = [
      [0, '020100'],
      [127, '02017f'],
      [128, '02020080'],
      [256, '02020100'],
      [-1, '0201ff'],
      [-128, '020180'],
      [-129, '0202ff7f'],
      [0x7fffffff, '02047fffffff'],
    ];
    for (const [value, expected] of cases)
      expect(encodeInteger(value).toString('hex'), String(value)).toBe(expected);
    expect(encodeInteger(0xffffffff, 0x41).toString('hex')).toBe('410500ffffffff');
  });

  it('encodes and decodes object identifiers with multi-byte arcs', () => {
    expect(encodeOid('1.3.6.1.4.1.2021.10.1.3.1').toString('hex')).toBe(
      '060b2b06010401' + '8f65' + '0a010301',
    );
    expect(decodeOid(hex('2b0601040182372a'))).toBe('1.3.6.1.4.1.311.42');
    expect(decodeOid(hex('8837'))).toBe('2.999');
    expect(() => encodeOid('1')).toThrow(BerError);
    expect(() => decodeOid(hex('2b86'))).toThrow(BerError);
  });

  it('decodes a response with every value kind and long-form lengths', () => {
    const message: SnmpMessage = {
      version: 1,
      community: 'public',
      pduType: PDU_RESPONSE,
      requestId: -5,
      errorStatus: 0,
      errorIndex: 0,
      varbinds: [
        { oid: '1.3.6.1.2.1.1.1.0', value: { kind: 'string', value: Buffer.alloc(200, 'a') } },
        { oid: '1.3.6.1.2.1.1.3.0', value: { kind: 'unsigned', tag: 0x43, value: 4294967295 } },
        { oid: '1.3.6.1.2.1.1.2.0', value: { kind: 'oid', value: '1.3.6.1.4.1.8072.3.2.10' } },
        { oid: '1.3.6.1.2.1.4.20.1.1.1', value: { kind: 'ip', value: '10.77.1.2' } },
        { oid: '1.3.6.1.2.1.31.1.1.1.6.1', value: { kind: 'counter64', value: 2n ** 63n + 5n } },
        { oid: '1.3.6.1.2.1.2.2.1.1.1', value: { kind: 'integer', value: -42 } },
        { oid: '1.3.6.1.2.1.1.9.0', value: { kind: 'exception', value: 'noSuchInstance' } },
        { oid: '1.3.6.1.2.1.1.8.0', value: { kind: 'null' } },
      ],
    };
    const encoded = encodeSnmpMessage(message);
    expect(encoded.subarray(0, 2).toString('hex')).toBe('3082'); // total length > 255 → long form
    expect(decodeSnmpMessage(encoded)).toEqual(message);
  });

  it('decodes a hand-assembled GetResponse', () => {
    // GetResponse, request-id 1, sysDescr.0 = "Hi"; every length written out by hand.
    const msg = hex(
      '3028 020101 04067075626c6963 a21b 020101 020100 020100 3010 300e 06082b06010201010100 04024869',
    );
    expect(decodeSnmpMessage(msg)).toEqual({
      version: 1,
      community: 'public',
      pduType: PDU_RESPONSE,
      requestId: 1,
      errorStatus: 0,
      errorIndex: 0,
      varbinds: [{ oid: '1.3.6.1.2.1.1.1.0', value: { kind: 'string', value: Buffer.from('Hi') } }],
    });
  });

  it('rejects malformed input instead of reading past it', () => {
    expect(() => readTlv(hex('3005 0201'), 0)).toThrow(/past/);
    expect(() => readTlv(hex('3080'), 0)).toThrow(/indefinite/);
    expect(() => decodeSnmpMessage(hex('0201 01'))).toThrow(BerError);
    expect(() => decodeSnmpMessage(Buffer.alloc(0))).toThrow(BerError);
    // A v3 message has a SEQUENCE where v2c has the community.
    expect(() => decodeSnmpMessage(hex('3008 020103 3003 020100'))).toThrow(/community/);
  });
});
