import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeSnmpMessage, encodeSnmpMessage, PDU_RESPONSE } from './ber.ts';
import { runPool } from './exchange.ts';
import {
  BACNET_WHO_IS,
  buildDhcpDiscover,
  buildDnsProbe,
  buildNtpRequest,
  parseBacnetReply,
  parseDhcpReply,
  parseDnsProbeReply,
  parseNtpReply,
  parseSnmpProbeReply,
  probeBacnet,
  probeDhcp,
  probeDns,
  probeNtp,
  probeSnmp,
  randomClientMac,
} from './udp.ts';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

const sockets: dgram.Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
});

/** A UDP server on 127.0.0.1 answering each datagram with the replies `answer` returns. */
async function responder(answer: (msg: Buffer) => Buffer[]): Promise<{ port: number; received: Buffer[] }> {
  const socket = dgram.createSocket('udp4');
  sockets.push(socket);
  const received: Buffer[] = [];
  socket.on('message', (msg, from) => {
    received.push(msg);
    for (const reply of answer(msg)) socket.send(reply, from.port, from.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { port: socket.address().port, received };
}

/** A port on 127.0.0.1 with nothing listening (bound once, then released). */
async function closedPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

describe('packet formats', () => {
  it('DNS: an A query for google.com with recursion desired; a reply counts whatever its rcode', () => {
    const q = buildDnsProbe(0x0102);
    expect(q.toString('hex')).toBe('010201000001000000000000' + '06676f6f676c6503636f6d00' + '00010001');
    const refused = Buffer.concat([hex('0102 8185 0001 0000 0000 0000'), q.subarray(12)]);
    expect(parseDnsProbeReply(refused, 0x0102)).toEqual({ rcode: 5, answers: 0 });
    expect(parseDnsProbeReply(refused, 0x0103)).toBeUndefined();
    // The query itself (QR = 0) is not a reply, e.g. when a forwarder reflects it.
    expect(parseDnsProbeReply(q, 0x0102)).toBeUndefined();
  });

  it('NTP: a 48-byte SNTPv4 client request; the reply must echo our nonce in server mode', () => {
    const nonce = hex('0102030405060708');
    const req = buildNtpRequest(nonce);
    expect(req.length).toBe(48);
    expect(req[0]).toBe(0x23); // LI 0, VN 4, mode 3
    expect(req.subarray(1, 40).every((b) => b === 0)).toBe(true);
    expect(req.subarray(40)).toEqual(nonce);

    const reply = Buffer.alloc(48);
    reply[0] = 0x24;
    reply[1] = 2;
    nonce.copy(reply, 24);
    reply.writeUInt32BE(3_913_056_000, 40); // 2024-01-01T00:00:00Z in NTP seconds
    reply.writeUInt32BE(2 ** 31, 44); // + 0.5 s
    expect(parseNtpReply(reply, nonce)).toEqual({
      stratum: 2,
      serverTime: new Date('2024-01-01T00:00:00.500Z'),
    });
    expect(parseNtpReply(reply, hex('0102030405060709'))).toBeUndefined();
    expect(parseNtpReply(Buffer.concat([Buffer.from([0x23]), reply.subarray(1)]), nonce)).toBeUndefined();
    const zero = Buffer.from(reply);
    zero.fill(0, 40, 48);
    expect(parseNtpReply(zero, nonce)).toBeUndefined();
    // After the 2036 era rollover the 32-bit seconds wrap; small values mean era 1.
    const era1 = Buffer.from(reply);
    era1.writeUInt32BE(100, 40);
    era1.writeUInt32BE(0, 44);
    expect(parseNtpReply(era1, nonce)?.serverTime.toISOString()).toBe('2036-02-07T06:29:56.000Z');
  });

  it('SNMP: a response with our request id counts; the sysDescr string is returned', () => {
    const reply = (requestId: number, kind: 'string' | 'exception') =>
      encodeSnmpMessage({
        version: 1,
        community: 'public',
        pduType: PDU_RESPONSE,
        requestId,
        errorStatus: 0,
        errorIndex: 0,
        varbinds: [
          {
            oid: '1.3.6.1.2.1.1.1.0',
            value:
              kind === 'string'
                ? { kind: 'string', value: Buffer.from('RouterOS CHR') }
                : { kind: 'exception', value: 'noSuchObject' },
          },
        ],
      });
    expect(parseSnmpProbeReply(reply(7, 'string'), 7)).toEqual({ sysDescr: 'RouterOS CHR' });
    expect(parseSnmpProbeReply(reply(7, 'exception'), 7)).toEqual({ sysDescr: null });
    expect(parseSnmpProbeReply(reply(8, 'string'), 7)).toBeUndefined();
  });

  it('DHCP: a 300-byte DISCOVER with broadcast flag, chaddr and the parameter request list', () => {
    const mac = hex('02aabbccddee');
    const d = buildDhcpDiscover(0xdeadbeef, mac);
    expect(d.length).toBe(300);
    expect(d.subarray(0, 4).toString('hex')).toBe('01010600');
    expect(d.readUInt32BE(4)).toBe(0xdeadbeef);
    expect(d.readUInt16BE(10)).toBe(0x8000);
    expect(d.subarray(12, 28).every((b) => b === 0)).toBe(true); // ciaddr, yiaddr, siaddr, giaddr
    expect(d.subarray(28, 34)).toEqual(mac);
    // Magic cookie, option 53 = DISCOVER, option 55 = [1, 3, 6, 15], end; then padding.
    expect(d.subarray(236, 250).toString('hex')).toBe('63825363' + '350101' + '37040103060f' + 'ff');
    expect(d.subarray(250).every((b) => b === 0)).toBe(true);

    const offer = Buffer.alloc(300);
    offer[0] = 2;
    offer.writeUInt32BE(0xdeadbeef, 4);
    Buffer.from([10, 77, 50, 100]).copy(offer, 16);
    offer.writeUInt32BE(0x63825363, 236);
    Buffer.from([0, 53, 1, 2, 54, 4, 10, 77, 50, 1, 255]).copy(offer, 240);
    expect(parseDhcpReply(offer, 0xdeadbeef)).toEqual({
      messageType: 'offer',
      offeredIp: '10.77.50.100',
      serverId: '10.77.50.1',
    });
    expect(parseDhcpReply(offer, 0xdeadbeee)).toBeUndefined();
    const nak = Buffer.from(offer);
    nak[243] = 6;
    expect(parseDhcpReply(nak, 0xdeadbeef)).toBeUndefined();
    // Our own DISCOVER (op 1), e.g. seen on a broadcast domain, is not an answer.
    expect(parseDhcpReply(d, 0xdeadbeef)).toBeUndefined();
  });

  it('DHCP: random client MACs are unicast and locally administered', () => {
    for (let i = 0; i < 50; i++) expect(randomClientMac()[0] & 0x03).toBe(0x02);
  });

  it('BACnet: a 12-byte Who-Is whose BVLC length matches; any BVLC frame answers', () => {
    expect(BACNET_WHO_IS.length).toBe(12);
    expect(BACNET_WHO_IS.readUInt16BE(2)).toBe(12);
    expect(BACNET_WHO_IS.subarray(0, 2).toString('hex')).toBe('810a');
    expect(BACNET_WHO_IS.subarray(-2).toString('hex')).toBe('1008');
    expect(parseBacnetReply(hex('810a0019 0100 1000c4020004d2 2205c4 9100 210f'))).toEqual({
      bvlcFunction: 0x0a,
    });
    expect(parseBacnetReply(hex('810a00'))).toBeUndefined();
    expect(parseBacnetReply(hex('820a0004'))).toBeUndefined();
  });
});

describe('probes over loopback sockets', () => {
  it('DNS ignores a reply with a foreign id and garbage, then accepts the real answer', async () => {
    const server = await responder((q) => {
      const wrongId = Buffer.from(q);
      wrongId.writeUInt16BE((q.readUInt16BE(0) + 1) & 0xffff, 0);
      wrongId[2] |= 0x80;
      const real = Buffer.from(q);
      real[2] |= 0x80;
      real[3] = 0x83; // NXDOMAIN
      return [wrongId, Buffer.from('garbage'), real];
    });
    expect(await probeDns('127.0.0.1', { port: server.port })).toEqual({ rcode: 3, answers: 0 });
    expect(server.received).toHaveLength(1);
  });

  it('a closed port ends the probe at once through ICMP port unreachable, not at the timeout', async () => {
    // With a 10-minute timeout this test can only finish within vitest's limit if the refusal is seen.
    const port = await closedPort();
    expect(await probeDns('127.0.0.1', { port, timeoutMs: 600_000 })).toBeNull();
    expect(await probeNtp('127.0.0.1', { port, timeoutMs: 600_000 })).toBeNull();
  });

  it('silence ends at the timeout and an abort ends the probe early', async () => {
    const silent = await responder(() => []);
    expect(await probeSnmp('127.0.0.1', { port: silent.port, timeoutMs: 50 })).toBeNull();
    const controller = new AbortController();
    const pending = probeBacnet('127.0.0.1', {
      port: silent.port,
      timeoutMs: 600_000,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 20);
    expect(await pending).toBeNull();
    expect(await probeNtp('127.0.0.1', { port: silent.port, signal: AbortSignal.abort() })).toBeNull();
    expect(silent.received.length).toBeGreaterThanOrEqual(2);
  });

  it('NTP, SNMP and BACnet answer through their probes', async () => {
    const ntp = await responder((q) => {
      const r = Buffer.alloc(48);
      r[0] = 0x24;
      r[1] = 1;
      q.copy(r, 24, 40, 48);
      r.writeUInt32BE(Math.floor(Date.now() / 1000) + 2_208_988_800, 40);
      return [r];
    });
    const snmp = await responder((q) => {
      const req = decodeSnmpMessage(q);
      return [
        encodeSnmpMessage({
          ...req,
          pduType: PDU_RESPONSE,
          varbinds: [
            { oid: req.varbinds[0].oid, value: { kind: 'string', value: Buffer.from('Lab switch') } },
          ],
        }),
      ];
    });
    const bacnet = await responder((q) =>
      q.equals(BACNET_WHO_IS) ? [hex('810a000c0100100c0c000004d2')] : [],
    );
    const [n, s, b] = await Promise.all([
      probeNtp('127.0.0.1', { port: ntp.port }),
      probeSnmp('127.0.0.1', { port: snmp.port }),
      probeBacnet('127.0.0.1', { port: bacnet.port }),
    ]);
    expect(n?.stratum).toBe(1);
    expect(Math.abs((n?.serverTime.getTime() ?? 0) - Date.now())).toBeLessThan(60_000);
    expect(s).toEqual({ sysDescr: 'Lab switch' });
    expect(b).toEqual({ bvlcFunction: 0x0a });
    expect(decodeSnmpMessage(snmp.received[0]).community).toBe('public');
  });

  it('DHCP falls back to an ephemeral client port when the preferred one is taken', async () => {
    const taken = dgram.createSocket('udp4');
    sockets.push(taken);
    await new Promise<void>((resolve) => taken.bind(0, '0.0.0.0', resolve));
    const seenFrom: number[] = [];
    const server = dgram.createSocket('udp4');
    sockets.push(server);
    server.on('message', (msg, from) => {
      seenFrom.push(from.port);
      const offer = Buffer.alloc(300);
      offer[0] = 2;
      msg.copy(offer, 4, 4, 8);
      Buffer.from([10, 77, 50, 9]).copy(offer, 16);
      offer.writeUInt32BE(0x63825363, 236);
      Buffer.from([53, 1, 5, 255]).copy(offer, 240);
      server.send(offer, from.port, from.address);
    });
    await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve));
    const result = await probeDhcp('127.0.0.1', {
      port: server.address().port,
      clientPort: taken.address().port,
    });
    expect(result).toEqual({ messageType: 'ack', offeredIp: '10.77.50.9', serverId: null });
    expect(seenFrom).toHaveLength(1);
    expect(seenFrom[0]).not.toBe(taken.address().port);
  });
});

describe('runPool', () => {
  it('never exceeds the concurrency, keeps item order and paces every launch', async () => {
    let running = 0;
    let peak = 0;
    let paced = 0;
    const results = await runPool(
      [5, 1, 4, 2, 3, 0, 6],
      { concurrency: 3, pace: async () => void paced++ },
      async (n) => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setTimeout(resolve, n * 3));
        running--;
        return n * 10;
      },
    );
    expect(results).toEqual([50, 10, 40, 20, 30, 0, 60]);
    expect(peak).toBe(3);
    expect(paced).toBe(7);
  });

  it('stops launching on abort and leaves unlaunched items undefined', async () => {
    const controller = new AbortController();
    const started: number[] = [];
    const results = await runPool([1, 2, 3, 4], { concurrency: 1, signal: controller.signal }, async (n) => {
      started.push(n);
      if (n === 2) controller.abort();
      return n;
    });
    expect(started).toEqual([1, 2]);
    expect(results).toEqual([1, 2, undefined, undefined]);
  });
});
