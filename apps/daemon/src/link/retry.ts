import { setTimeout as delay } from 'node:timers/promises';

/** Exponential backoff: initial, doubled per retry, capped; maxAttempts counts every try. */
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  maxAttempts: number;
}

/** The reference's retry schedules (daemon.md §2.3, §2.4, §2.6). */
export const BACKOFF = {
  /** Server unreachable: keep trying forever, never exit by ourselves. */
  transport: { initialMs: 1_000, maxMs: 30_000, maxAttempts: Infinity },
  /** Registration while the key is not saved yet (onboarding). */
  keyNotCreated: { initialMs: 10_000, maxMs: 30_000, maxAttempts: 30 },
  /** One subnet or host POST during discovery. */
  entity: { initialMs: 500, maxMs: 30_000, maxAttempts: 5 },
} satisfies Record<string, BackoffPolicy>;

export type BackoffPolicies = { [K in keyof typeof BACKOFF]: BackoffPolicy };

export function backoffDelay(policy: BackoffPolicy, retryIndex: number): number {
  return Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(retryIndex, 30));
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return delay(ms, undefined, { signal });
}

export interface RetryOptions {
  policy: BackoffPolicy;
  shouldRetry: (err: unknown) => boolean;
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  signal?: AbortSignal;
}

/** Runs fn until it succeeds, an error is not retryable, attempts run out, or the signal aborts. */
export async function retry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (attempt >= options.policy.maxAttempts || !options.shouldRetry(err)) throw err;
      const ms = backoffDelay(options.policy, attempt - 1);
      options.onRetry?.(err, attempt, ms);
      await sleep(ms, options.signal);
    }
  }
}
