import { describe, expect, it } from 'vitest';
import { daemonStatus, relativeTime } from './time.ts';

const now = Date.parse('2026-01-10T12:00:00Z');
const ago = (ms: number) => new Date(now - ms).toISOString();

describe('relativeTime', () => {
  it('coarsens recent instants', () => {
    expect(relativeTime(ago(3_000), now)).toBe('just now');
    expect(relativeTime(ago(42_000), now)).toBe('42 s ago');
    expect(relativeTime(ago(5 * 60_000 + 20_000), now)).toBe('5 min ago');
    expect(relativeTime(ago(3 * 3600_000), now)).toBe('3 h ago');
    expect(relativeTime(ago(26 * 3600_000), now)).toBe('1 day ago');
    expect(relativeTime(ago(9 * 86400_000), now)).toBe('9 days ago');
  });

  it('reads a timestamp slightly in the future as just now (clock skew)', () => {
    expect(relativeTime(ago(-4_000), now)).toBe('just now');
  });

  it('handles missing and malformed values', () => {
    expect(relativeTime(null, now)).toBe('never');
    expect(relativeTime('not a date', now)).toBe('unknown');
    expect(relativeTime(new Date(now - 120_000), now)).toBe('2 min ago');
  });
});

describe('daemonStatus', () => {
  it('is connected within three heartbeats (90 s)', () => {
    expect(daemonStatus(ago(5_000), now)).toBe('connected');
    expect(daemonStatus(ago(90_000), now)).toBe('connected');
  });
  it('is disconnected after that', () => {
    expect(daemonStatus(ago(91_000), now)).toBe('disconnected');
  });
  it('is never for a daemon that has not checked in', () => {
    expect(daemonStatus(null, now)).toBe('never');
  });
});
