import type { Discovery, RunType, ScanPreset, Session } from './api/discovery.ts';
import type { DiscoveryPhase, DiscoveryType } from './api/types.ts';

export type Tone = 'neutral' | 'sky' | 'green' | 'amber' | 'violet';

const TERMINAL: ReadonlySet<DiscoveryPhase> = new Set(['Complete', 'Failed', 'Cancelled']);

export function isTerminal(phase: DiscoveryPhase): boolean {
  return TERMINAL.has(phase);
}

// A Record over the enum makes a new phase in the contract a compile error here until it has a tone.
const PHASE_TONES: Record<DiscoveryPhase, Tone> = {
  Pending: 'neutral',
  Starting: 'sky',
  Started: 'sky',
  Scanning: 'sky',
  Complete: 'green',
  Failed: 'amber',
  Cancelled: 'neutral',
};

export function phaseTone(phase: DiscoveryPhase): Tone {
  return PHASE_TONES[phase] ?? 'neutral';
}

export function discoveryTypeLabel(type: DiscoveryType['type']): string {
  switch (type) {
    case 'SelfReport':
      return 'Self Report';
    case 'Network':
      return 'Network';
    case 'Docker':
      return 'Docker';
  }
}

export function runTypeLabel(run: RunType): string {
  switch (run.type) {
    case 'AdHoc':
      return 'On demand';
    case 'Scheduled': {
      const zone = run.timezone ? ` (${run.timezone})` : '';
      return `${run.enabled ? 'Scheduled' : 'Paused'}: ${run.cron_schedule}${zone}`;
    }
    case 'Historical':
      return 'Finished run';
  }
}

export function lastRun(run: RunType): string | null {
  return run.type === 'Historical' ? null : (run.last_run ?? null);
}

/** The pacing preset a Network discovery runs with; none stored means the daemon's defaults, i.e. normal. */
export function presetOf(type: DiscoveryType): ScanPreset {
  return type.type === 'Network' && type.scan_preset ? type.scan_preset : 'normal';
}

/** Whether starting with this preset first has to store it on the discovery. */
export function presetChanged(job: Discovery, preset: ScanPreset): boolean {
  return job.discovery_type.type === 'Network' && preset !== presetOf(job.discovery_type);
}

const PHASES: readonly string[] = Object.keys(PHASE_TONES);

/** The final session payload a Historical record carries, or null when its results are not one. */
export function historyResult(d: Discovery): Session | null {
  if (d.run_type.type !== 'Historical') return null;
  const r = d.run_type.results;
  if (typeof r !== 'object' || r === null) return null;
  const s = r as Partial<Session>;
  if (typeof s.session_id !== 'string' || typeof s.phase !== 'string' || !PHASES.includes(s.phase))
    return null;
  return r as Session;
}

/** Parses one SSE `data:` payload; anything that is not a session update is ignored (null). */
export function parseSessionEvent(data: string): Session | null {
  let v: unknown;
  try {
    v = JSON.parse(data);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const s = v as Partial<Session>;
  if (typeof s.session_id !== 'string' || typeof s.phase !== 'string' || !PHASES.includes(s.phase))
    return null;
  if (typeof s.progress !== 'number') return null;
  return v as Session;
}

/**
 * Folds a new report into what the page knows about a session. A finished session stays finished (a snapshot of the
 * active list fetched before it ended must not revive it), and progress never moves backwards within a run.
 */
export function mergeSession(known: Session | undefined, next: Session): Session {
  if (!known) return next;
  if (isTerminal(known.phase) && !isTerminal(next.phase)) return known;
  if (isTerminal(next.phase)) return next;
  return { ...next, progress: Math.max(known.progress, next.progress) };
}

/** "45 s", "12 min", "2 h 5 min", "3 days": coarse on purpose, it is an estimate. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return 'unknown';
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (hours < 48) return rest ? `${hours} h ${rest} min` : `${hours} h`;
  return `${Math.round(hours / 24)} days`;
}

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Probes per second, without a long tail of decimals. */
export function formatRate(pps: number): string {
  if (!Number.isFinite(pps) || pps <= 0) return 'unlimited';
  return `${pps < 10 ? Number(pps.toFixed(1)) : formatCount(pps)} probes/s`;
}

/**
 * Which finished sessions leave the Discovery page: each a while after it finished, and the oldest beyond a few (the
 * History table keeps them all), so a page left open while schedules run does not pile up cards (reference issue
 * #424). Ids taken off are remembered (a bounded number), so a late snapshot of active sessions cannot revive them.
 */
export class SessionRetention {
  private readonly finishedSince = new Map<string, number>();
  private readonly gone = new Set<string>();

  constructor(
    private readonly maxFinished = 5,
    private readonly keepMs = 60_000,
    private readonly maxGone = 100,
  ) {}

  isGone(id: string): boolean {
    return this.gone.has(id);
  }

  /** Notes the state the page now shows for a session, at time `at`. */
  seen(s: Session, at: number): void {
    if (isTerminal(s.phase) && !this.finishedSince.has(s.session_id))
      this.finishedSince.set(s.session_id, at);
  }

  /** The ids among `sessions` (oldest first) to take off the page at time `at`. */
  expired(sessions: Iterable<Session>, at: number): string[] {
    const finished = [...sessions].filter((s) => isTerminal(s.phase));
    const excess = finished.length - this.maxFinished;
    return finished
      .filter((s, i) => i < excess || at - (this.finishedSince.get(s.session_id) ?? at) > this.keepMs)
      .map((s) => s.session_id);
  }

  /** The session left the page (expired or dismissed). */
  forget(id: string): void {
    this.finishedSince.delete(id);
    this.gone.add(id);
    for (const old of this.gone) {
      if (this.gone.size <= this.maxGone) break;
      this.gone.delete(old);
    }
  }
}
