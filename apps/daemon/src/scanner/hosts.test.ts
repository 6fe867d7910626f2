import { describe, expect, it } from 'vitest';
import { drive, FakeNet, maxInWindow } from '../../test/support/fake-net.ts';
import type { OwnAddress } from '../platform/interfaces.ts';
import { ManualClock } from './clock.ts';
import {
  discoverHosts,
  parseProcArp,
  partitionTargets,
  type NeighbourEntry,
  type NeighbourSource,
  type Nudger,
} from './hosts.ts';
import { maxStartsInWindow } from './pacer.ts';
import { PRESETS } from './presets.ts';
import { ScanScope } from './scope.ts';

const LAN: OwnAddress = { name: 'eth0', ip: '10.77.44.2', prefix: 24, mac: '02:00:00:00:00:02' };

/** A kernel stand-in: a nudged live address shows up in the table `resolveMs` later. */
class FakeKernel implements NeighbourSource, Nudger {
  readonly nudges: Array<{ ip: string; at: number }> = [];
  closed = false;

  constructor(
    private readonly clock: ManualClock,
    private readonly live: Map<string, string>,
    private readonly solicit: number,
    /** Entries the table already holds before the scan (never nudged by it). */
    private readonly preexisting: NeighbourEntry[] = [],
    private readonly resolveMs = 2,
  ) {}

  nudge(ip: string): void {
    this.nudges.push({ ip, at: this.clock.now() });
  }

  close(): void {
    this.closed = true;
  }

  async read(): Promise<NeighbourEntry[]> {
    const now = this.clock.now();
    const out = [...this.preexisting];
    for (const [ip, mac] of this.live) {
      if (this.nudges.some((n) => n.ip === ip && now - n.at >= this.resolveMs))
        out.push({ ip, mac, device: 'eth0' });
    }
    return out;
  }

  async arpTiming(): Promise<{ solicit: number; retransMs: number }> {
    return { solicit: this.solicit, retransMs: 1000 };
  }
}

describe('neighbour table parsing and target partition', () => {
  it('keeps complete /proc/net/arp entries only', () => {
    const text = [
      'IP address       HW type     Flags       HW address            Mask     Device',
      '10.77.44.1       0x1         0x2         AA:BB:CC:00:11:22     *        eth0',
      '10.77.44.9       0x1         0x0         00:00:00:00:00:00     *        eth0',
      '10.77.44.7       0x1         0x6         02:00:00:00:00:07     *        eth0',
      '',
    ].join('\n');
    expect(parseProcArp(text)).toEqual([
      { ip: '10.77.44.1', mac: 'aa:bb:cc:00:11:22', device: 'eth0' },
      { ip: '10.77.44.7', mac: '02:00:00:00:00:07', device: 'eth0' },
    ]);
  });

  it('sends addresses on an interface with a MAC to the neighbour path, the rest to TCP, never itself', () => {
    const tun: OwnAddress = { name: 'tun0', ip: '10.77.45.2', prefix: 24, mac: null };
    const { connected, routed } = partitionTargets(
      ['10.77.44.1', '10.77.44.2', '10.77.44.3', '10.77.45.9', '10.77.46.1'],
      [LAN, tun],
    );
    expect([...connected]).toEqual([['eth0', ['10.77.44.1', '10.77.44.3']]]);
    expect(routed).toEqual(['10.77.45.9', '10.77.46.1']);
  });
});

describe('discoverHosts on a directly connected subnet', () => {
  it('nudges every target at arp_rate_pps ÷ solicit and reports live hosts with their MACs', async () => {
    const clock = new ManualClock();
    const live = new Map([
      ['10.77.44.1', '02:00:00:00:00:01'],
      ['10.77.44.20', '02:00:00:00:00:20'],
    ]);
    const kernel = new FakeKernel(clock, live, 3, [
      // Known to the kernel but excluded from this discovery: must not be reported.
      { ip: '10.77.44.30', mac: '02:00:00:00:00:30', device: 'eth0' },
    ]);
    const scope = ScanScope.create({ subnets: ['10.77.44.0/27'], exclude: ['10.77.44.30'] });
    const discovery = discoverHosts({
      scope,
      arp_rate_pps: 30,
      arp_retries: 2,
      settings: PRESETS.normal,
      interfaces: [LAN],
      neighbours: kernel,
      nudger: kernel,
      clock,
    });
    const streamed: string[] = [];
    const reading = (async () => {
      for await (const h of discovery) streamed.push(h.ip);
    })();
    const hosts = await drive(clock, discovery.done, 5);
    await reading;

    expect(hosts.map((h) => [h.ip, h.mac, h.via]).sort()).toEqual([
      ['10.77.44.1', '02:00:00:00:00:01', 'neighbour'],
      ['10.77.44.20', '02:00:00:00:00:20', 'neighbour'],
    ]);
    expect(streamed.sort()).toEqual(['10.77.44.1', '10.77.44.20']);
    const nudged = kernel.nudges.map((n) => n.ip);
    // 30 addresses minus its own and the excluded one; one round (3 kernel requests ≥ 1 + 2 retries).
    expect(new Set(nudged).size).toBe(28);
    expect(nudged).toHaveLength(28);
    expect(nudged.every((ip) => scope.has(ip))).toBe(true);
    // ARP frames ≤ 30/s: nudges at 10/s.
    expect(
      maxInWindow(
        kernel.nudges.map((n) => n.at),
        1000,
      ),
    ).toBeLessThanOrEqual(maxStartsInWindow(10, 1000));
    expect(kernel.closed).toBe(true);
  });

  it('runs extra rounds for silent addresses when the kernel sends fewer requests per nudge', async () => {
    const clock = new ManualClock();
    const kernel = new FakeKernel(clock, new Map([['10.77.44.5', '02:00:00:00:00:05']]), 1);
    const discovery = discoverHosts({
      scope: ScanScope.create({ subnets: ['10.77.44.0/29'] }),
      arp_rate_pps: 50,
      arp_retries: 2,
      settings: PRESETS.normal,
      interfaces: [LAN],
      neighbours: kernel,
      nudger: kernel,
      clock,
    });
    const hosts = await drive(clock, discovery.done, 5);
    expect(hosts.map((h) => h.ip)).toEqual(['10.77.44.5']);
    const count = (ip: string) => kernel.nudges.filter((n) => n.ip === ip).length;
    expect(count('10.77.44.5')).toBe(1);
    expect(count('10.77.44.1')).toBe(3);
    expect(count('10.77.44.6')).toBe(3);
  });
});

describe('discoverHosts on a routed subnet', () => {
  it('finds hosts that answer any probe port (SYN-ACK or RST) and stops probing them once found', async () => {
    const clock = new ManualClock();
    const net = new FakeNet(clock, (ip, port) => {
      if (ip === '10.77.45.1') return { kind: port === 443 ? 'closed' : 'timeout', rttMs: 2 };
      if (ip === '10.77.45.2') return { kind: 'open', rttMs: 2 };
      if (ip === '10.77.45.3') return { kind: 'unreachable', rttMs: 2 };
      return { kind: 'timeout' };
    });
    const discovery = discoverHosts({
      scope: ScanScope.create({ subnets: ['10.77.45.0/29'] }),
      arp_rate_pps: 50,
      arp_retries: 2,
      settings: { ...PRESETS.normal, retry_delay_ms: 100 },
      probePorts: [22, 80, 443],
      interfaces: [LAN],
      attempt: net.attempt,
      clock,
    });
    const hosts = await drive(clock, discovery.done, 5);
    expect(hosts.map((h) => [h.ip, h.via, h.mac]).sort()).toEqual([
      ['10.77.45.1', 'tcp', null],
      ['10.77.45.2', 'tcp', null],
    ]);
    expect(hosts.find((h) => h.ip === '10.77.45.1')?.port).toBe(443);
    // A host that answered at once is not probed further; an unreachable one neither.
    const found2 = Math.min(...net.attempts.filter((a) => a.ip === '10.77.45.2').map((a) => a.at)) + 2;
    expect(net.attempts.filter((a) => a.ip === '10.77.45.2' && a.at > found2)).toEqual([]);
    expect(net.attempts.filter((a) => a.ip === '10.77.45.3').length).toBeLessThanOrEqual(3);
    // Silent addresses get every port with one retry each.
    expect(net.attempts.filter((a) => a.ip === '10.77.45.6')).toHaveLength(6);
    expect(net.attempts.every((a) => a.ip.startsWith('10.77.45.'))).toBe(true);
  });

  it('ends promptly when cancelled', async () => {
    const clock = new ManualClock();
    const net = new FakeNet(clock, () => ({ kind: 'timeout' }));
    const kernel = new FakeKernel(clock, new Map(), 3);
    const ctrl = new AbortController();
    const discovery = discoverHosts({
      scope: ScanScope.create({ subnets: ['10.77.44.0/24', '10.77.45.0/24'] }),
      arp_rate_pps: 50,
      arp_retries: 2,
      settings: PRESETS.normal,
      interfaces: [LAN],
      neighbours: kernel,
      nudger: kernel,
      attempt: net.attempt,
      signal: ctrl.signal,
      clock,
    });
    await clock.advance(300);
    const attempts = net.attempts.length;
    const nudges = kernel.nudges.length;
    expect(attempts).toBeGreaterThan(0);
    expect(nudges).toBeGreaterThan(0);
    ctrl.abort();
    await drive(clock, discovery.done, 1, 50);
    expect(net.attempts.length).toBe(attempts);
    expect(kernel.nudges.length).toBe(nudges);
  });
});
