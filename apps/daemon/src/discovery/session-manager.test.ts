import { describe, expect, it } from 'vitest';
import { progressDue } from './session-manager.ts';

describe('progressDue (daemon.md §3.3)', () => {
  const last = { percent: 40, at: 1_000_000 };

  it('reports a rise only when 10 s have passed since the last report', () => {
    expect(progressDue(41, last, last.at + 9_999)).toBe(false);
    expect(progressDue(41, last, last.at + 10_000)).toBe(true);
    expect(progressDue(40, last, last.at + 10_000)).toBe(false);
  });

  it('always reports 100, and a heartbeat after 30 s even without a rise', () => {
    expect(progressDue(100, last, last.at + 1)).toBe(true);
    expect(progressDue(40, last, last.at + 29_999)).toBe(false);
    expect(progressDue(40, last, last.at + 30_000)).toBe(true);
  });
});
