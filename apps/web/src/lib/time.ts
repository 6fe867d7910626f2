/** Renders how long ago an instant was, coarsened so a table that polls every few seconds stays calm. */
export function relativeTime(at: string | Date | null | undefined, now: number): string {
  if (!at) return 'never';
  const t = typeof at === 'string' ? Date.parse(at) : at.getTime();
  if (Number.isNaN(t)) return 'unknown';
  // A server clock slightly ahead of the browser's must not read as "in the future".
  const seconds = Math.max(0, Math.round((now - t) / 1000));
  if (seconds < 10) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.floor(hours / 24);
  return days === 1 ? '1 day ago' : `${days} days ago`;
}

/** The daemon's default heartbeat is 30 s; three missed beats mean it is gone. */
export const DAEMON_STALE_AFTER_MS = 90_000;

export type DaemonStatus = 'connected' | 'disconnected' | 'never';

export function daemonStatus(
  lastSeen: string | null | undefined,
  now: number,
  staleAfterMs = DAEMON_STALE_AFTER_MS,
): DaemonStatus {
  if (!lastSeen) return 'never';
  const t = Date.parse(lastSeen);
  if (Number.isNaN(t)) return 'never';
  return now - t <= staleAfterMs ? 'connected' : 'disconnected';
}
