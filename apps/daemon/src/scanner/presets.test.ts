import { describe, expect, it } from 'vitest';
import { estimateScan, hostDiscoverySeconds, PRESETS, resolveScanSettings } from './presets.ts';
import { parsePortSpec, planSize, portOrder, PortSpecError } from './ports.ts';

describe('presets', () => {
  it('order polite < normal < fast on every pacing knob', () => {
    const { polite, normal, fast } = PRESETS;
    for (const key of ['scan_rate_pps', 'port_scan_batch_size', 'window_floor', 'global_pps'] as const) {
      expect(polite[key]).toBeLessThan(normal[key]);
      expect(normal[key]).toBeLessThan(fast[key]);
    }
    // normal keeps the reference's defaults (daemon.md §1.2) and its 800 ms / one-retry probe.
    expect(normal).toMatchObject({ scan_rate_pps: 500, port_scan_batch_size: 200, connect_timeout_ms: 800 });
    // The 800 ms is the upper bound of a timeout measured from round trips, whose floor is 100 ms.
    expect(normal.rtt_timeout_min_ms).toBe(100);
    expect(normal.retries).toBe(1);
  });

  it('without a preset, takes the daemon config; overrides win; values are clamped', () => {
    expect(resolveScanSettings().preset).toBe('normal');
    const fromConfig = resolveScanSettings({ daemon: { scan_rate_pps: 50, port_scan_batch_size: 5000 } });
    expect(fromConfig).toMatchObject({ preset: 'custom', scan_rate_pps: 50, port_scan_batch_size: 1000 });
    const chosen = resolveScanSettings({
      preset: 'polite',
      daemon: { scan_rate_pps: 9999, port_scan_batch_size: 999 },
    });
    expect(chosen).toEqual(PRESETS.polite);
    const tuned = resolveScanSettings({
      preset: 'fast',
      overrides: { scan_rate_pps: 0, window_floor: 5000 },
    });
    expect(tuned).toMatchObject({ preset: 'custom', scan_rate_pps: 0, window_floor: 1000 });
    expect(resolveScanSettings({ overrides: { port_scan_batch_size: 1 } }).port_scan_batch_size).toBe(16);
  });
});

describe('estimateScan', () => {
  it('scans every live host at once: probes, duration and per-host rate for n hosts × m ports', () => {
    const e = estimateScan(20, 65535, PRESETS.normal);
    expect(e).toMatchObject({
      addresses: 0,
      hosts: 20,
      ports_per_host: 65535,
      probes: 1_310_700,
      max_attempts: 2_621_400,
      parallel_hosts: 20,
      per_host_pps: 500,
      total_pps: 10_000,
      host_discovery_s: 0,
      port_scan_s: 131.1,
      duration_s: 131.1,
      per_host_duration_s: 131.1,
    });
    // A host that drops probes is scanned at its start rate (a 100 ms measured timeout × 500/s = 50 in flight,
    // well inside the window of 200); a host that answers nothing is given up after 256 ports at 800 ms.
    expect(e.filtered_ports_per_s).toBe(500);
    expect(e.silent_host_s).toBe(2.7);
  });

  it('puts host discovery first: paced ARP nudges of every address, then the port scan of the live ones', () => {
    // A /24 with 60 live hosts: 254 nudges at 50 ARP frames/s ÷ 3 per nudge, then 3.5 s for the last answers.
    const e = estimateScan(60, 65535, PRESETS.normal, 254);
    expect(hostDiscoverySeconds(254)).toBe(18.7);
    expect(e).toMatchObject({ addresses: 254, hosts: 60, host_discovery_s: 18.7, total_pps: 20_000 });
    // 60 hosts share the 20,000/s global cap: 333.3/s each.
    expect(e.per_host_pps).toBe(333.3);
    expect(e.duration_s).toBe(Math.round((18.7 + e.port_scan_s) * 10) / 10);
    expect(e.duration_s).toBeLessThan(300);
  });

  it('lets the global cap bound the per-host rate when many hosts share it', () => {
    const e = estimateScan(50, 1000, PRESETS.fast);
    expect(e.parallel_hosts).toBe(50);
    expect(e.total_pps).toBe(50_000);
    expect(e.per_host_pps).toBe(1000);
    expect(e.duration_s).toBe(1);
  });

  it('handles unlimited rates and empty scans', () => {
    const unlimited = resolveScanSettings({ overrides: { scan_rate_pps: 0, global_pps: 0 } });
    const e = estimateScan(1, 65535, unlimited);
    expect(e.per_host_pps).toBe(200_000);
    expect(estimateScan(0, 100, PRESETS.normal)).toMatchObject({
      probes: 0,
      duration_s: 0,
      parallel_hosts: 0,
    });
  });
});

describe('port plans', () => {
  it('probes the priority ports first, then the ranges ascending without repeats', () => {
    const plan = { priority: [443, 80, 22, 80, 70000], ranges: parsePortSpec('1-30,79-81') };
    expect([...portOrder(plan)]).toEqual([
      443,
      80,
      22,
      ...Array.from({ length: 30 }, (_, i) => i + 1).filter((p) => p !== 22),
      79,
      81,
    ]);
    expect(planSize(plan)).toBe([...portOrder(plan)].length);
    expect(planSize({ priority: [80, 443], ranges: [[1, 65535]] })).toBe(65535);
  });

  it('parses port specs and rejects nonsense', () => {
    expect(parsePortSpec('all')).toEqual([[1, 65535]]);
    expect(parsePortSpec('8080, 1-1024,1000-2000')).toEqual([
      [1, 2000],
      [8080, 8080],
    ]);
    expect(() => parsePortSpec('0-10')).toThrow(PortSpecError);
    expect(() => parsePortSpec('10-5')).toThrow(PortSpecError);
    expect(() => parsePortSpec('http')).toThrow(PortSpecError);
    expect(() => parsePortSpec('')).toThrow(/empty/);
  });
});
