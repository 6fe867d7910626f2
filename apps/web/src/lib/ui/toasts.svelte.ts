import { errorMessage } from '$lib/errors.ts';

export type ToastTone = 'success' | 'error' | 'warning' | 'info';

export interface Toast {
  id: number;
  tone: ToastTone;
  message: string;
}

/** Success toasts go away by themselves; errors stay until dismissed so they can be read. */
const AUTO_DISMISS_MS: Record<ToastTone, number | null> = {
  success: 4000,
  info: 5000,
  warning: 8000,
  error: null,
};
/** A burst of failures (the server going away) must not pile up without bound. */
const MAX_TOASTS = 5;

let nextId = 1;
const list = $state<Toast[]>([]);
const timers = new Map<number, ReturnType<typeof setTimeout>>();

function dismiss(id: number) {
  const i = list.findIndex((t) => t.id === id);
  if (i >= 0) list.splice(i, 1);
  const timer = timers.get(id);
  if (timer !== undefined) clearTimeout(timer);
  timers.delete(id);
}

function push(tone: ToastTone, message: string): number {
  // The same message twice in a row is one toast.
  const same = list.find((t) => t.tone === tone && t.message === message);
  if (same) dismiss(same.id);
  const id = nextId++;
  list.push({ id, tone, message });
  while (list.length > MAX_TOASTS) dismiss(list[0]!.id);
  const ms = AUTO_DISMISS_MS[tone];
  if (ms !== null)
    timers.set(
      id,
      setTimeout(() => dismiss(id), ms),
    );
  return id;
}

export const toasts = {
  get list(): readonly Toast[] {
    return list;
  },
  success: (message: string) => push('success', message),
  info: (message: string) => push('info', message),
  warning: (message: string) => push('warning', message),
  /** `context` says what failed ("Could not delete the host"); the server's message says why. */
  error: (err: unknown, context?: string) =>
    push('error', context ? `${context}: ${errorMessage(err)}` : errorMessage(err)),
  dismiss,
  /** Signing out drops every toast and its timer. */
  clear() {
    for (const t of [...list]) dismiss(t.id);
  },
};
