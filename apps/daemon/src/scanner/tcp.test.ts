import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanPorts } from './port-scan.ts';
import { resolveScanSettings } from './presets.ts';
import { ScanScope } from './scope.ts';
import {
  connectAttempt,
  LocalProbeError,
  probeTcpPort,
  type AttemptOutcome,
  type ConnectAttempt,
} from './tcp.ts';

/** Real sockets on 127.0.0.1 only: two listeners and two ports known to be closed. */
const servers: net.Server[] = [];
const serverEvents: string[] = [];
let openPorts: number[] = [];
let closedPorts: number[] = [];

function listen(): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((socket) => {
      socket.on('data', () => undefined);
      socket.on('end', () => serverEvents.push('end'));
      socket.on('error', (err: NodeJS.ErrnoException) => serverEvents.push(err.code ?? 'error'));
    });
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

const portOf = (s: net.Server) => (s.address() as net.AddressInfo).port;

beforeAll(async () => {
  for (let i = 0; i < 4; i++) servers.push(await listen());
  openPorts = servers.slice(0, 2).map(portOf);
  closedPorts = servers.slice(2).map(portOf);
  // Free two ports: nothing listens there now, so the kernel answers RST.
  await Promise.all(servers.splice(2).map((s) => new Promise((r) => s.close(r))));
});

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

describe('connectAttempt (real sockets on loopback)', () => {
  it('reports open, resets the connection (no FIN), and reports refusals as closed', async () => {
    expect(await connectAttempt('127.0.0.1', openPorts[0], { timeoutMs: 800 })).toEqual({ kind: 'open' });
    expect(await connectAttempt('127.0.0.1', closedPorts[0], { timeoutMs: 800 })).toEqual({ kind: 'closed' });
    for (let i = 0; i < 50 && serverEvents.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(serverEvents).toEqual(['ECONNRESET']);
  });

  it('does not connect at all when the scan is already cancelled', async () => {
    const ctrl = new AbortController();
    ctrl.abort();
    expect(await connectAttempt('127.0.0.1', openPorts[0], { timeoutMs: 800, signal: ctrl.signal })).toEqual({
      kind: 'aborted',
    });
  });
});

describe('probeTcpPort', () => {
  const scripted = (outcomes: AttemptOutcome[]) => {
    const calls: number[] = [];
    const attempt: ConnectAttempt = async () => {
      calls.push(calls.length + 1);
      return outcomes[Math.min(calls.length - 1, outcomes.length - 1)];
    };
    return { attempt, calls };
  };

  it('retries once after a timeout only, and calls the pacer hook before every attempt', async () => {
    let paced = 0;
    const timeoutThenOpen = scripted([{ kind: 'timeout' }, { kind: 'open' }]);
    const r = await probeTcpPort('127.0.0.1', 1, {
      attempt: timeoutThenOpen.attempt,
      retryDelayMs: 0,
      beforeAttempt: async () => void paced++,
    });
    expect(r).toEqual({ state: 'open', attempts: 2 });
    expect(paced).toBe(2);

    const silent = scripted([{ kind: 'timeout' }]);
    expect(await probeTcpPort('127.0.0.1', 1, { attempt: silent.attempt, retryDelayMs: 0 })).toEqual({
      state: 'filtered',
      attempts: 2,
    });
    const refused = scripted([{ kind: 'closed' }]);
    expect(await probeTcpPort('127.0.0.1', 1, { attempt: refused.attempt })).toEqual({
      state: 'closed',
      attempts: 1,
    });
    const noRetry = scripted([{ kind: 'timeout' }]);
    expect(await probeTcpPort('127.0.0.1', 1, { attempt: noRetry.attempt, retries: 0 })).toEqual({
      state: 'filtered',
      attempts: 1,
    });
  });

  it('throws local errors instead of calling the port closed', async () => {
    const emfile = scripted([{ kind: 'error', code: 'EMFILE' }]);
    await expect(probeTcpPort('127.0.0.1', 1, { attempt: emfile.attempt })).rejects.toBeInstanceOf(
      LocalProbeError,
    );
  });
});

describe('scanPorts with real sockets', () => {
  it('finds exactly the listening ports on loopback', async () => {
    const scan = scanPorts({
      hosts: ['127.0.0.1'],
      plan: { priority: [...openPorts, ...closedPorts], ranges: [] },
      settings: resolveScanSettings({ preset: 'normal' }),
      scope: ScanScope.create({ subnets: ['127.0.0.1/32'] }),
    });
    const [r] = await scan.done;
    expect(r).toMatchObject({
      status: 'complete',
      open: [...openPorts].sort((a, b) => a - b),
      closed: 2,
      filtered: [],
      unprobed: 0,
      attempts: 4,
    });
  });
});
