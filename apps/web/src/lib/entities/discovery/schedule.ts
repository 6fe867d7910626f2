import { Cron } from 'croner';
import cronstrue from 'cronstrue';

export interface SchedulePreview {
  /** "At 03:00 AM, only on Sunday", or null with `error` when the expression is not valid. */
  description: string | null;
  /** The next runs, as the server will compute them (same library, same rules). */
  next: Date[];
  error: string | null;
}

/** Quick picks for the schedule editor (seconds-first, like the reference). */
export const SCHEDULE_PRESETS: readonly { label: string; cron: string }[] = [
  { label: 'Every hour', cron: '0 0 * * * *' },
  { label: 'Every day at 03:00', cron: '0 0 3 * * *' },
  { label: 'Weekdays at 09:00', cron: '0 0 9 * * 1-5' },
  { label: 'Sundays at 03:00', cron: '0 0 3 * * 0' },
];

/**
 * Describes a cron expression and when it fires next in `timezone`. Mirrors the server's rules (apps/server
 * discovery/schedule.ts): 5 to 7 fields, seconds first when 6 or more, an IANA time zone.
 */
export function previewSchedule(
  cron: string,
  timezone: string,
  count = 3,
  now = new Date(),
): SchedulePreview {
  const parts = cron.trim().split(/\s+/).filter(Boolean);
  if (parts.length < 5 || parts.length > 7) {
    return {
      description: null,
      next: [],
      error: 'A schedule has 5 to 7 fields, e.g. 0 0 3 * * * (seconds first).',
    };
  }
  let job: Cron;
  try {
    job = new Cron(parts.join(' '), { timezone, paused: true, mode: 'auto' });
  } catch (err) {
    return { description: null, next: [], error: `Not a valid schedule: ${(err as Error).message}` };
  }
  let description: string | null = null;
  try {
    description = cronstrue.toString(parts.join(' '), { use24HourTimeFormat: true, verbose: false });
  } catch {
    description = null;
  }
  const next = job.nextRuns(count, now);
  return { description, next, error: next.length ? null : 'This schedule never runs again.' };
}

/** The time zones the browser knows, with the browser's own first. */
export function timeZones(): string[] {
  const own = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const all =
    typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [own, 'UTC'];
  return [own, ...all.filter((z) => z !== own)];
}

/** A run time shown in the schedule's own zone, e.g. "Sun, 7 Dec 2025, 03:00 (Europe/Paris)". */
export function formatInZone(at: Date, timezone: string): string {
  const text = new Intl.DateTimeFormat('en-GB', {
    timeZone: timezone,
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  }).format(at);
  return `${text} (${timezone})`;
}
