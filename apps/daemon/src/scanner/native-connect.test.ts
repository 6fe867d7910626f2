import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNativeConnectAttempt, ipv4ToUint, nativeConnectStatus, outcomeOf } from './native-connect.ts';
import { ScanSignal } from './signal.ts';
import { connectAttempt, type AttemptOutcome, type ConnectAttempt } from './tcp.ts';

/** Real sockets on 127.0.0.1 only: listeners, and ports freed again so the kernel answers RST. */
const servers: net.Server[] = [];
const accepted: string[] = [];
let openPorts: number[] = [];
let closedPorts: number[] = [];

function listen(): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((socket) => {
      accepted.push('conn');
      socket.on('error', (err: NodeJS.ErrnoException) => accepted.push(err.code ?? 'error'));
    });
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

beforeAll(async () => {
  for (let i = 0; i < 6; i++) servers.push(await listen());
  const port = (s: net.Server) => (s.address() as net.AddressInfo).port;
  openPorts = servers.slice(0, 3).map(port);
  closedPorts = servers.slice(3).map(port);
  await Promise.all(servers.splice(3).map((s) => new Promise((r) => s.close(r))));
});

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

describe('native connect helpers', () => {
  it('reads dotted IPv4 addresses and nothing else', () => {
    expect(ipv4ToUint('127.0.0.1')).toBe(0x7f000001);
    expect(ipv4ToUint('10.77.46.255')).toBe((10 << 24) + (77 << 16) + (46 << 8) + 255);
    expect(ipv4ToUint('255.255.255.255')).toBe(0xffffffff);
    for (const bad of ['::1', '1.2.3', '1.2.3.4.5', '1.2.3.256', '1.2.3.x', '', '1..2.3'])
      expect(ipv4ToUint(bad)).toBeNull();
  });

  it('maps the addon outcome codes to the scanner outcomes', () => {
    expect(outcomeOf(0)).toEqual({ kind: 'open' });
    expect(outcomeOf(1)).toEqual({ kind: 'closed' });
    expect(outcomeOf(2)).toEqual({ kind: 'timeout' });
    expect(outcomeOf(1000 + 113)).toEqual({ kind: 'unreachable', code: 'EHOSTUNREACH' });
    expect(outcomeOf(2000 + 24)).toEqual({ kind: 'error', code: 'EMFILE' });
    expect(outcomeOf(2000 + 99)).toEqual({ kind: 'error', code: 'EADDRNOTAVAIL' });
  });
});

const status = nativeConnectStatus();
// The addon is built by scripts/ensure-deps.sh (npm test, npm start); CI must exercise it, not the fallback.
it('is built where the tests run in CI', () => {
  if (process.env.CI) expect(status).toEqual({ native: true, reason: null });
  else expect(typeof status.native).toBe('boolean');
});

describe.skipIf(!status.native)(`native connect probe (${status.reason ?? 'built'})`, () => {
  const attempt = createNativeConnectAttempt(connectAttempt) as ConnectAttempt;

  it('answers open and closed exactly as net.Socket does', async () => {
    const targets = [...openPorts, ...closedPorts, ...openPorts, ...closedPorts];
    const native = await Promise.all(targets.map((p) => attempt('127.0.0.1', p, { timeoutMs: 2000 })));
    const node = await Promise.all(targets.map((p) => connectAttempt('127.0.0.1', p, { timeoutMs: 2000 })));
    expect(native.map((o) => o.kind)).toEqual(node.map((o) => o.kind));
    expect(native.map((o) => o.kind)).toEqual([
      'open',
      'open',
      'open',
      'closed',
      'closed',
      'closed',
      'open',
      'open',
      'open',
      'closed',
      'closed',
      'closed',
    ]);
  });

  it('resets an open port at once: the listener sees the connection end with ECONNRESET, not a FIN', async () => {
    accepted.length = 0;
    expect(await attempt('127.0.0.1', openPorts[0], { timeoutMs: 2000 })).toEqual({ kind: 'open' });
    await expect.poll(() => accepted, { timeout: 2000 }).toContain('ECONNRESET');
  });

  it('binds the source address it is given', async () => {
    // Any 127/8 address is this machine's: the probe works from it.
    expect(await attempt('127.0.0.1', openPorts[1], { timeoutMs: 2000, localAddress: '127.0.0.7' })).toEqual({
      kind: 'open',
    });
    // A source address this machine does not have is a local error (the bind failed), not a verdict on the target.
    const outcome = await attempt('127.0.0.1', openPorts[1], { timeoutMs: 2000, localAddress: '192.0.2.1' });
    expect(outcome).toEqual({ kind: 'error', code: 'EADDRNOTAVAIL' });
  });

  it('hands IPv6 targets to the fallback', async () => {
    const calls: string[] = [];
    const fallback: ConnectAttempt = async (ip) => {
      calls.push(ip);
      return { kind: 'closed' };
    };
    const withFallback = createNativeConnectAttempt(fallback) as ConnectAttempt;
    expect(await withFallback('::1', 9, { timeoutMs: 100 })).toEqual({ kind: 'closed' });
    expect(calls).toEqual(['::1']);
  });

  it('a thousand probes at once each get their own answer', async () => {
    const ports = Array.from({ length: 1000 }, (_, i) =>
      i % 2 === 0 ? openPorts[i % 3] : closedPorts[i % 3],
    );
    const outcomes = await Promise.all(ports.map((p) => attempt('127.0.0.1', p, { timeoutMs: 5000 })));
    const expected = ports.map((p) => (openPorts.includes(p) ? 'open' : 'closed'));
    expect(outcomes.map((o) => o.kind)).toEqual(expected);
  });

  it('an aborted signal answers aborted without a connect, and a probe pending at the abort answers aborted', async () => {
    const signal = new ScanSignal();
    signal.abort(new Error('stop'));
    expect(await attempt('127.0.0.1', openPorts[0], { timeoutMs: 2000, signal })).toEqual({
      kind: 'aborted',
    });

    // Pending probes are cancelled synchronously by the abort, before the kernel's answer is read.
    const live = new ScanSignal();
    const pending: Promise<AttemptOutcome>[] = [];
    for (let i = 0; i < 20; i++)
      pending.push(attempt('127.0.0.1', closedPorts[0], { timeoutMs: 2000, signal: live }));
    const other = attempt('127.0.0.1', closedPorts[1], { timeoutMs: 2000, signal: new ScanSignal() });
    live.abort(new Error('stop'));
    const outcomes = await Promise.all(pending);
    // Loopback may answer a probe synchronously inside connect(); every other one was pending and is aborted.
    expect(outcomes.every((o) => o.kind === 'aborted' || o.kind === 'closed')).toBe(true);
    expect(outcomes.some((o) => o.kind === 'aborted')).toBe(true);
    // A probe under another signal is not touched.
    expect(await other).toEqual({ kind: 'closed' });
  });
});
