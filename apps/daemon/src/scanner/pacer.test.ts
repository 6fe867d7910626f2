import { describe, expect, it } from 'vitest';
import { maxInWindow } from '../../test/support/fake-net.ts';
import { ManualClock, type Clock } from './clock.ts';
import {
  AimdWindow,
  LoopGovernor,
  fdSoftLimit,
  maxStartsInWindow,
  Pacer,
  RateGate,
  Semaphore,
  socketBudget,
  toleranceMs,
  windowCap,
} from './pacer.ts';

/** Runs `count` starts on each lane as fast as the pacer allows; returns start times per lane. */
async function runStarts(clock: ManualClock, pacer: Pacer, lanes: number, count: number) {
  const times: number[][] = Array.from({ length: lanes }, () => []);
  const all = Array.from({ length: lanes }, async (_, i) => {
    const lane = pacer.lane(`h${i}`);
    // Several starts queued at once per lane, as retries and the main loop do.
    await Promise.all(
      Array.from({ length: count }, async () => {
        await pacer.start(lane);
        times[i].push(clock.now());
      }),
    );
  });
  let finished = false;
  const done = Promise.all(all).then(() => (finished = true));
  while (!finished) await clock.advance(0.25);
  await done;
  return times;
}

describe('RateGate', () => {
  it('spaces starts by 1/pps, catches up on up to 10 ms of missed starts, never more than the cap per 100 ms', () => {
    const gate = new RateGate(500);
    const starts: number[] = [];
    // Poll every 0.25 ms (exact in binary, so the gaps below are exact too).
    for (let k = 0; starts.length < 200; k++) {
      const t = k / 4;
      if (gate.readyAt(t) <= t) {
        gate.take(t);
        starts.push(t);
      }
    }
    expect(gate.interval).toBe(2);
    expect(toleranceMs(500)).toBe(1);
    expect(toleranceMs(100)).toBe(5);
    expect(toleranceMs(5000)).toBe(1);
    expect(maxStartsInWindow(500, 100)).toBe(51);
    expect(windowCap(500)).toBe(51);
    expect(maxInWindow(starts, 100)).toBeLessThanOrEqual(maxStartsInWindow(500, 100));
    // The catch-up tolerance (10 ms) lets the first six go as fast as they are asked for (here one per 0.25 ms
    // poll); from then on 2 ms apart, except where the 100 ms cap holds one back: the long-run rate is 500/s.
    expect(starts.slice(0, 7)).toEqual([0, 0.25, 0.5, 0.75, 1, 1.25, 2]);
    expect(starts[199] - starts[0]).toBeGreaterThanOrEqual(199 * 2 - 10);
    expect(starts[199] - starts[0]).toBeLessThanOrEqual(199 * 2);
  });

  it('lets a late wake start what it missed, but never more than the cap in any 100 ms', () => {
    const gate = new RateGate(500);
    const starts: number[] = [];
    // A wake every 2 ms, except that every fifth wake comes 7 ms late (a busy event loop).
    let t = 0;
    for (let k = 0; starts.length < 2000; k++) {
      t += k % 5 === 4 ? 9 : 2;
      while (gate.readyAt(t) <= t) {
        gate.take(t);
        starts.push(t);
      }
    }
    // The long-run rate holds (2000 starts in about 4 s, not 5.6 s as without catching up)…
    expect(starts.at(-1)! - starts[0]).toBeLessThan(4100);
    // …and no 100 ms ever holds more than the cap.
    expect(maxInWindow(starts, 100)).toBeLessThanOrEqual(windowCap(500));
    expect(maxInWindow(starts, 1000)).toBeLessThanOrEqual(maxStartsInWindow(500, 1000));
  });

  it('treats 0 as unlimited', () => {
    const gate = new RateGate(0);
    gate.take(5);
    gate.take(5);
    expect(gate.readyAt(5)).toBe(5);
    expect(maxStartsInWindow(0, 100)).toBe(Infinity);
  });
});

describe('Pacer', () => {
  it('keeps each host to its rate and all hosts together to the global cap, fairly', async () => {
    const clock = new ManualClock();
    const pacer = new Pacer({ hostPps: 500, globalPps: 600, clock });
    const times = await runStarts(clock, pacer, 3, 120);
    const all = times.flat();
    for (const t of times) expect(maxInWindow(t, 100)).toBeLessThanOrEqual(maxStartsInWindow(500, 100));
    expect(maxInWindow(all, 100)).toBeLessThanOrEqual(maxStartsInWindow(600, 100));
    // 360 starts at 600/s take about 600 ms; the three hosts finish close together (no starvation).
    const ends = times.map((t) => Math.max(...t));
    expect(Math.max(...ends)).toBeGreaterThanOrEqual(580);
    expect(Math.max(...ends) - Math.min(...ends)).toBeLessThan(30);
  });

  it('lets a host run at its own rate when the global cap is not binding', async () => {
    const clock = new ManualClock();
    const pacer = new Pacer({ hostPps: 100, globalPps: 10_000, clock });
    const [times] = await runStarts(clock, pacer, 1, 51);
    // 51 starts at 100/s: one early start within the catch-up tolerance, then one every 10 ms.
    expect(times[50] - times[0]).toBeGreaterThanOrEqual(490);
    expect(times[50] - times[0]).toBeLessThanOrEqual(500);
    expect(maxInWindow(times, 100)).toBeLessThanOrEqual(maxStartsInWindow(100, 100));
  });

  it('grants at once with both rates unlimited', async () => {
    const clock = new ManualClock();
    const pacer = new Pacer({ hostPps: 0, globalPps: 0, clock });
    const lane = pacer.lane('x');
    await Promise.all([pacer.start(lane), pacer.start(lane), pacer.start(lane)]);
    expect(lane.started).toBe(3);
    expect(clock.now()).toBe(0);
  });

  it('rejects waiting starts when the scan is cancelled and grants nothing after', async () => {
    const clock = new ManualClock();
    const pacer = new Pacer({ hostPps: 10, globalPps: 0, clock });
    const lane = pacer.lane('x');
    const ctrl = new AbortController();
    await pacer.start(lane, ctrl.signal);
    const waiting = pacer.start(lane, ctrl.signal);
    ctrl.abort();
    await expect(waiting).rejects.toThrow();
    await clock.advance(1000);
    expect(lane.started).toBe(1);
    await expect(pacer.start(lane, ctrl.signal)).rejects.toThrow();
  });
});

describe('AimdWindow', () => {
  it('starts at the floor, grows by one per answer or drop up to the ceiling, halves on overload', () => {
    const clock = new ManualClock();
    const w = new AimdWindow({ floor: 4, ceiling: 10, cooldownMs: 800 }, clock);
    expect(w.limit).toBe(4);
    for (let i = 0; i < 3; i++) w.onAnswer();
    expect(w.limit).toBe(7);
    // A dropped probe is not congestion: the window keeps growing, as for an answer.
    w.onDrop();
    expect(w.limit).toBe(8);
    for (let i = 0; i < 10; i++) w.onAnswer();
    expect(w.limit).toBe(10);
    expect(w.onOverload()).toBe(true);
    expect(w.limit).toBe(5);
  });

  it('halves once per cooldown (a burst of overload signs is one signal) and never below the floor', async () => {
    const clock = new ManualClock();
    const w = new AimdWindow({ floor: 4, ceiling: 64, cooldownMs: 800 }, clock);
    for (let i = 0; i < 60; i++) w.onAnswer();
    expect(w.limit).toBe(64);
    expect(w.onOverload()).toBe(true);
    expect(w.onOverload()).toBe(false);
    expect(w.limit).toBe(32);
    await clock.advance(800);
    w.onOverload();
    await clock.advance(800);
    w.onOverload();
    await clock.advance(800);
    w.onOverload();
    await clock.advance(800);
    w.onOverload();
    expect(w.limit).toBe(4);
  });

  it('grows linearly (≈ +1 per window of answers) after a halving', async () => {
    const clock = new ManualClock();
    const w = new AimdWindow({ floor: 2, ceiling: 100, cooldownMs: 10 }, clock);
    for (let i = 0; i < 38; i++) w.onAnswer();
    expect(w.limit).toBe(40);
    w.onOverload();
    expect(w.limit).toBe(20);
    for (let i = 0; i < 20; i++) w.onAnswer();
    expect(w.limit).toBe(20);
    w.onAnswer();
    expect(w.limit).toBe(21);
  });

  it('holds acquirers while the window is full and lets them in as probes finish or it grows', async () => {
    const w = new AimdWindow({ floor: 2, ceiling: 4, cooldownMs: 800 }, new ManualClock());
    await w.acquire();
    await w.acquire();
    let third = false;
    const p = w.acquire().then(() => (third = true));
    await Promise.resolve();
    expect(third).toBe(false);
    w.onAnswer();
    await p;
    expect(w.inFlight).toBe(3);
    let fourth = false;
    const q = w.acquire().then(() => (fourth = true));
    w.onOverload(); // limit 3 → 2 (floor): the waiter stays
    w.release();
    await Promise.resolve();
    expect(fourth).toBe(false);
    w.release();
    await q;
    expect(w.inFlight).toBe(2);
  });
});

describe('LoopGovernor', () => {
  it('cuts the global rate while the event loop lags and gives it back once the loop keeps time', () => {
    let t = 0;
    let fire: (() => void) | null = null;
    const clock: Clock = {
      now: () => t,
      setTimer: (_ms, fn) => {
        fire = fn;
        return () => (fire = null);
      },
    };
    const pacer = new Pacer({ hostPps: 500, globalPps: 20_000, clock });
    const governor = new LoopGovernor(pacer, clock);
    governor.start();
    const tick = (lateMs: number) => {
      t += 100 + lateMs;
      fire!();
    };
    tick(200);
    expect(pacer.globalRate).toBe(15_000);
    for (let i = 0; i < 30; i++) tick(200);
    expect(pacer.globalRate).toBe(1000);
    // A little lateness holds the rate; none lets it grow back, never past global_pps.
    tick(30);
    expect(pacer.globalRate).toBe(1000);
    tick(0);
    expect(pacer.globalRate).toBe(1100);
    for (let i = 0; i < 60; i++) tick(0);
    expect(pacer.globalRate).toBe(20_000);
    governor.stop();
    expect(fire).toBeNull();
  });
});

describe('Semaphore', () => {
  it('serves waiters in order and follows capacity changes', async () => {
    const s = new Semaphore(1);
    await s.acquire();
    const order: number[] = [];
    const a = s.acquire().then(() => order.push(1));
    const b = s.acquire().then(() => order.push(2));
    s.setCapacity(2);
    await a;
    expect(order).toEqual([1]);
    s.release();
    await b;
    expect(order).toEqual([1, 2]);
    expect(s.inUse).toBe(2);
  });
});

describe('socket budget', () => {
  it('reads the soft limit from /proc/self/limits text', () => {
    const text = [
      'Limit                     Soft Limit           Hard Limit           Units',
      'Max open files            20000                40000                files',
    ].join('\n');
    expect(fdSoftLimit(text)).toBe(20000);
    expect(fdSoftLimit('Max open files            unlimited            unlimited            files\n')).toBe(
      1_048_576,
    );
    expect(fdSoftLimit('garbage')).toBe(1024);
  });

  it('keeps a margin of 10 % (at least 256) plus what is already open, never below 8', () => {
    expect(socketBudget(1024, 20)).toBe(1024 - 20 - 256);
    expect(socketBudget(20000, 50)).toBe(20000 - 50 - 2000);
    expect(socketBudget(256, 10)).toBe(8);
  });
});
