import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { parseMessage } from './dns-wire.ts';
import {
  buildMdnsReverseQuery,
  buildNetbiosStatusQuery,
  encodeNetbiosName,
  mdnsName,
  netbiosStatus,
  parseMdnsReverseReply,
  parseNetbiosStatusReply,
  reverseDns,
} from './names.ts';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

const sockets: dgram.Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
});

async function responder(
  answer: (msg: Buffer) => Buffer | null,
): Promise<{ port: number; received: Buffer[] }> {
  const socket = dgram.createSocket('udp4');
  sockets.push(socket);
  const received: Buffer[] = [];
  socket.on('message', (msg, from) => {
    received.push(msg);
    const reply = answer(msg);
    if (reply) socket.send(reply, from.port, from.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { port: socket.address().port, received };
}

/** A NODE STATUS RESPONSE as Windows sends it: names, then a 46-byte statistics block starting with the MAC. */
function nbstatReply(id: number, names: Array<[string, number, number]>, mac: string): Buffer {
  const entries = names.map(([name, suffix, flags]) => {
    const e = Buffer.alloc(18, 0x20);
    e.write(name, 0, 'latin1');
    e[15] = suffix;
    e.writeUInt16BE(flags, 16);
    return e;
  });
  const stats = Buffer.alloc(46);
  hex(mac).copy(stats);
  const data = Buffer.concat([Buffer.from([names.length]), ...entries, stats]);
  const head = Buffer.alloc(12);
  head.writeUInt16BE(id, 0);
  head.writeUInt16BE(0x8400, 2);
  head.writeUInt16BE(1, 6);
  const rr = Buffer.alloc(10);
  rr.writeUInt16BE(0x21, 0);
  rr.writeUInt16BE(1, 2);
  rr.writeUInt16BE(data.length, 8);
  return Buffer.concat([head, buildNetbiosStatusQuery(id).subarray(12, 12 + 34), rr, data]);
}

describe('NetBIOS node status', () => {
  it('encodes the wildcard name and the NBSTAT question (RFC 1002 §4.2.17)', () => {
    expect(encodeNetbiosName('*', 0, 0)).toBe(`CK${'A'.repeat(30)}`);
    expect(encodeNetbiosName('FRED', 0x20)).toBe('EGFCEFEECACACACACACACACACACACACA');
    expect(buildNetbiosStatusQuery(0x1234).toString('hex')).toBe(
      '123400000001000000000000' +
        '20' +
        Buffer.from(`CK${'A'.repeat(30)}`).toString('hex') +
        '00' +
        '00210001',
    );
  });

  it('takes the first unique <00> name as the workstation and the <00> group as the workgroup', () => {
    const reply = nbstatReply(
      7,
      [
        ['WORKGROUP', 0x00, 0x8400],
        ['DESKTOP-7QX', 0x20, 0x0400],
        ['DESKTOP-7QX', 0x00, 0x0400],
      ],
      '001122334455',
    );
    expect(parseNetbiosStatusReply(reply, 7)).toEqual({
      name: 'DESKTOP-7QX',
      group: 'WORKGROUP',
      mac: '00:11:22:33:44:55',
    });
    expect(parseNetbiosStatusReply(reply, 8)).toBeUndefined();
    const samba = nbstatReply(7, [['NAS', 0x00, 0x0400]], '000000000000');
    expect(parseNetbiosStatusReply(samba, 7)).toEqual({ name: 'NAS', group: null, mac: null });
    expect(parseNetbiosStatusReply(nbstatReply(7, [['WORKGROUP', 0x00, 0x8400]], '00'), 7)).toBeUndefined();
  });

  it('asks over UDP and parses the answer', async () => {
    const server = await responder((q) =>
      nbstatReply(q.readUInt16BE(0), [['PRINTER1', 0x00, 0x0400]], '020000000001'),
    );
    expect(await netbiosStatus('127.0.0.1', { port: server.port })).toEqual({
      name: 'PRINTER1',
      group: null,
      mac: '02:00:00:00:00:01',
    });
  });
});

describe('mDNS reverse lookup', () => {
  it('asks for the in-addr.arpa PTR with the unicast-response bit', () => {
    const q = parseMessage(buildMdnsReverseQuery(9, '10.77.50.2'));
    expect(q.questions).toEqual([{ name: '2.50.77.10.in-addr.arpa', type: 12, class: 0x8001 }]);
    expect(() => buildMdnsReverseQuery(9, 'fe80::1')).toThrow();
  });

  it('reads the PTR target through a compression pointer into the question', async () => {
    const server = await responder((q) => {
      const qEnd = q.length; // one question, nothing else
      const head = Buffer.from(q.subarray(0, 12));
      head.writeUInt16BE(0x8400, 2);
      head.writeUInt16BE(1, 6);
      // Answer name = pointer to the question (offset 12); data = "printer" + pointer to ".local" stored later.
      const target = Buffer.concat([
        Buffer.from([7]),
        Buffer.from('printer'),
        Buffer.from([5]),
        Buffer.from('local'),
        Buffer.from([0]),
      ]);
      const rr = Buffer.alloc(12);
      rr.writeUInt16BE(0xc00c, 0);
      rr.writeUInt16BE(12, 2);
      rr.writeUInt16BE(1, 4);
      rr.writeUInt32BE(10, 6);
      rr.writeUInt16BE(target.length, 10);
      return Buffer.concat([head, q.subarray(12, qEnd), rr, target]);
    });
    expect(await mdnsName('127.0.0.1', { port: server.port })).toBe('printer.local');
  });

  it('ignores answers about another address', () => {
    const q = buildMdnsReverseQuery(1, '10.77.50.3');
    const reply = Buffer.concat([
      hex('0001 8400 0001 0001 0000 0000'),
      q.subarray(12),
      hex('c00c 000c 0001 0000000a 0005 03616263 00'),
    ]);
    expect(parseMdnsReverseReply(reply, '10.77.50.3')).toBe('abc');
    expect(parseMdnsReverseReply(reply, '10.77.50.4')).toBeUndefined();
  });
});

describe('reverse DNS', () => {
  it('resolves a PTR through c-ares against a given nameserver, and gives null for NXDOMAIN', async () => {
    const server = await responder((q) => {
      const known = parseMessage(q).questions[0]?.name === '2.50.77.10.in-addr.arpa';
      // Header and question only (the question name is uncompressed: it ends at the first zero byte).
      const question = Buffer.from(q.subarray(0, q.indexOf(0, 12) + 5));
      question.writeUInt16BE(0x8180 | (known ? 0 : 3), 2);
      question.writeUInt16BE(known ? 1 : 0, 6);
      question.writeUInt16BE(0, 10); // c-ares may add an EDNS OPT record; the reply carries none
      if (!known) return question;
      const target = Buffer.concat([
        Buffer.from([4]),
        Buffer.from('host'),
        Buffer.from([3]),
        Buffer.from('lab'),
        Buffer.from([0]),
      ]);
      const rr = hex(`c00c 000c 0001 0000003c ${target.length.toString(16).padStart(4, '0')}`);
      return Buffer.concat([question, rr, target]);
    });
    const servers = [`127.0.0.1:${server.port}`];
    expect(await reverseDns('10.77.50.2', { servers })).toBe('host.lab');
    expect(await reverseDns('10.77.50.3', { servers })).toBeNull();
    expect(server.received.length).toBeGreaterThanOrEqual(2);
  });

  it('gives up at the timeout when the nameserver is silent, and at once when aborted', async () => {
    const silent = await responder(() => null);
    const servers = [`127.0.0.1:${silent.port}`];
    expect(await reverseDns('10.77.50.2', { servers, timeoutMs: 100 })).toBeNull();
    const controller = new AbortController();
    const pending = reverseDns('10.77.50.2', { servers, timeoutMs: 600_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    expect(await pending).toBeNull();
  });
});
