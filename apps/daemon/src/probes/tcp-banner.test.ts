import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connectAndPeek, peekConnected } from './tcp-banner.ts';

const servers: net.Server[] = [];
const held: net.Socket[] = [];
afterEach(async () => {
  for (const s of held.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function serve(onConnection: (socket: net.Socket) => void): Promise<number> {
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    onConnection(socket);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

// Generous waits where an answer is expected: loopback is fast, but CI machines are busy.
const WAIT = { waitMs: 500 };

describe('TCP peek after connect', () => {
  it('collects a banner and says "not TLS"', async () => {
    const port = await serve((s) => {
      held.push(s);
      s.write('SSH-2.0-LabSSH_1.0\r\n');
    });
    expect(await connectAndPeek('127.0.0.1', port, WAIT)).toEqual({
      open: true,
      likelyTls: false,
      banner: 'SSH-2.0-LabSSH_1.0\r\n',
    });
  });

  it('flags an immediate clean close as likely TLS', async () => {
    const port = await serve((s) => s.end());
    expect(await connectAndPeek('127.0.0.1', port, WAIT)).toEqual({
      open: true,
      likelyTls: true,
      banner: null,
    });
  });

  it('reads silence and resets as neither banner nor TLS', async () => {
    const silent = await serve((s) => held.push(s));
    expect(await connectAndPeek('127.0.0.1', silent)).toEqual({ open: true, likelyTls: false, banner: null });
    const reset = await serve((s) => s.resetAndDestroy());
    expect(await connectAndPeek('127.0.0.1', reset, WAIT)).toEqual({
      open: true,
      likelyTls: false,
      banner: null,
    });
  });

  it('caps the banner and keeps bytes as latin1', async () => {
    const port = await serve((s) => {
      held.push(s);
      s.write(Buffer.concat([Buffer.from([0xff, 0x00]), Buffer.alloc(1000, 'a')]));
    });
    const result = await connectAndPeek('127.0.0.1', port, { ...WAIT, maxBytes: 100 });
    expect(result.open && result.banner?.length).toBe(100);
    expect(result.open && result.banner?.slice(0, 3)).toBe('\u00ff\u0000a');
  });

  it('always flags 443, 8443, 9443 and 10443 as TLS', async () => {
    const port = await serve((s) => {
      held.push(s);
      s.write('hello');
    });
    for (const label of [443, 8443, 9443, 10443, 8080]) {
      const socket = net.connect(port, '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      const peek = await peekConnected(socket, label);
      socket.destroy();
      expect(peek.likelyTls, String(label)).toBe(label !== 8080);
    }
  });

  it('reports a refused port as closed and refused', async () => {
    const port = await serve(() => undefined);
    await new Promise((resolve) => servers.pop()!.close(resolve));
    expect(await connectAndPeek('127.0.0.1', port)).toEqual({ open: false, refused: true });
    expect(await connectAndPeek('127.0.0.1', port, { signal: AbortSignal.abort() })).toEqual({
      open: false,
      refused: false,
    });
  });
});
