import { describe, expect, it } from 'vitest';
import type { Discovery, Session } from './api/discovery.ts';
import {
  formatDuration,
  formatRate,
  historyResult,
  mergeSession,
  parseSessionEvent,
  presetChanged,
  runTypeLabel,
  SessionRetention,
} from './discovery.ts';

const session = (over: Partial<Session> = {}): Session => ({
  session_id: '00000000-0000-4000-8000-000000000001',
  daemon_id: '00000000-0000-4000-8000-000000000002',
  network_id: '00000000-0000-4000-8000-000000000003',
  phase: 'Scanning',
  discovery_type: { type: 'SelfReport', host_id: '00000000-0000-4000-8000-000000000004' },
  progress: 40,
  ...over,
});

const networkJob = (scan_preset: 'polite' | 'normal' | 'fast' | null): Discovery => ({
  id: '00000000-0000-4000-8000-000000000005',
  name: 'Network',
  network_id: '00000000-0000-4000-8000-000000000003',
  daemon_id: '00000000-0000-4000-8000-000000000002',
  discovery_type: { type: 'Network', subnet_ids: null, host_naming_fallback: 'BestService', scan_preset },
  run_type: { type: 'AdHoc', last_run: null },
  tags: [],
  created_at: '2026-01-10T12:00:00Z',
  updated_at: '2026-01-10T12:00:00Z',
});

describe('mergeSession', () => {
  it('keeps a finished session finished when an older snapshot arrives', () => {
    const done = session({ phase: 'Complete', progress: 100 });
    expect(mergeSession(done, session({ phase: 'Scanning', progress: 60 }))).toBe(done);
  });
  it('never moves progress backwards while running, but takes the newer phase', () => {
    expect(
      mergeSession(session({ progress: 70 }), session({ phase: 'Scanning', progress: 50 })).progress,
    ).toBe(70);
    expect(mergeSession(session({ progress: 70 }), session({ phase: 'Failed', progress: 70 })).phase).toBe(
      'Failed',
    );
  });
});

describe('parseSessionEvent', () => {
  it('accepts a session payload and ignores everything else', () => {
    expect(parseSessionEvent(JSON.stringify(session()))?.phase).toBe('Scanning');
    expect(parseSessionEvent('not json')).toBeNull();
    expect(parseSessionEvent(JSON.stringify({ type: 'stale' }))).toBeNull();
    expect(parseSessionEvent(JSON.stringify(session({ phase: 'Exploded' as Session['phase'] })))).toBeNull();
  });
});

describe('historyResult', () => {
  it('reads the final payload of a Historical record only', () => {
    const job = networkJob(null);
    expect(historyResult(job)).toBeNull();
    const run: Discovery = {
      ...job,
      run_type: { type: 'Historical', results: session({ phase: 'Failed' }) },
    };
    expect(historyResult(run)?.phase).toBe('Failed');
    expect(historyResult({ ...job, run_type: { type: 'Historical', results: 'junk' } })).toBeNull();
  });
});

describe('labels and formats', () => {
  it('describes run types', () => {
    expect(runTypeLabel({ type: 'AdHoc' })).toBe('On demand');
    expect(
      runTypeLabel({
        type: 'Scheduled',
        cron_schedule: '0 0 3 * * *',
        enabled: true,
        timezone: 'Europe/Paris',
      }),
    ).toBe('Scheduled: 0 0 3 * * * (Europe/Paris)');
    expect(runTypeLabel({ type: 'Scheduled', cron_schedule: '0 0 3 * * *', enabled: false })).toBe(
      'Paused: 0 0 3 * * *',
    );
  });
  it('formats durations and rates coarsely', () => {
    expect(formatDuration(0.2)).toBe('1 s');
    expect(formatDuration(42)).toBe('42 s');
    expect(formatDuration(15 * 60 + 10)).toBe('15 min');
    expect(formatDuration(2 * 3600 + 5 * 60)).toBe('2 h 5 min');
    expect(formatDuration(5 * 86400)).toBe('5 days');
    expect(formatDuration(Number.NaN)).toBe('unknown');
    expect(formatRate(2.5)).toBe('2.5 probes/s');
    expect(formatRate(1500)).toBe('1,500 probes/s');
    expect(formatRate(0)).toBe('unlimited');
  });
  it('treats a missing preset as normal', () => {
    expect(presetChanged(networkJob(null), 'normal')).toBe(false);
    expect(presetChanged(networkJob(null), 'polite')).toBe(true);
    expect(presetChanged(networkJob('fast'), 'fast')).toBe(false);
  });
});

describe('SessionRetention', () => {
  const done = (id: string) => session({ session_id: id, phase: 'Complete', progress: 100 });

  it('takes finished sessions off a minute after they finished, and running ones never', () => {
    const r = new SessionRetention(5, 60_000);
    const running = session({ session_id: 'run', phase: 'Scanning' });
    const a = done('a');
    r.seen(running, 0);
    r.seen(a, 0);
    expect(r.expired([running, a], 59_000)).toEqual([]);
    expect(r.expired([running, a], 61_000)).toEqual(['a']);
  });

  it('keeps at most a few finished sessions, dropping the oldest first', () => {
    const r = new SessionRetention(2, 60_000);
    const all = ['a', 'b', 'c', 'd'].map(done);
    for (const s of all) r.seen(s, 0);
    expect(r.expired(all, 1000)).toEqual(['a', 'b']);
  });

  it('remembers a bounded number of sessions taken off, so late snapshots cannot revive them', () => {
    const r = new SessionRetention(5, 60_000, 2);
    for (const id of ['a', 'b', 'c']) r.forget(id);
    expect(['a', 'b', 'c'].map((id) => r.isGone(id))).toEqual([false, true, true]);
  });
});
