import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxInWindow } from '../../test/support/fake-net.ts';
import { ManualClock } from './clock.ts';
import { ConnectPool, scanWorkerCount } from './connect-pool.ts';
import { ScanWorker, type FromWorker, type ToWorker } from './connect-worker.ts';
import { windowCap } from './pacer.ts';
import { scanPorts } from './port-scan.ts';
import { resolveScanSettings } from './presets.ts';
import { ScanScope } from './scope.ts';
import { SendGuard } from './send-guard.ts';
import { ScanSignal } from './signal.ts';

// Every connect in this file goes to loopback (127.0.0.0/8) only.

describe('scanWorkerCount', () => {
  it('0 or unset means one per core; 1 means this thread; never above 256', () => {
    expect(scanWorkerCount(undefined, 4)).toBe(4);
    expect(scanWorkerCount(0, 2)).toBe(2);
    expect(scanWorkerCount(null, 1)).toBe(1);
    expect(scanWorkerCount(1, 8)).toBe(1);
    expect(scanWorkerCount(3, 8)).toBe(3);
    expect(scanWorkerCount(10_000, 8)).toBe(256);
  });
});

describe('SendGuard', () => {
  it('lets starts on schedule through at once and spreads a clump: never more than windowCap in 100 ms per host', async () => {
    const clock = new ManualClock();
    const guard = new SendGuard(500, clock);
    const sent = new Map<string, number[]>([
      ['a', []],
      ['b', []],
    ]);
    // One on schedule goes out synchronously.
    guard.submit('a', () => sent.get('a')!.push(clock.now()));
    expect(sent.get('a')).toEqual([0]);
    // A clump of 300 grants for each of two hosts delivered in one message.
    for (let i = 0; i < 300; i++) {
      guard.submit('a', () => sent.get('a')!.push(clock.now()));
      guard.submit('b', () => sent.get('b')!.push(clock.now()));
    }
    while (sent.get('a')!.length < 301 || sent.get('b')!.length < 300) await clock.advance(0.5);
    for (const times of sent.values()) {
      expect(maxInWindow(times, 100)).toBeLessThanOrEqual(windowCap(500));
      // The long-run rate is the host rate: 2 ms apart, less the 10 ms the gate may catch up at once.
      expect(times.at(-1)! - times[0]).toBeGreaterThanOrEqual((times.length - 1) * 2 - 10);
    }
    // Each host has its own budget: b was not held back by a.
    expect(sent.get('b')![0]).toBe(0);
    expect(guard.queued).toBe(0);
  });

  it('keeps arrival order per host; a cancelled start never runs and takes no slot; clear drops the rest', async () => {
    const clock = new ManualClock();
    const guard = new SendGuard(10, clock); // 100 ms apart, windowCap 2
    const order: number[] = [];
    const handles = Array.from({ length: 6 }, (_, i) => guard.submit('h', () => order.push(i)));
    expect(handles[0].cancel()).toBe(false); // already ran
    expect(handles[3].cancel()).toBe(true);
    expect(handles[3].cancel()).toBe(false);
    await clock.advance(250);
    expect(order).toEqual([0, 1, 2, 4]);
    guard.clear();
    await clock.advance(1000);
    expect(order).toEqual([0, 1, 2, 4]);
    expect(clock.pending).toBe(0);
  });

  it('holds nothing back at rate 0 (unlimited)', () => {
    const guard = new SendGuard(0, new ManualClock());
    let n = 0;
    for (let i = 0; i < 1000; i++) guard.submit('h', () => n++);
    expect(n).toBe(1000);
  });
});

describe('scan workers on loopback', () => {
  let server: net.Server;
  let open: number;
  let closed: number;

  beforeAll(async () => {
    server = net.createServer((s) => s.on('error', () => undefined));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    open = (server.address() as net.AddressInfo).port;
    // A port that was just free: nothing listens there (RST).
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    closed = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('ScanWorker connects, measures the round trip and reports a turn’s outcomes in one message', async () => {
    const posted: FromWorker[] = [];
    const worker = new ScanWorker({ postMessage: (m: FromWorker) => posted.push(m) });
    worker.handle({
      t: 'init',
      hostPps: 0,
      stop: new Int32Array(new SharedArrayBuffer(4)),
    } satisfies ToWorker);
    worker.handle({
      t: 'go',
      b: [
        [1, '127.0.0.1', open, 1000, null],
        [2, '127.0.0.1', closed, 1000, null],
      ],
    });
    while (worker.pending > 0 || posted.length < 2) await new Promise((r) => setTimeout(r, 5));
    expect(posted[0]).toEqual({ t: 'ready' });
    const outcomes = posted.slice(1).flatMap((m) => (m.t === 'done' ? m.b : []));
    expect(outcomes.map(([id, kind]) => [id, kind]).sort()).toEqual([
      [1, 'open'],
      [2, 'closed'],
    ]);
    for (const [, , elapsed] of outcomes) expect(elapsed).toBeGreaterThanOrEqual(0);
  });

  it('ScanWorker sends nothing once the shared stop flag is set, even for starts already handed to it', async () => {
    const posted: FromWorker[] = [];
    const stop = new Int32Array(new SharedArrayBuffer(4));
    const worker = new ScanWorker({ postMessage: (m: FromWorker) => posted.push(m) });
    worker.handle({ t: 'init', hostPps: 1, stop });
    // 1 start/s: the first goes out at once, the second waits in the guard; then the main thread stops the scan.
    worker.handle({
      t: 'go',
      b: [
        [1, '127.0.0.1', closed, 1000, null],
        [2, '127.0.0.1', closed, 1000, null],
      ],
    });
    Atomics.store(stop, 0, 1);
    worker.handle({ t: 'go', b: [[3, '127.0.0.1', closed, 1000, null]] });
    await new Promise((r) => setTimeout(r, 1200));
    const outcomes = posted.flatMap((m) => (m.t === 'done' ? m.b : []));
    expect(Object.fromEntries(outcomes.map(([id, kind]) => [id, kind]))).toEqual({
      1: 'closed',
      2: 'aborted',
      3: 'aborted',
    });
  });

  it('ConnectPool: hosts spread over the workers, outcomes with their round trip, cancel and close leave nothing running', async () => {
    const pool = new ConnectPool({ size: 2, hostPps: 5 });
    await pool.ready;
    const signal = new ScanSignal();
    const a = await pool.attempt('127.0.0.1', open, { timeoutMs: 1000, signal });
    const b = await pool.attempt('127.0.0.2', closed, { timeoutMs: 1000, signal });
    expect(a.kind).toBe('open');
    expect(b.kind).toBe('closed');
    expect(a.elapsedMs).toBeGreaterThanOrEqual(0);
    expect(pool.hostsPerWorker).toEqual([1, 1]);
    // 5 starts/s per host: ten more to one host wait in its worker's guard; a cancel answers them 'aborted' at once.
    const waiting = Array.from({ length: 10 }, () =>
      pool.attempt('127.0.0.1', closed, { timeoutMs: 1000, signal }),
    );
    await new Promise((r) => setTimeout(r, 50));
    signal.abort();
    const outcomes = await Promise.all(waiting);
    expect(outcomes.every((o) => o.kind === 'aborted')).toBe(true);
    expect(pool.inFlight).toBe(0);
    pool.releaseHost('127.0.0.1');
    expect(pool.hostsPerWorker).toEqual([0, 1]);
    await pool.close();
    await pool.close();
    // After close, attempts run in this thread.
    expect((await pool.attempt('127.0.0.1', open, { timeoutMs: 1000 })).kind).toBe('open');
  });

  it('a port scan through two workers finds what one thread finds, and ends its workers with the scan', async () => {
    const settings = resolveScanSettings({ preset: 'fast' });
    const scope = ScanScope.create({ subnets: ['127.0.0.0/30'] });
    type Row = { host: string; status: string; open: number[]; closed: number };
    const results: Row[][] = [];
    for (const workers of [1, 2]) {
      const scan = scanPorts({
        hosts: ['127.0.0.1', '127.0.0.2'],
        plan: { priority: [open, closed], ranges: [] },
        settings,
        scope,
        workers,
      });
      const done = await scan.done;
      expect(scan.workerThreads).toBe(workers === 1 ? 0 : 2);
      expect(scan.workerError).toBeNull();
      results.push(done.map((r) => ({ host: r.host, status: r.status, open: r.open, closed: r.closed })));
    }
    const byHost = (r: Row[]) => [...r].sort((x, y) => x.host.localeCompare(y.host));
    expect(byHost(results[1])).toEqual(byHost(results[0]));
    expect(byHost(results[1])[0]).toMatchObject({ host: '127.0.0.1', status: 'complete', open: [open] });
  });

  it('a cancelled scan with workers settles every host and its workers', async () => {
    const ctrl = new AbortController();
    const scan = scanPorts({
      hosts: ['127.0.0.1'],
      plan: { priority: [], ranges: [[1, 65535]] },
      settings: resolveScanSettings({ preset: 'fast' }),
      scope: ScanScope.create({ subnets: ['127.0.0.1/32'] }),
      signal: ctrl.signal,
    });
    setTimeout(() => ctrl.abort(), 800);
    const [result] = await scan.done;
    expect(scan.workerThreads).toBe(scanWorkerCount(0) > 1 ? scanWorkerCount(0) : 0);
    expect(result.status).toBe('cancelled');
    expect(result.unprobed).toBeGreaterThan(50_000);
  });

  it('with the automatic count, a scan one thread carries (one host at 500/s) starts no worker', async () => {
    const scan = scanPorts({
      hosts: ['127.0.0.1'],
      plan: { priority: [open], ranges: [] },
      settings: resolveScanSettings({ preset: 'normal' }),
      scope: ScanScope.create({ subnets: ['127.0.0.1/32'] }),
    });
    const [result] = await scan.done;
    expect(result.open).toEqual([open]);
    expect(scan.workerThreads).toBe(0);
  });
});
