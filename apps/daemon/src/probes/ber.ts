/**
 * Just enough BER (X.690) for SNMPv1/v2c messages (RFC 3416): definite lengths, single-byte tags,
 * INTEGER, OCTET STRING, NULL, OBJECT IDENTIFIER, SEQUENCE, the SMI application types and the
 * varbind exceptions. Anything else decodes as `other` so one odd value never loses a whole reply.
 */

export class BerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BerError';
  }
}

export const TAG_INTEGER = 0x02;
export const TAG_OCTET_STRING = 0x04;
export const TAG_NULL = 0x05;
export const TAG_OID = 0x06;
export const TAG_SEQUENCE = 0x30;
const TAG_IP_ADDRESS = 0x40;
const TAG_COUNTER32 = 0x41;
const TAG_GAUGE32 = 0x42;
const TAG_TIMETICKS = 0x43;
const TAG_COUNTER64 = 0x46;
const TAG_NO_SUCH_OBJECT = 0x80;
const TAG_NO_SUCH_INSTANCE = 0x81;
const TAG_END_OF_MIB_VIEW = 0x82;

export const PDU_GET_REQUEST = 0xa0;
export const PDU_GET_NEXT_REQUEST = 0xa1;
export const PDU_RESPONSE = 0xa2;

/** SNMP `version` field values: 0 is v1, 1 is v2c. */
export const SNMP_VERSION_2C = 1;

export type SnmpValue =
  | { kind: 'null' }
  | { kind: 'integer'; value: number }
  | { kind: 'string'; value: Buffer }
  | { kind: 'oid'; value: string }
  | { kind: 'ip'; value: string }
  /** Counter32, Gauge32/Unsigned32 and TimeTicks. */
  | { kind: 'unsigned'; tag: number; value: number }
  | { kind: 'counter64'; value: bigint }
  | { kind: 'exception'; value: 'noSuchObject' | 'noSuchInstance' | 'endOfMibView' }
  | { kind: 'other'; tag: number; value: Buffer };

export interface VarBind {
  oid: string;
  value: SnmpValue;
}

export interface SnmpMessage {
  version: number;
  community: string;
  pduType: number;
  requestId: number;
  errorStatus: number;
  errorIndex: number;
  varbinds: VarBind[];
}

// ---------------------------------------------------------------- encoding

function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), encodeLength(content.length), content]);
}

/** Minimal two's-complement encoding of a 32-bit signed integer. */
export function encodeInteger(value: number, tag = TAG_INTEGER): Buffer {
  if (!Number.isInteger(value) || value < -0x80000000 || value > 0xffffffff)
    throw new BerError(`${value} does not fit a 32-bit integer`);
  const bytes: number[] = [];
  let n = value;
  // Emit low bytes until the remaining value is pure sign extension of the last byte emitted.
  do {
    bytes.unshift(((n % 256) + 256) % 256);
    n = Math.floor(n / 256);
  } while (!((n === 0 && (bytes[0] & 0x80) === 0) || (n === -1 && (bytes[0] & 0x80) !== 0)));
  return tlv(tag, Buffer.from(bytes));
}

function encodeBase128(arc: number): number[] {
  const out = [arc & 0x7f];
  for (let n = Math.floor(arc / 128); n > 0; n = Math.floor(n / 128)) out.unshift((n & 0x7f) | 0x80);
  return out;
}

export function encodeOid(oid: string): Buffer {
  const arcs = oid.split('.').map(Number);
  if (arcs.length < 2 || arcs.some((a) => !Number.isInteger(a) || a < 0 || a > 0xffffffff))
    throw new BerError(`"${oid}" is not an object identifier`);
  if (arcs[0] > 2 || (arcs[0] < 2 && arcs[1] > 39)) throw new BerError(`"${oid}" has invalid first arcs`);
  const bytes = [...encodeBase128(arcs[0] * 40 + arcs[1])];
  for (const arc of arcs.slice(2)) bytes.push(...encodeBase128(arc));
  return tlv(TAG_OID, Buffer.from(bytes));
}

export function encodeValue(value: SnmpValue): Buffer {
  switch (value.kind) {
    case 'null':
      return tlv(TAG_NULL, Buffer.alloc(0));
    case 'integer':
      return encodeInteger(value.value);
    case 'string':
      return tlv(TAG_OCTET_STRING, value.value);
    case 'oid':
      return encodeOid(value.value);
    case 'ip':
      return tlv(TAG_IP_ADDRESS, Buffer.from(value.value.split('.').map(Number)));
    case 'unsigned':
      return encodeInteger(value.value, value.tag);
    case 'counter64': {
      const hex = value.value.toString(16);
      let bytes = Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
      if (bytes[0] & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
      return tlv(TAG_COUNTER64, bytes);
    }
    case 'exception': {
      const tag = {
        noSuchObject: TAG_NO_SUCH_OBJECT,
        noSuchInstance: TAG_NO_SUCH_INSTANCE,
        endOfMibView: TAG_END_OF_MIB_VIEW,
      }[value.value];
      return tlv(tag, Buffer.alloc(0));
    }
    case 'other':
      return tlv(value.tag, value.value);
  }
}

export function encodeSnmpMessage(msg: SnmpMessage): Buffer {
  const varbinds = msg.varbinds.map((vb) =>
    tlv(TAG_SEQUENCE, Buffer.concat([encodeOid(vb.oid), encodeValue(vb.value)])),
  );
  const pdu = tlv(
    msg.pduType,
    Buffer.concat([
      encodeInteger(msg.requestId),
      encodeInteger(msg.errorStatus),
      encodeInteger(msg.errorIndex),
      tlv(TAG_SEQUENCE, Buffer.concat(varbinds)),
    ]),
  );
  return tlv(
    TAG_SEQUENCE,
    Buffer.concat([
      encodeInteger(msg.version),
      tlv(TAG_OCTET_STRING, Buffer.from(msg.community, 'utf8')),
      pdu,
    ]),
  );
}

/** A v2c GetRequest for `oids`, each with a NULL value as RFC 3416 requires. */
export function encodeSnmpGet(community: string, requestId: number, oids: readonly string[]): Buffer {
  return encodeSnmpMessage({
    version: SNMP_VERSION_2C,
    community,
    pduType: PDU_GET_REQUEST,
    requestId,
    errorStatus: 0,
    errorIndex: 0,
    varbinds: oids.map((oid) => ({ oid, value: { kind: 'null' } })),
  });
}

// ---------------------------------------------------------------- decoding

interface Tlv {
  tag: number;
  start: number;
  end: number;
}

export function readTlv(buf: Buffer, pos: number, limit = buf.length): Tlv {
  if (pos + 2 > limit) throw new BerError('truncated TLV header');
  const tag = buf[pos];
  if ((tag & 0x1f) === 0x1f) throw new BerError('multi-byte tags are not used by SNMP');
  let length = buf[pos + 1];
  let start = pos + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0) throw new BerError('indefinite lengths are not allowed');
    if (count > 4 || start + count > limit) throw new BerError('bad long-form length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + buf[start + i];
    start += count;
  }
  if (start + length > limit) throw new BerError('TLV runs past its container');
  return { tag, start, end: start + length };
}

function expectTag(t: Tlv, tag: number, what: string): void {
  if (t.tag !== tag)
    throw new BerError(`${what}: expected tag 0x${tag.toString(16)}, got 0x${t.tag.toString(16)}`);
}

function decodeSigned(buf: Buffer, t: Tlv): number {
  const len = t.end - t.start;
  if (len < 1 || len > 4) throw new BerError(`INTEGER of ${len} bytes`);
  return buf.readIntBE(t.start, len);
}

function decodeUnsigned(buf: Buffer, t: Tlv): number {
  let len = t.end - t.start;
  let start = t.start;
  // A leading zero byte keeps a value with the top bit set positive.
  if (len === 5 && buf[start] === 0) {
    start++;
    len--;
  }
  if (len < 1 || len > 4) throw new BerError(`unsigned value of ${len} bytes`);
  return buf.readUIntBE(start, len);
}

export function decodeOid(content: Buffer): string {
  if (content.length === 0) throw new BerError('empty OID');
  const arcs: number[] = [];
  let acc = 0;
  for (let i = 0; i < content.length; i++) {
    acc = acc * 128 + (content[i] & 0x7f);
    if (acc > Number.MAX_SAFE_INTEGER / 128) throw new BerError('OID arc too large');
    if ((content[i] & 0x80) === 0) {
      arcs.push(acc);
      acc = 0;
    } else if (i === content.length - 1) {
      throw new BerError('truncated OID arc');
    }
  }
  const first = arcs[0] < 40 ? 0 : arcs[0] < 80 ? 1 : 2;
  return [first, arcs[0] - first * 40, ...arcs.slice(1)].join('.');
}

function decodeValue(buf: Buffer, t: Tlv): SnmpValue {
  const content = buf.subarray(t.start, t.end);
  switch (t.tag) {
    case TAG_NULL:
      return { kind: 'null' };
    case TAG_INTEGER:
      return { kind: 'integer', value: decodeSigned(buf, t) };
    case TAG_OCTET_STRING:
      return { kind: 'string', value: Buffer.from(content) };
    case TAG_OID:
      return { kind: 'oid', value: decodeOid(content) };
    case TAG_IP_ADDRESS:
      if (content.length !== 4) throw new BerError('IpAddress must have 4 bytes');
      return { kind: 'ip', value: [...content].join('.') };
    case TAG_COUNTER32:
    case TAG_GAUGE32:
    case TAG_TIMETICKS:
      return { kind: 'unsigned', tag: t.tag, value: decodeUnsigned(buf, t) };
    case TAG_COUNTER64:
      if (content.length < 1 || content.length > 9) throw new BerError('Counter64 of bad length');
      return { kind: 'counter64', value: BigInt(`0x${content.toString('hex')}`) };
    case TAG_NO_SUCH_OBJECT:
      return { kind: 'exception', value: 'noSuchObject' };
    case TAG_NO_SUCH_INSTANCE:
      return { kind: 'exception', value: 'noSuchInstance' };
    case TAG_END_OF_MIB_VIEW:
      return { kind: 'exception', value: 'endOfMibView' };
    default:
      return { kind: 'other', tag: t.tag, value: Buffer.from(content) };
  }
}

/** Decodes a v1/v2c message with any PDU type except the v1 Trap. Throws BerError when malformed. */
export function decodeSnmpMessage(buf: Buffer): SnmpMessage {
  const outer = readTlv(buf, 0);
  expectTag(outer, TAG_SEQUENCE, 'message');
  const version = readTlv(buf, outer.start, outer.end);
  expectTag(version, TAG_INTEGER, 'version');
  const community = readTlv(buf, version.end, outer.end);
  expectTag(community, TAG_OCTET_STRING, 'community');
  const pdu = readTlv(buf, community.end, outer.end);
  if ((pdu.tag & 0xe0) !== 0xa0) throw new BerError(`0x${pdu.tag.toString(16)} is not a PDU tag`);
  const requestId = readTlv(buf, pdu.start, pdu.end);
  expectTag(requestId, TAG_INTEGER, 'request-id');
  const errorStatus = readTlv(buf, requestId.end, pdu.end);
  expectTag(errorStatus, TAG_INTEGER, 'error-status');
  const errorIndex = readTlv(buf, errorStatus.end, pdu.end);
  expectTag(errorIndex, TAG_INTEGER, 'error-index');
  const list = readTlv(buf, errorIndex.end, pdu.end);
  expectTag(list, TAG_SEQUENCE, 'variable-bindings');
  const varbinds: VarBind[] = [];
  for (let pos = list.start; pos < list.end;) {
    const vb = readTlv(buf, pos, list.end);
    expectTag(vb, TAG_SEQUENCE, 'varbind');
    const name = readTlv(buf, vb.start, vb.end);
    expectTag(name, TAG_OID, 'varbind name');
    const value = readTlv(buf, name.end, vb.end);
    varbinds.push({ oid: decodeOid(buf.subarray(name.start, name.end)), value: decodeValue(buf, value) });
    pos = vb.end;
  }
  return {
    version: decodeSigned(buf, version),
    community: buf.toString('utf8', community.start, community.end),
    pduType: pdu.tag,
    requestId: decodeSigned(buf, requestId),
    errorStatus: decodeSigned(buf, errorStatus),
    errorIndex: decodeSigned(buf, errorIndex),
    varbinds,
  };
}
