import { describe, expect, it } from 'vitest';
import { drive, FakeNet, maxInWindow } from '../../test/support/fake-net.ts';
import { ManualClock } from './clock.ts';
import { maxStartsInWindow } from './pacer.ts';
import { scanPorts, type PortScanEvent } from './port-scan.ts';
import { resolveScanSettings, type ScanSettings } from './presets.ts';
import { ScanScope, ScopeError } from './scope.ts';

const scope = ScanScope.create({ subnets: ['198.51.100.0/24'] });
const A = '198.51.100.10';
const B = '198.51.100.11';
const C = '198.51.100.12';

function settings(overrides: Partial<ScanSettings> = {}): ScanSettings {
  return resolveScanSettings({
    preset: 'normal',
    overrides: { retry_delay_ms: 100, ...overrides },
  });
}

async function collect(scan: AsyncIterable<PortScanEvent>): Promise<PortScanEvent[]> {
  const events: PortScanEvent[] = [];
  for await (const e of scan) events.push(e);
  return events;
}

describe('scanPorts', () => {
  it('streams open ports (priority ports first) and ends each host with its summary', async () => {
    const clock = new ManualClock();
    const open = new Set([22, 80, 250, 443]);
    const net = new FakeNet(clock, (ip, port) => {
      if (ip === A && open.has(port)) return { kind: 'open', rttMs: 1 };
      if (ip === A && port >= 100 && port <= 104) return { kind: 'timeout' };
      return { kind: 'closed', rttMs: 1 };
    });
    const scan = scanPorts({
      hosts: [A, B],
      plan: { priority: [443, 22], ranges: [[1, 300]] },
      settings: settings(),
      scope,
      clock,
      attempt: net.attempt,
      socketBudget: 1000,
    });
    const eventsP = collect(scan);
    const results = await drive(clock, scan.done);
    const events = await eventsP;

    const opens = events.filter((e) => e.type === 'open');
    expect(opens.map((e) => e.port)).toEqual([443, 22, 80, 250]);
    const a = results.find((r) => r.host === A)!;
    expect(a).toMatchObject({
      status: 'complete',
      open: [22, 80, 250, 443],
      filtered: [100, 101, 102, 103, 104],
      closed: 301 - 4 - 5,
      unprobed: 0,
      // One retry per timed-out port, none for refusals.
      attempts: 301 + 5,
    });
    expect(results.find((r) => r.host === B)).toMatchObject({ status: 'complete', open: [], closed: 301 });
    expect(events.filter((e) => e.type === 'host')).toHaveLength(2);
    expect(scan.progress).toEqual({
      hosts_total: 2,
      hosts_done: 2,
      probes_total: 602,
      probes_done: 602,
      open_found: 4,
    });
    // The retry of a timed-out port waits its 800 ms timeout plus the 100 ms pause.
    const retries = net.attempts.filter((x) => x.ip === A && x.port === 100);
    expect(retries).toHaveLength(2);
    expect(retries[1].at - retries[0].at).toBeGreaterThanOrEqual(900);
  });

  it('paces each host at scan_rate_pps and all hosts together at global_pps', async () => {
    const clock = new ManualClock();
    const net = new FakeNet(clock, () => ({ kind: 'closed', rttMs: 1 }));
    const scan = scanPorts({
      hosts: [A, B, C],
      plan: { priority: [], ranges: [[1, 400]] },
      settings: settings({ scan_rate_pps: 500, global_pps: 1200 }),
      scope,
      clock,
      attempt: net.attempt,
      socketBudget: 1000,
    });
    await drive(clock, scan.done, 0.5);
    for (const host of [A, B, C]) {
      expect(net.startsOf(host)).toHaveLength(400);
      expect(maxInWindow(net.startsOf(host), 100)).toBeLessThanOrEqual(maxStartsInWindow(500, 100));
    }
    const all = net.attempts.map((x) => x.at);
    expect(maxInWindow(all, 100)).toBeLessThanOrEqual(maxStartsInWindow(1200, 100));
    // 1200 starts at 1200/s: about one second, i.e. the global cap is used, not undercut.
    expect(Math.max(...all)).toBeLessThan(1100);
  });

  it('starts each host at the window floor and never exceeds port_scan_batch_size in flight', async () => {
    const clock = new ManualClock();
    // Slow answers: at 500 starts/s and 60 ms per answer, ~30 probes would be in flight without a window.
    const net = new FakeNet(clock, () => ({ kind: 'closed', rttMs: 60 }));
    const scan = scanPorts({
      hosts: [A],
      plan: { priority: [], ranges: [[1, 600]] },
      settings: settings({ window_floor: 4, port_scan_batch_size: 16 }),
      scope,
      clock,
      attempt: net.attempt,
      socketBudget: 1000,
    });
    await drive(clock, scan.done);
    const early = net.inFlightAtStart.filter((s) => s.at < 60);
    expect(early.length).toBe(4);
    expect(Math.max(...early.map((s) => s.inFlight))).toBe(4);
    expect(net.maxInFlight.get(A)).toBe(16);
  });

  it('gives up on a host that answers nothing after silent_host_limit filtered ports', async () => {
    const clock = new ManualClock();
    const net = new FakeNet(clock, () => ({ kind: 'timeout' }));
    const scan = scanPorts({
      hosts: [A],
      plan: { priority: [], ranges: [[1, 65535]] },
      settings: settings({ window_floor: 16, silent_host_limit: 64 }),
      scope,
      clock,
      attempt: net.attempt,
      socketBudget: 1000,
    });
    const [r] = await drive(clock, scan.done, 5);
    expect(r.status).toBe('silent');
    expect(r.open).toEqual([]);
    expect(r.closed).toBe(0);
    // The window stays at its floor (no answers to grow on): at most one window beyond the limit was in flight.
    expect(r.filtered.length).toBeGreaterThanOrEqual(64);
    expect(r.filtered.length).toBeLessThanOrEqual(64 + 16);
    expect(r.unprobed).toBe(65535 - r.filtered.length);
    expect(net.maxInFlight.get(A)).toBe(16);
    expect(scan.progress.probes_done).toBe(65535);
  });

  it('stops a host the network reports unreachable', async () => {
    const clock = new ManualClock();
    const net = new FakeNet(clock, () => ({ kind: 'unreachable', rttMs: 5 }));
    const scan = scanPorts({
      hosts: [A],
      plan: { priority: [], ranges: [[1, 1000]] },
      settings: settings(),
      scope,
      clock,
      attempt: net.attempt,
      socketBudget: 1000,
    });
    const [r] = await drive(clock, scan.done);
    expect(r.status).toBe('unreachable');
    expect(net.attempts.length).toBeLessThan(40);
    expect(r.unprobed).toBe(1000 - r.closed - r.filtered.length - r.open.length);
  });

  it('retries a port that hit a local resource error instead of reporting it closed', async () => {
    const clock = new ManualClock();
    const net = new FakeNet(clock, (_ip, port, n) =>
      port === 7 && n === 1 ? { kind: 'error', code: 'EMFILE' } : { kind: port === 7 ? 'open' : 'closed' },
    );
    const scan = scanPorts({
      hosts: [A],
      plan: { priority: [], ranges: [[1, 50]] },
      settings: settings(),
      scope,
      clock,
      attempt: net.attempt,
      socketBudget: 1000,
    });
    const [r] = await drive(clock, scan.done);
    expect(r).toMatchObject({ status: 'complete', open: [7], closed: 49, unprobed: 0, errors: 0 });
    expect(net.attempts.filter((x) => x.port === 7)).toHaveLength(2);
  });

  it('stops every attempt at once when cancelled and reports the hosts as cancelled', async () => {
    const clock = new ManualClock();
    const net = new FakeNet(clock, (_ip, port) =>
      port % 2 ? { kind: 'timeout' } : { kind: 'closed', rttMs: 3 },
    );
    const ctrl = new AbortController();
    const scan = scanPorts({
      hosts: [A, B, C],
      plan: { priority: [], ranges: [[1, 65535]] },
      settings: settings({ max_parallel_hosts: 2 }),
      scope,
      clock,
      attempt: net.attempt,
      signal: ctrl.signal,
      socketBudget: 1000,
    });
    await clock.advance(500);
    const before = net.attempts.length;
    expect(before).toBeGreaterThan(100);
    ctrl.abort();
    const results = await drive(clock, scan.done);
    expect(clock.now()).toBeLessThanOrEqual(501);
    const after = net.attempts.filter((x) => x.at > 500);
    expect(after).toEqual([]);
    expect(net.attempts.some((x) => x.outcome === 'aborted')).toBe(true);
    expect(results.map((r) => r.status)).toEqual(['cancelled', 'cancelled']);
    expect(results.every((r) => r.unprobed > 60_000)).toBe(true);
    expect(scan.cancelled).toBe(true);
  });

  it('refuses hosts outside the scope before sending anything', () => {
    const clock = new ManualClock();
    const net = new FakeNet(clock, () => ({ kind: 'closed' }));
    expect(() =>
      scanPorts({
        hosts: [A, '203.0.113.5'],
        plan: { priority: [], ranges: [[1, 10]] },
        settings: settings(),
        scope,
        clock,
        attempt: net.attempt,
      }),
    ).toThrow(ScopeError);
    expect(net.attempts).toEqual([]);
  });
});
