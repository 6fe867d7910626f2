import net from 'node:net';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanPorts } from './port-scan.ts';
import { resolveScanSettings } from './presets.ts';
import type { HostScanResult } from './scan-engine.ts';
import { ScanPool, scanWorkerCount, WorkerLostError } from './scan-pool.ts';
import { ScanWorker, type FromWorker, type WorkerEvent, type WorkerInit } from './scan-worker.ts';
import { ScanScope } from './scope.ts';
import { connectAttempt, type ConnectAttempt } from './tcp.ts';

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

  const initFor = (ports: number[], stop = new Int32Array(new SharedArrayBuffer(4))): WorkerInit => ({
    t: 'init',
    plan: { priority: ports, ranges: [] },
    settings: resolveScanSettings({ preset: 'fast' }),
    scope: ScanScope.create({ subnets: ['127.0.0.0/30'] }).toInput(),
    localAddress: null,
    socketBudget: 64,
    globalPps: 1000,
    stop,
  });

  const eventsOf = (posted: FromWorker[]): WorkerEvent[] =>
    posted.flatMap((m) => (m.t === 'events' ? m.b : []));
  const resultOf = (posted: FromWorker[], id: number) =>
    eventsOf(posted).find((e) => e[0] === 'result' && e[1] === id)?.[2] as HostScanResult | undefined;

  it('ScanWorker scans a whole host in its thread: open ports as found, every port counted, then the summary', async () => {
    const posted: FromWorker[] = [];
    const worker = new ScanWorker({ postMessage: (m: FromWorker) => posted.push(m) });
    worker.handle(initFor([open, closed]));
    expect(posted[0]).toEqual({ t: 'ready' });
    worker.handle({ t: 'host', id: 7, host: '127.0.0.1', hint: null });
    while (!resultOf(posted, 7)) await new Promise((r) => setTimeout(r, 5));
    const events = eventsOf(posted);
    expect(events.filter((e) => e[0] === 'open')).toEqual([['open', '127.0.0.1', open]]);
    const probes = events.filter((e) => e[0] === 'probes').reduce((n, e) => n + (e[2] as number), 0);
    expect(probes).toBe(2);
    // The summary comes after the host's open ports and probe counts.
    expect(events.at(-1)?.[0]).toBe('result');
    expect(resultOf(posted, 7)).toMatchObject({
      host: '127.0.0.1',
      status: 'complete',
      open: [open],
      closed: 1,
    });
  });

  it('ScanWorker checks the scope before every start: an address outside it fails its host, nothing is sent', async () => {
    const posted: FromWorker[] = [];
    const sent: string[] = [];
    const counting: ConnectAttempt = (ip, port, o) => {
      sent.push(ip);
      return connectAttempt(ip, port, o);
    };
    const worker = new ScanWorker({ postMessage: (m: FromWorker) => posted.push(m) }, counting);
    worker.handle(initFor([closed]));
    worker.handle({ t: 'host', id: 1, host: '127.0.0.9', hint: null });
    while (!eventsOf(posted).some((e) => e[0] === 'fail')) await new Promise((r) => setTimeout(r, 5));
    expect(eventsOf(posted).find((e) => e[0] === 'fail')).toEqual([
      'fail',
      1,
      '127.0.0.9 is outside the scope of this discovery',
    ]);
    expect(sent).toEqual([]);
  });

  it('ScanWorker sends nothing once the shared stop flag is set, even before the cancel message arrives', async () => {
    const posted: FromWorker[] = [];
    const stop = new Int32Array(new SharedArrayBuffer(4));
    const sent: number[] = [];
    const counting: ConnectAttempt = (ip, port, o) => {
      sent.push(port);
      return connectAttempt(ip, port, o);
    };
    const worker = new ScanWorker({ postMessage: (m: FromWorker) => posted.push(m) }, counting);
    const init = initFor([]);
    // 10 starts/s to the host: the first goes out at once, the rest wait for their turn.
    worker.handle({
      ...init,
      plan: { priority: [], ranges: [[closed, closed + 50]] },
      settings: { ...init.settings, scan_rate_pps: 10 },
      stop,
    });
    worker.handle({ t: 'host', id: 1, host: '127.0.0.1', hint: null });
    await new Promise((r) => setTimeout(r, 250));
    Atomics.store(stop, 0, 1);
    const before = sent.length;
    expect(before).toBeGreaterThanOrEqual(1);
    expect(before).toBeLessThan(6);
    while (!resultOf(posted, 1)) await new Promise((r) => setTimeout(r, 5));
    expect(sent.length).toBe(before);
    expect(resultOf(posted, 1)).toMatchObject({ status: 'cancelled', unprobed: 51 - before });
  });

  it('ScanPool spreads hosts over the workers, collects their results, and a cancel ends every host', async () => {
    const opens: string[] = [];
    let probes = 0;
    const pool = new ScanPool({
      size: 2,
      init: { ...initFor([open, closed]), socketBudget: 128, globalPps: 2000 },
      onOpen: (host, port) => opens.push(`${host}:${port}`),
      onProbes: (_host, n) => (probes += n),
    });
    await pool.ready;
    const [a, b] = await Promise.all([pool.run('127.0.0.1', null), pool.run('127.0.0.2', null)]);
    expect(a).toMatchObject({ host: '127.0.0.1', status: 'complete', open: [open], closed: 1 });
    expect(b).toMatchObject({ host: '127.0.0.2', status: 'complete', open: [] });
    expect(opens).toEqual([`127.0.0.1:${open}`]);
    expect(probes).toBe(4);
    expect(pool.hostsPerWorker).toEqual([0, 0]);
    await pool.close();
  });

  it('ScanPool: a worker that dies hands its hosts back (WorkerLostError); close leaves no thread running', async () => {
    const spawned: Worker[] = [];
    const pool = new ScanPool({
      size: 1,
      init: {
        ...initFor([]),
        plan: { priority: [], ranges: [[1, 65535]] },
        settings: { ...resolveScanSettings({ preset: 'normal' }) },
      },
      onOpen: () => undefined,
      onProbes: () => undefined,
      spawn: () => {
        const w = new Worker(new URL('./scan-worker.boot.mjs', import.meta.url), {
          workerData: {
            role: 'scanopy-scan-worker',
            module: new URL('./scan-worker.ts', import.meta.url).href,
          },
        });
        spawned.push(w);
        return w;
      },
    });
    await pool.ready;
    const running = pool.run('127.0.0.1', null);
    await new Promise((r) => setTimeout(r, 200));
    await spawned[0].terminate();
    await expect(running).rejects.toBeInstanceOf(WorkerLostError);
    expect(pool.failure?.message).toMatch(/exited/);
    await expect(pool.run('127.0.0.1', null)).rejects.toBeInstanceOf(WorkerLostError);
    await pool.close();
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
      expect(scan.progress).toMatchObject({ hosts_done: 2, probes_total: 4, probes_done: 4, open_found: 1 });
      results.push(done.map((r) => ({ host: r.host, status: r.status, open: r.open, closed: r.closed })));
    }
    const byHost = (r: Row[]) => [...r].sort((x, y) => x.host.localeCompare(y.host));
    expect(byHost(results[1])).toEqual(byHost(results[0]));
    expect(byHost(results[1])[0]).toMatchObject({ host: '127.0.0.1', status: 'complete', open: [open] });
  });

  it('workers that cannot start leave the scan to this thread, with the reason', async () => {
    const scan = scanPorts({
      hosts: ['127.0.0.1'],
      plan: { priority: [open, closed], ranges: [] },
      settings: resolveScanSettings({ preset: 'fast' }),
      scope: ScanScope.create({ subnets: ['127.0.0.1/32'] }),
      workers: 2,
      spawnWorker: () => new Worker('process.exit(3)', { eval: true }),
    });
    const [result] = await scan.done;
    expect(result).toMatchObject({ status: 'complete', open: [open], closed: 1 });
    expect(scan.workerThreads).toBe(0);
    expect(scan.workerError).toMatch(/exited with code 3/);
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
    expect(scan.progress.probes_done).toBe(65535);
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
