import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { chooseIntegratedDaemonPort } from '../src/daemons/daemon-port.ts';

const HOST = '127.0.0.1';
const servers: Server[] = [];

function listen(port: number): Promise<number> {
  const srv = createServer();
  servers.push(srv);
  return new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen({ port, host: HOST, exclusive: true }, () => {
      const address = srv.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

describe('the integrated daemon port', () => {
  it('keeps the configured port when nothing listens on it', async () => {
    const free = await listen(0);
    await new Promise((r) => servers.pop()!.close(r));
    const choice = await chooseIntegratedDaemonPort(free, HOST);
    expect(choice).toEqual({ port: free });
    // The daemon can bind it.
    expect(await listen(choice.port)).toBe(free);
  });

  it('picks another free port, and says which one was taken, when a second server would collide', async () => {
    const taken = await listen(0); // the first server's daemon
    const choice = await chooseIntegratedDaemonPort(taken, HOST);
    expect(choice.port).not.toBe(taken);
    expect(choice.port).toBeGreaterThan(0);
    expect(choice.warning).toContain(`Port ${HOST}:${taken} of the integrated daemon is taken`);
    expect(choice.warning).toContain(`${HOST}:${choice.port} instead`);
    // The second daemon really can listen on the chosen port beside the first.
    expect(await listen(choice.port)).toBe(choice.port);
  });
});
