import { Cron } from 'croner';

/** The run type of a discovery configuration as stored (api-model.md: RunType). */
export type RunType =
  | {
      type: 'Scheduled';
      cron_schedule: string;
      enabled: boolean;
      last_run?: string | null;
      timezone?: string | null;
    }
  | { type: 'AdHoc'; last_run?: string | null }
  | { type: 'Historical'; results: unknown };

export class ScheduleError extends Error {}

/** True when the runtime knows the IANA zone (e.g. Europe/Paris); UTC offsets and abbreviations are refused. */
export function isTimeZone(tz: string): boolean {
  if (!/^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/.test(tz)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/**
 * The cron expression as a job. The reference uses the 6-field, seconds-first format (`0 0 9 * * 1-5`); 5 fields
 * (seconds = 0) and a 7th year field are accepted too. Day of week: 0 or 7 = Sunday.
 */
function job(cron: string, timezone: string): Cron {
  const parts = cron.trim().split(/\s+/);
  // croner also takes an ISO date as a one-off "pattern"; a schedule must be a cron expression.
  if (parts.length < 5 || parts.length > 7) {
    throw new ScheduleError(`cron_schedule must have 5 to 7 fields (seconds first), got "${cron}"`);
  }
  if (!isTimeZone(timezone)) throw new ScheduleError(`timezone "${timezone}" is not an IANA time zone`);
  try {
    return new Cron(parts.join(' '), { timezone, paused: true, mode: 'auto' });
  } catch (err) {
    throw new ScheduleError(`cron_schedule "${cron}" is invalid: ${(err as Error).message}`);
  }
}

/** The first instant strictly after `after` at which the schedule fires, or null when it never fires again. */
export function nextRun(cron: string, timezone: string | null | undefined, after: Date): Date | null {
  return job(cron, timezone || 'UTC').nextRun(after);
}

/** Throws ScheduleError when the run type's schedule cannot be evaluated. */
export function validateRunType(rt: RunType): void {
  if (rt.type === 'Scheduled') nextRun(rt.cron_schedule, rt.timezone, new Date());
}

/** When an enabled schedule is next due (null for other run types), counted from now. */
export function nextRunOf(rt: RunType, now = new Date()): Date | null {
  return rt.type === 'Scheduled' && rt.enabled ? nextRun(rt.cron_schedule, rt.timezone, now) : null;
}
