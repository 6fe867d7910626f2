/**
 * The DNS message format (RFC 1035 §4), shared by the DNS, mDNS and NetBIOS probes: NetBIOS name service
 * packets (RFC 1002 §4.2) use the same header, question and resource-record layout.
 */

export const DNS_TYPE_A = 1;
export const DNS_TYPE_PTR = 12;
export const DNS_TYPE_NBSTAT = 0x21;
export const DNS_CLASS_IN = 1;
/** mDNS "QU" bit in the question class: the asker wants a unicast reply (RFC 6762 §5.4). */
export const MDNS_UNICAST_RESPONSE = 0x8000;

export const DNS_FLAG_RESPONSE = 0x8000;
export const DNS_FLAG_RECURSION_DESIRED = 0x0100;

export class DnsFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DnsFormatError';
  }
}

export interface DnsQuestion {
  name: string;
  type: number;
  class: number;
}

export interface DnsRecord {
  name: string;
  type: number;
  class: number;
  ttl: number;
  /** The record data, copied out of the message. */
  data: Buffer;
  /** Where `data` starts in the message, needed to follow compression pointers inside it (e.g. PTR). */
  dataOffset: number;
}

export interface DnsMessage {
  id: number;
  flags: number;
  /** Low four bits of the flags. */
  rcode: number;
  questions: DnsQuestion[];
  answers: DnsRecord[];
}

/** Encodes a dotted name as length-prefixed labels; a trailing dot is optional, "" is the root. */
export function encodeName(name: string): Buffer {
  const labels = name
    .replace(/\.$/, '')
    .split('.')
    .filter((l) => l.length > 0);
  const parts: Buffer[] = [];
  for (const label of labels) {
    const bytes = Buffer.from(label, 'utf8');
    if (bytes.length > 63) throw new DnsFormatError(`label "${label}" is longer than 63 bytes`);
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  parts.push(Buffer.from([0]));
  const out = Buffer.concat(parts);
  if (out.length > 255) throw new DnsFormatError(`name "${name}" is longer than 255 bytes`);
  return out;
}

/**
 * Reads a possibly compressed name at `offset`. Returns the dotted name (no trailing dot) and the offset
 * just after the name in the original position. Pointer loops and overruns throw.
 */
export function readName(msg: Buffer, offset: number): { name: string; next: number } {
  const labels: string[] = [];
  let pos = offset;
  let next = -1;
  // A name has at most 127 labels; more jumps than that can only be a pointer loop.
  for (let hops = 0; hops < 128; hops++) {
    if (pos >= msg.length) throw new DnsFormatError('name runs past the end of the message');
    const len = msg[pos];
    if (len === 0) {
      if (next < 0) next = pos + 1;
      return { name: labels.join('.'), next };
    }
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= msg.length) throw new DnsFormatError('truncated compression pointer');
      if (next < 0) next = pos + 2;
      pos = ((len & 0x3f) << 8) | msg[pos + 1];
      continue;
    }
    if ((len & 0xc0) !== 0) throw new DnsFormatError(`unsupported label type 0x${len.toString(16)}`);
    if (pos + 1 + len > msg.length) throw new DnsFormatError('label runs past the end of the message');
    labels.push(msg.toString('utf8', pos + 1, pos + 1 + len));
    pos += 1 + len;
  }
  throw new DnsFormatError('compression pointer loop');
}

export interface QueryOptions {
  id: number;
  flags?: number;
  questions: readonly DnsQuestion[];
}

/** A query message: header plus questions, no records. */
export function buildQuery(opts: QueryOptions): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(opts.id & 0xffff, 0);
  header.writeUInt16BE(opts.flags ?? 0, 2);
  header.writeUInt16BE(opts.questions.length, 4);
  const parts: Buffer[] = [header];
  for (const q of opts.questions) {
    const tail = Buffer.alloc(4);
    tail.writeUInt16BE(q.type, 0);
    tail.writeUInt16BE(q.class, 2);
    parts.push(encodeName(q.name), tail);
  }
  return Buffer.concat(parts);
}

/**
 * Parses a whole message: header, questions and answer records (authority and additional records are
 * counted past but not returned). Throws DnsFormatError on anything malformed, so "parses" means
 * "well-formed".
 */
export function parseMessage(msg: Buffer): DnsMessage {
  if (msg.length < 12) throw new DnsFormatError(`message of ${msg.length} bytes is shorter than a header`);
  const id = msg.readUInt16BE(0);
  const flags = msg.readUInt16BE(2);
  const qd = msg.readUInt16BE(4);
  const an = msg.readUInt16BE(6);
  const ns = msg.readUInt16BE(8);
  const ar = msg.readUInt16BE(10);
  let pos = 12;
  const questions: DnsQuestion[] = [];
  for (let i = 0; i < qd; i++) {
    const { name, next } = readName(msg, pos);
    if (next + 4 > msg.length) throw new DnsFormatError('truncated question');
    questions.push({ name, type: msg.readUInt16BE(next), class: msg.readUInt16BE(next + 2) });
    pos = next + 4;
  }
  const answers: DnsRecord[] = [];
  for (let i = 0; i < an + ns + ar; i++) {
    const { name, next } = readName(msg, pos);
    if (next + 10 > msg.length) throw new DnsFormatError('truncated resource record');
    const length = msg.readUInt16BE(next + 8);
    const dataOffset = next + 10;
    if (dataOffset + length > msg.length) throw new DnsFormatError('record data runs past the end');
    if (i < an) {
      answers.push({
        name,
        type: msg.readUInt16BE(next),
        class: msg.readUInt16BE(next + 2),
        ttl: msg.readUInt32BE(next + 4),
        data: Buffer.from(msg.subarray(dataOffset, dataOffset + length)),
        dataOffset,
      });
    }
    pos = dataOffset + length;
  }
  return { id, flags, rcode: flags & 0x0f, questions, answers };
}

/** `10.1.2.3` → `3.2.1.10.in-addr.arpa`; null for anything that is not a dotted IPv4 address. */
export function reverseName(ip: string): string | null {
  const parts = ip.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return null;
  return `${parts.reverse().join('.')}.in-addr.arpa`;
}
