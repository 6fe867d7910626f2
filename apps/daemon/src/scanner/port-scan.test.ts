import { describe, expect, it } from 'vitest';
import { drive, FakeNet, maxInWindow } from '../../test/support/fake-net.ts';
import { ManualClock, sleep } from './clock.ts';
import { maxStartsInWindow } from './pacer.ts';
import { RETRY_TRIAL, scanPorts, type PortScanEvent } from './port-scan.ts';
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
    // The retry of a timed-out port waits its timeout plus the 100 ms pause; the timeout comes from the host's
    // measured round trips (1 ms here: the 100 ms floor), not the fixed 800 ms.
    const retries = net.attempts.filter((x) => x.ip === A && x.port === 100);
    expect(retries).toHaveLength(2);
    expect(retries[1].at - retries[0].at).toBeGreaterThanOrEqual(200);
    expect(retries[1].at - retries[0].at).toBeLessThan(900);
    expect(results.find((r) => r.host === A)).toMatchObject({ srtt_ms: 1, timeout_ms: 100 });
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
    // No round trip to measure: every attempt waits the full 800 ms. Drops still let the window grow, so the
    // ports in flight when the limit is reached are probed to the end (at most the 200-probe ceiling beyond it).
    expect(r).toMatchObject({ srtt_ms: null, timeout_ms: 800 });
    expect(r.filtered.length).toBeGreaterThanOrEqual(64);
    expect(r.filtered.length).toBeLessThanOrEqual(64 + 200);
    expect(r.unprobed).toBe(65535 - r.filtered.length);
    expect(scan.progress.probes_done).toBe(65535);
    // Given up once the ports in flight when the limit was reached have had their two timeouts and the pause.
    expect(r.duration_ms).toBeLessThan(5000);
  });

  it('scans a host that drops all but one port at its start rate: drops are not congestion', async () => {
    const clock = new ManualClock();
    const net = new FakeNet(clock, (_ip, port) =>
      port === 22 ? { kind: 'open', rttMs: 2 } : { kind: 'timeout' },
    );
    const scan = scanPorts({
      hosts: [A],
      plan: { priority: [22], ranges: [[1, 5000]] },
      settings: settings(),
      scope,
      clock,
      attempt: net.attempt,
      socketBudget: 1000,
    });
    const [r] = await drive(clock, scan.done, 5);
    expect(r).toMatchObject({ status: 'complete', open: [22], closed: 0, unprobed: 0, timeout_ms: 100 });
    expect(r.filtered).toEqual(Array.from({ length: 4999 }, (_, i) => (i + 1 >= 22 ? i + 2 : i + 1)));
    // Retried until RETRY_TRIAL retries had gone unanswered (plus the retries already under way by then), then
    // recorded filtered after one attempt.
    expect(r.attempts).toBeGreaterThanOrEqual(5000 + RETRY_TRIAL);
    expect(r.attempts).toBeLessThan(5000 + 4 * RETRY_TRIAL);
    // ~5050 starts at 500/s is ~10 s; with the 800 ms timeout and the floor window of 16 it would be ~4 min.
    expect(r.duration_ms).toBeLessThan(11_000);
    expect(maxInWindow(net.startsOf(A), 100)).toBeLessThanOrEqual(maxStartsInWindow(500, 100));
    // The window grew past the 50 probes a 100 ms timeout at 500/s needs in flight.
    expect(net.maxInFlight.get(A)).toBeGreaterThanOrEqual(50);
  });

  it('halves the window on overload: answers to retries and rising round trips', async () => {
    const clock = new ManualClock();
    // From port 400 on, the host is swamped: answers take 150 ms, and every first SYN to an even port is lost.
    const net = new FakeNet(clock, (_ip, port, n) =>
      port < 400
        ? { kind: 'closed', rttMs: 1 }
        : port % 2 === 0 && n === 1
          ? { kind: 'timeout' }
          : { kind: 'closed', rttMs: 150 },
    );
    const scan = scanPorts({
      hosts: [A],
      plan: { priority: [], ranges: [[1, 3000]] },
      settings: settings({ window_floor: 4 }),
      scope,
      clock,
      attempt: net.attempt,
      socketBudget: 1000,
    });
    await clock.advance(790);
    const before = scan.active()[0].window;
    const [r] = await drive(clock, scan.done, 5);
    expect(r).toMatchObject({ status: 'complete', closed: 3000, filtered: [] });
    // Grown on prompt answers, then cut: the probes in flight late in the scan stay well below the early peak.
    expect(before).toBeGreaterThan(100);
    const late = net.inFlightAtStart.filter((s) => s.at > r.duration_ms - 2000).map((s) => s.inFlight);
    expect(Math.max(...late)).toBeLessThan(before / 2);
    // The timeout followed the slower round trips up (SRTT + 4 × RTTVAR), within the 800 ms bound.
    expect(r.timeout_ms).toBeGreaterThanOrEqual(150);
    expect(r.timeout_ms).toBeLessThanOrEqual(800);
  });

  it('scans every host at once, each at its own rate', async () => {
    const clock = new ManualClock();
    const net = new FakeNet(clock, () => ({ kind: 'closed', rttMs: 1 }));
    const hosts = Array.from({ length: 40 }, (_, i) => `198.51.100.${100 + i}`);
    const scan = scanPorts({
      hosts,
      plan: { priority: [], ranges: [[1, 500]] },
      settings: settings(),
      scope,
      clock,
      attempt: net.attempt,
      socketBudget: 5000,
    });
    const results = await drive(clock, scan.done, 2);
    expect(results.map((r) => r.status)).toEqual(hosts.map(() => 'complete'));
    // 40 × 500 probes at 500/s each (20,000/s together, the normal global cap): about one second, not four
    // rounds of ten hosts.
    expect(Math.max(...net.attempts.map((a) => a.at))).toBeLessThan(1100);
    for (const h of hosts) expect(net.startsOf(h)[0]).toBeLessThan(50);
  });

  it('takes hosts as host discovery finds them: each starts at once, the scan ends with the stream', async () => {
    const clock = new ManualClock();
    const net = new FakeNet(clock, () => ({ kind: 'closed', rttMs: 1 }));
    async function* found() {
      yield A;
      await sleep(clock, 500);
      yield { ip: B, rtt_ms: 3 };
      yield A; // found twice (two rounds): scanned once
    }
    const scan = scanPorts({
      hosts: found(),
      plan: { priority: [], ranges: [[1, 100]] },
      settings: settings(),
      scope,
      clock,
      attempt: net.attempt,
      socketBudget: 1000,
    });
    const results = await drive(clock, scan.done);
    expect(results.map((r) => [r.host, r.status, r.closed])).toEqual([
      [A, 'complete', 100],
      [B, 'complete', 100],
    ]);
    expect(net.startsOf(A)[0]).toBe(0);
    expect(net.startsOf(B)[0]).toBeGreaterThanOrEqual(500);
    expect(net.startsOf(B)[0]).toBeLessThan(510);
    expect(scan.progress).toMatchObject({
      hosts_total: 2,
      hosts_done: 2,
      probes_total: 200,
      probes_done: 200,
    });
  });

  it('fails the scan when the stream names a host outside the scope, sending nothing to it', async () => {
    const clock = new ManualClock();
    const net = new FakeNet(clock, () => ({ kind: 'closed', rttMs: 1 }));
    async function* found() {
      yield A;
      yield '203.0.113.5';
    }
    const scan = scanPorts({
      hosts: found(),
      plan: { priority: [], ranges: [[1, 100]] },
      settings: settings(),
      scope,
      clock,
      attempt: net.attempt,
      socketBudget: 1000,
    });
    await expect(drive(clock, scan.done)).rejects.toThrow(ScopeError);
    expect(net.attempts.filter((a) => a.ip !== A)).toEqual([]);
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
      settings: settings(),
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
    expect(results.map((r) => r.status)).toEqual(['cancelled', 'cancelled', 'cancelled']);
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
