import { describe, expect, it } from 'vitest';
import { estimateScan, PRESETS, resolveScanSettings } from './presets.ts';
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
  it('reports probes, duration and per-host rate for n hosts × m ports', () => {
    const e = estimateScan(20, 65535, PRESETS.normal);
    expect(e).toMatchObject({
      hosts: 20,
      ports_per_host: 65535,
      probes: 1_310_700,
      max_attempts: 2_621_400,
      parallel_hosts: 10,
      per_host_pps: 500,
      total_pps: 5000,
      duration_s: 262.1,
      per_host_duration_s: 131.1,
    });
    // A host that drops everything: 16 probes in flight, 1.7 s each → ~9.4 ports/s; given up after 256.
    expect(e.filtered_ports_per_s).toBe(9.4);
    expect(e.silent_host_s).toBe(27.2);
  });

  it('lets the global cap bound the per-host rate when many hosts share it', () => {
    const e = estimateScan(50, 1000, PRESETS.fast);
    expect(e.parallel_hosts).toBe(8);
    expect(e.total_pps).toBe(20000);
    expect(e.per_host_pps).toBe(2500);
    expect(e.duration_s).toBe(2.5);
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
