import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import {
  decodeSnmpMessage,
  encodeSnmpMessage,
  PDU_GET_REQUEST,
  PDU_RESPONSE,
  type SnmpValue,
  type VarBind,
} from '../../src/probes/ber.ts';

/**
 * Small but protocol-correct servers for the probe tests, run inside a lab namespace:
 *
 *   ip netns exec <ns> node --import tsx apps/daemon/test/support/lab-services.ts '<LabServicesSpec JSON>'
 *
 * No real DNS, NTP, SNMP or DHCP daemon is installed on the build machines, so these answer exactly
 * what the RFCs ask for. The DNS, NTP, NetBIOS, mDNS, DHCP and BACnet replies are built here byte by
 * byte, independently of the daemon's encoders; only the SNMP agent reuses the daemon's BER codec (its
 * bytes are pinned by ber.test.ts). Every request is reported as a JSON line on stdout, and
 * `{"event":"ready"}` once everything listens.
 */

export interface HttpRoute {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Sends this many bytes of "x" as the body instead of `body`. */
  bodyBytes?: number;
  /** Waits this long before sending the response headers. */
  delayMs?: number;
}

export interface HttpServerSpec {
  port: number;
  /** `sniff`: TLS when the client starts a handshake, otherwise a plain-HTTP 400 (like nginx). */
  kind: 'http' | 'https' | 'sniff';
  /** By path; `*` answers every other path (a catch-all server, like many appliances and single-page apps). */
  routes: Record<string, HttpRoute>;
}

export interface LabServicesSpec {
  dns?: { a: Record<string, string>; ptr: Record<string, string> };
  ntp?: { stratum: number };
  snmp?: { community: string; sysDescr: string };
  dhcp?: { offer: string; serverId: string };
  bacnet?: { deviceInstance: number };
  /** Reverse names answered to legacy-unicast mDNS queries: in-addr.arpa name → host name. */
  mdns?: { ptr: Record<string, string> };
  netbios?: { name: string; group: string; mac: string };
  tls?: { cert: string; key: string };
  http?: HttpServerSpec[];
  tcp?: Array<{ port: number; mode: 'banner' | 'close' | 'silent'; banner?: string }>;
}

function report(event: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

// ---------------------------------------------------------------- DNS-format helpers (independent)

function labels(name: string): Buffer {
  const parts = name.split('.').filter(Boolean);
  return Buffer.concat([
    ...parts.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p)])),
    Buffer.from([0]),
  ]);
}

/** The question of a query without compression: name, type, class, and where it ends. */
function question(msg: Buffer): { name: string; type: number; cls: number; end: number } {
  const parts: string[] = [];
  let pos = 12;
  while (msg[pos] !== 0) {
    if (pos >= msg.length || msg[pos] > 63) throw new Error('malformed question');
    parts.push(msg.toString('latin1', pos + 1, pos + 1 + msg[pos]));
    pos += 1 + msg[pos];
  }
  return {
    name: parts.join('.'),
    type: msg.readUInt16BE(pos + 1),
    cls: msg.readUInt16BE(pos + 3),
    end: pos + 5,
  };
}

function rr(type: number, cls: number, ttl: number, data: Buffer): Buffer {
  const head = Buffer.alloc(12);
  head.writeUInt16BE(0xc00c, 0); // pointer to the question name
  head.writeUInt16BE(type, 2);
  head.writeUInt16BE(cls, 4);
  head.writeUInt32BE(ttl, 6);
  head.writeUInt16BE(data.length, 10);
  return Buffer.concat([head, data]);
}

function header(id: number, flags: number, qd: number, an: number): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(id, 0);
  h.writeUInt16BE(flags, 2);
  h.writeUInt16BE(qd, 4);
  h.writeUInt16BE(an, 6);
  return h;
}

function udp(
  port: number,
  handle: (msg: Buffer, from: dgram.RemoteInfo, socket: dgram.Socket) => void,
): Promise<void> {
  const socket = dgram.createSocket('udp4');
  socket.on('message', (msg, from) => {
    try {
      handle(msg, from, socket);
    } catch (err) {
      report({ event: 'error', port, message: (err as Error).message });
    }
  });
  return new Promise((resolve) => socket.bind(port, '0.0.0.0', () => resolve()));
}

// ---------------------------------------------------------------- services

function dnsServer(spec: NonNullable<LabServicesSpec['dns']>): Promise<void> {
  return udp(53, (msg, from, socket) => {
    const q = question(msg);
    report({ event: 'dns', name: q.name, type: q.type });
    const id = msg.readUInt16BE(0);
    const rd = msg.readUInt16BE(2) & 0x0100;
    const qsec = msg.subarray(12, q.end);
    let answers: Buffer[] = [];
    let rcode = 0;
    if (q.type === 1 && spec.a[q.name.toLowerCase()]) {
      answers = [rr(1, 1, 60, Buffer.from(spec.a[q.name.toLowerCase()].split('.').map(Number)))];
    } else if (q.type === 12 && spec.ptr[q.name.toLowerCase()]) {
      answers = [rr(12, 1, 60, labels(spec.ptr[q.name.toLowerCase()]))];
    } else if (!spec.a[q.name.toLowerCase()] && !spec.ptr[q.name.toLowerCase()]) {
      rcode = 3;
    }
    const reply = Buffer.concat([
      header(id, 0x8000 | 0x0400 | rd | 0x0080 | rcode, 1, answers.length),
      qsec,
      ...answers,
    ]);
    socket.send(reply, from.port, from.address);
  });
}

function ntpServer(spec: NonNullable<LabServicesSpec['ntp']>): Promise<void> {
  const ntpNow = (buf: Buffer, at: number) => {
    const ms = Date.now();
    buf.writeUInt32BE(Math.floor(ms / 1000) + 2_208_988_800, at);
    buf.writeUInt32BE(Math.floor(((ms % 1000) / 1000) * 2 ** 32), at + 4);
  };
  return udp(123, (msg, from, socket) => {
    if (msg.length < 48 || (msg[0] & 7) !== 3) return;
    report({ event: 'ntp' });
    const reply = Buffer.alloc(48);
    reply[0] = (0 << 6) | (4 << 3) | 4; // LI 0, version 4, mode 4 (server)
    reply[1] = spec.stratum;
    reply[2] = msg[2];
    reply[3] = 0xec; // precision 2^-20
    reply.write('LAB', 12, 'latin1'); // reference id
    ntpNow(reply, 16); // reference timestamp
    msg.copy(reply, 24, 40, 48); // originate = the client's transmit timestamp
    ntpNow(reply, 32); // receive
    ntpNow(reply, 40); // transmit
    socket.send(reply, from.port, from.address);
  });
}

function snmpAgent(spec: NonNullable<LabServicesSpec['snmp']>): Promise<void> {
  return udp(161, (msg, from, socket) => {
    const req = decodeSnmpMessage(msg);
    report({ event: 'snmp', community: req.community });
    // Real agents drop requests with an unknown community silently.
    if (req.community !== spec.community || req.pduType !== PDU_GET_REQUEST) return;
    const mib: Record<string, SnmpValue> = {
      '1.3.6.1.2.1.1.1.0': { kind: 'string', value: Buffer.from(spec.sysDescr) },
      '1.3.6.1.2.1.1.3.0': { kind: 'unsigned', tag: 0x43, value: Math.floor(process.uptime() * 100) },
      '1.3.6.1.2.1.1.5.0': { kind: 'string', value: Buffer.from('lab-agent') },
    };
    const varbinds: VarBind[] = req.varbinds.map((vb) => ({
      oid: vb.oid,
      value: mib[vb.oid] ?? { kind: 'exception', value: 'noSuchObject' },
    }));
    const reply = encodeSnmpMessage({
      ...req,
      pduType: PDU_RESPONSE,
      errorStatus: 0,
      errorIndex: 0,
      varbinds,
    });
    socket.send(reply, from.port, from.address);
  });
}

function dhcpServer(spec: NonNullable<LabServicesSpec['dhcp']>): Promise<void> {
  const ip = (s: string) => Buffer.from(s.split('.').map(Number));
  return udp(67, (msg, from, socket) => {
    if (msg.length < 240 || msg[0] !== 1 || msg.readUInt32BE(236) !== 0x63825363) return;
    report({ event: 'dhcp', from: `${from.address}:${from.port}` });
    const reply = Buffer.alloc(300);
    reply[0] = 2; // BOOTREPLY
    reply[1] = 1;
    reply[2] = 6;
    msg.copy(reply, 4, 4, 8); // xid
    msg.copy(reply, 10, 10, 12); // flags
    ip(spec.offer).copy(reply, 16); // yiaddr
    ip(spec.serverId).copy(reply, 20); // siaddr
    msg.copy(reply, 28, 28, 44); // chaddr
    reply.writeUInt32BE(0x63825363, 236);
    const options = Buffer.concat([
      Buffer.from([53, 1, 2]), // OFFER
      Buffer.from([54, 4]),
      ip(spec.serverId),
      Buffer.from([1, 4, 255, 255, 255, 0, 51, 4, 0, 0, 0x0e, 0x10, 255]),
    ]);
    options.copy(reply, 240);
    // Unicast back to the asking socket, which also reaches a client that could not bind port 68.
    socket.send(reply, from.port, from.address);
  });
}

function bacnetDevice(spec: NonNullable<LabServicesSpec['bacnet']>): Promise<void> {
  return udp(47808, (msg, from, socket) => {
    // Who-Is: BVLC 0x81, then an NPDU, then APDU 0x10 0x08 somewhere after the NPDU header.
    if (msg[0] !== 0x81 || !msg.includes(Buffer.from([0x10, 0x08]))) return;
    report({ event: 'bacnet' });
    const objectId = Buffer.alloc(4);
    objectId.writeUInt32BE(((8 << 22) | spec.deviceInstance) >>> 0); // object type 8 = device
    const apdu = Buffer.concat([
      Buffer.from([0x10, 0x00, 0xc4]), // Unconfirmed-Request I-Am, application tag 12 (object id), 4 bytes
      objectId,
      Buffer.from([0x22, 0x05, 0xc4, 0x91, 0x00, 0x21, 0x0f]), // max APDU 1476, segmentation both, vendor 15
    ]);
    const npdu = Buffer.from([0x01, 0x00]);
    const bvlc = Buffer.from([0x81, 0x0a, 0x00, 4 + npdu.length + apdu.length]);
    socket.send(Buffer.concat([bvlc, npdu, apdu]), from.port, from.address);
  });
}

function mdnsResponder(spec: NonNullable<LabServicesSpec['mdns']>): Promise<void> {
  return udp(5353, (msg, from, socket) => {
    const q = question(msg);
    const target = spec.ptr[q.name.toLowerCase()];
    report({ event: 'mdns', name: q.name, unicastBit: (q.cls & 0x8000) !== 0 });
    if (q.type !== 12 || !target) return;
    // Legacy unicast reply (RFC 6762 §6.7): same id, the question repeated, TTL at most 10 s.
    const id = msg.readUInt16BE(0);
    const reply = Buffer.concat([
      header(id, 0x8400, 1, 1),
      msg.subarray(12, q.end - 4),
      Buffer.from([0, 12, 0, 1]),
      rr(12, 1, 10, labels(target)),
    ]);
    socket.send(reply, from.port, from.address);
  });
}

function netbiosResponder(spec: NonNullable<LabServicesSpec['netbios']>): Promise<void> {
  const entry = (name: string, suffix: number, flags: number) => {
    const e = Buffer.alloc(18, 0x20);
    e.write(name.toUpperCase().slice(0, 15), 0, 'latin1');
    e[15] = suffix;
    e.writeUInt16BE(flags, 16);
    return e;
  };
  return udp(137, (msg, from, socket) => {
    if (msg.length < 50 || msg.readUInt16BE(12 + 34) !== 0x21) return;
    report({ event: 'netbios' });
    const names = [
      entry(spec.name, 0x00, 0x0400),
      entry(spec.name, 0x20, 0x0400),
      entry(spec.group, 0x00, 0x8400),
    ];
    const stats = Buffer.alloc(46);
    Buffer.from(spec.mac.split(':').map((h) => parseInt(h, 16))).copy(stats, 0);
    const data = Buffer.concat([Buffer.from([names.length]), ...names, stats]);
    const answer = Buffer.alloc(10);
    answer.writeUInt16BE(0x21, 0);
    answer.writeUInt16BE(1, 2);
    answer.writeUInt32BE(0, 4);
    answer.writeUInt16BE(data.length, 8);
    const id = msg.readUInt16BE(0);
    const reply = Buffer.concat([header(id, 0x8400, 0, 1), msg.subarray(12, 12 + 34), answer, data]);
    socket.send(reply, from.port, from.address);
  });
}

function httpHandler(port: number, routes: Record<string, HttpRoute>): http.RequestListener {
  return (req, res) => {
    report({ event: 'http', port, path: req.url, secure: req.socket instanceof tls.TLSSocket });
    const route = routes[req.url ?? ''] ?? routes['*'] ?? { status: 404, body: 'not found' };
    const send = () => {
      res.writeHead(route.status, { 'Content-Type': 'text/html', ...route.headers });
      res.end(route.bodyBytes ? Buffer.alloc(route.bodyBytes, 'x') : (route.body ?? ''));
    };
    if (route.delayMs) setTimeout(send, route.delayMs);
    else send();
  };
}

async function httpServer(spec: HttpServerSpec, tls: LabServicesSpec['tls']): Promise<void> {
  const handler = httpHandler(spec.port, spec.routes);
  const tlsOptions = () => {
    if (!tls) throw new Error(`port ${spec.port} needs the tls key and certificate`);
    return { cert: readFileSync(tls.cert), key: readFileSync(tls.key) };
  };
  if (spec.kind === 'http') {
    const server = http.createServer(handler);
    await new Promise<void>((resolve) => server.listen(spec.port, '0.0.0.0', resolve));
    return;
  }
  const secure = https.createServer(tlsOptions(), handler);
  if (spec.kind === 'https') {
    await new Promise<void>((resolve) => secure.listen(spec.port, '0.0.0.0', resolve));
    return;
  }
  // The TLS side listens privately; a handshake is relayed there byte for byte (a net.Socket whose first
  // bytes were already read cannot be handed to a TLS server directly).
  await new Promise<void>((resolve) => secure.listen(0, '127.0.0.1', resolve));
  const inner = (secure.address() as net.AddressInfo).port;
  const sniffer = net.createServer((socket) => {
    socket.on('error', () => undefined);
    socket.once('data', (first: Buffer) => {
      if (first[0] === 0x16) {
        const relay = net.connect(inner, '127.0.0.1');
        relay.on('error', () => socket.destroy());
        relay.write(first);
        socket.pipe(relay).pipe(socket);
        return;
      }
      report({ event: 'http', port: spec.port, path: 'plain-on-tls', secure: false });
      socket.end(
        'HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 45\r\nConnection: close\r\n\r\nThe plain HTTP request was sent to HTTPS port',
      );
    });
  });
  await new Promise<void>((resolve) => sniffer.listen(spec.port, '0.0.0.0', resolve));
}

function tcpServer(spec: NonNullable<LabServicesSpec['tcp']>[number]): Promise<void> {
  const held: net.Socket[] = [];
  const server = net.createServer((socket) => {
    report({ event: 'tcp', port: spec.port });
    socket.on('error', () => undefined);
    switch (spec.mode) {
      case 'banner':
        socket.write(spec.banner ?? '');
        held.push(socket);
        break;
      case 'close':
        socket.end();
        break;
      case 'silent':
        held.push(socket);
        break;
    }
  });
  return new Promise((resolve) => server.listen(spec.port, '0.0.0.0', resolve));
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '{}') as LabServicesSpec;
  const starts: Array<Promise<void>> = [];
  if (spec.dns) starts.push(dnsServer(spec.dns));
  if (spec.ntp) starts.push(ntpServer(spec.ntp));
  if (spec.snmp) starts.push(snmpAgent(spec.snmp));
  if (spec.dhcp) starts.push(dhcpServer(spec.dhcp));
  if (spec.bacnet) starts.push(bacnetDevice(spec.bacnet));
  if (spec.mdns) starts.push(mdnsResponder(spec.mdns));
  if (spec.netbios) starts.push(netbiosResponder(spec.netbios));
  for (const h of spec.http ?? []) starts.push(httpServer(h, spec.tls));
  for (const t of spec.tcp ?? []) starts.push(tcpServer(t));
  await Promise.all(starts);
  report({ event: 'ready' });
}

await main();
