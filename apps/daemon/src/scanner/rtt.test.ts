import { describe, expect, it } from 'vitest';
import { RttEstimator } from './rtt.ts';

const limits = { minMs: 100, maxMs: 800 };

describe('RttEstimator', () => {
  it('uses the upper bound until a host gives a sample, then SRTT + 4 × RTTVAR clamped to the bounds', () => {
    const e = new RttEstimator(limits);
    expect(e.timeoutMs).toBe(800);
    expect(e.smoothedMs).toBeNull();
    // First sample R: SRTT = R, RTTVAR = R/2 → R + 2R.
    e.sample(60);
    expect(e.smoothedMs).toBe(60);
    expect(e.timeoutMs).toBe(180);
    // Then RTTVAR = ¾·30 + ¼·|60 − 20| = 32.5, SRTT = ⅞·60 + ⅛·20 = 55 → 55 + 130.
    e.sample(20);
    expect(e.smoothedMs).toBe(55);
    expect(e.timeoutMs).toBe(185);
    // A sub-millisecond LAN: the floor, not 1 ms.
    const lan = new RttEstimator(limits);
    for (let i = 0; i < 20; i++) lan.sample(0.2);
    expect(lan.timeoutMs).toBe(100);
    // A very slow host: never above the bound (the fixed connect timeout).
    const slow = new RttEstimator(limits);
    slow.sample(700);
    expect(slow.timeoutMs).toBe(800);
  });

  it("asks its fallback (the scan's estimate) until it has a sample of its own", () => {
    const scan = new RttEstimator(limits);
    const host = new RttEstimator(limits, scan);
    expect(host.timeoutMs).toBe(800);
    for (let i = 0; i < 10; i++) scan.sample(1);
    expect(host.timeoutMs).toBe(100);
    host.sample(300);
    expect(host.timeoutMs).toBe(800);
  });

  it('calls round trips rising only when they grew well past the best, after a few samples', () => {
    const e = new RttEstimator(limits);
    for (let i = 0; i < 7; i++) e.sample(1 + (i % 3));
    expect(e.rising).toBe(false);
    // Jitter of a few ms on a sub-millisecond LAN is not overload.
    for (let i = 0; i < 20; i++) e.sample(8);
    expect(e.rising).toBe(false);
    // A queue filling up: 150 ms answers from a host whose best was 1 ms.
    for (let i = 0; i < 10; i++) e.sample(150);
    expect(e.rising).toBe(true);
  });

  it('rejects inconsistent bounds', () => {
    expect(() => new RttEstimator({ minMs: 0, maxMs: 800 })).toThrow(RangeError);
    expect(() => new RttEstimator({ minMs: 900, maxMs: 800 })).toThrow(RangeError);
  });
});
