import { describe, expect, it } from 'vitest';
import { formatInZone, previewSchedule } from './schedule.ts';

describe('previewSchedule', () => {
  const now = new Date('2026-03-02T10:00:00Z'); // a Monday

  it('describes a seconds-first schedule and lists its next runs in the time zone', () => {
    const p = previewSchedule('0 0 3 * * 0', 'Europe/Paris', 2, now);
    expect(p.error).toBeNull();
    expect(p.description).toMatch(/03:00/);
    expect(p.description).toMatch(/Sunday/);
    // 03:00 in Paris in early March is 02:00 UTC.
    expect(p.next.map((d) => d.toISOString())).toEqual([
      '2026-03-08T02:00:00.000Z',
      '2026-03-15T02:00:00.000Z',
    ]);
    expect(formatInZone(p.next[0]!, 'Europe/Paris')).toBe('Sun, 8 Mar 2026, 03:00 (Europe/Paris)');
  });

  it('accepts five fields like the server', () => {
    expect(previewSchedule('30 2 * * *', 'UTC', 1, now).next[0]!.toISOString()).toBe(
      '2026-03-03T02:30:00.000Z',
    );
  });

  it('explains an invalid expression instead of throwing', () => {
    expect(previewSchedule('every day', 'UTC').error).toMatch(/5 to 7 fields/);
    expect(previewSchedule('0 0 25 * * *', 'UTC').error).toMatch(/Not a valid schedule/);
  });
});
