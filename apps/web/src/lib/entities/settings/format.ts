const DATE = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' });

/** A day for lists ("5 Dec 2026"); an empty value reads as "—". */
export function formatDate(at: string | null | undefined): string {
  if (!at) return '—';
  const d = new Date(at);
  return Number.isNaN(d.getTime()) ? '—' : DATE.format(d);
}

/** Whether an expiry lies in the past. */
export function expired(at: string | null | undefined, now = Date.now()): boolean {
  return !!at && new Date(at).getTime() <= now;
}

/** The local calendar day of an instant as a date input takes it ("2026-12-05"). */
export function localDay(at: string): string {
  const d = new Date(at);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}
