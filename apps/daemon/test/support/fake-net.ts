import type { ManualClock } from '../../src/scanner/clock.ts';
import type { AttemptOutcome, ConnectAttempt } from '../../src/scanner/tcp.ts';

/**
 * A scripted network for scanner unit tests: every connect attempt is answered after a delay on a ManualClock,
 * with the outcome `behaviour` chooses. It records when each attempt started and how many were in flight.
 */
export type Behaviour = (
  ip: string,
  port: number,
  attempt: number,
) => { kind: 'open' | 'closed' | 'timeout' | 'unreachable' | 'error'; rttMs?: number; code?: string };

export interface AttemptRecord {
  ip: string;
  port: number;
  at: number;
  outcome?: AttemptOutcome['kind'];
}

export class FakeNet {
  readonly attempts: AttemptRecord[] = [];
  private readonly flying = new Map<string, number>();
  readonly maxInFlight = new Map<string, number>();
  /** In flight per host at each attempt start. */
  readonly inFlightAtStart: Array<{ ip: string; at: number; inFlight: number }> = [];
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly clock: ManualClock,
    private readonly behaviour: Behaviour,
  ) {}

  readonly attempt: ConnectAttempt = (ip, port, { timeoutMs, signal }) => {
    const key = `${ip}:${port}`;
    const n = (this.seen.get(key) ?? 0) + 1;
    this.seen.set(key, n);
    const record: AttemptRecord = { ip, port, at: this.clock.now() };
    this.attempts.push(record);
    const b = this.behaviour(ip, port, n);
    if (b.kind === 'error') {
      record.outcome = 'error';
      return Promise.resolve({ kind: 'error', code: b.code ?? 'EMFILE' });
    }
    const inFlight = (this.flying.get(ip) ?? 0) + 1;
    this.flying.set(ip, inFlight);
    this.maxInFlight.set(ip, Math.max(this.maxInFlight.get(ip) ?? 0, inFlight));
    this.inFlightAtStart.push({ ip, at: record.at, inFlight });
    return new Promise<AttemptOutcome>((resolve) => {
      const finish = (outcome: AttemptOutcome) => {
        cancel();
        signal?.removeEventListener('abort', onAbort);
        this.flying.set(ip, (this.flying.get(ip) ?? 1) - 1);
        record.outcome = outcome.kind;
        resolve(outcome);
      };
      const onAbort = () => finish({ kind: 'aborted' });
      // An answer slower than the attempt's timeout is a timeout, as on a real socket.
      const late = b.kind !== 'timeout' && (b.rttMs ?? 1) > timeoutMs;
      const delay = b.kind === 'timeout' || late ? timeoutMs : (b.rttMs ?? 1);
      const cancel = this.clock.setTimer(delay, () =>
        finish(
          b.kind === 'timeout' || late
            ? { kind: 'timeout' }
            : b.kind === 'unreachable'
              ? { kind: 'unreachable', code: 'EHOSTUNREACH' }
              : { kind: b.kind as 'open' | 'closed' },
        ),
      );
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  };

  startsOf(ip: string): number[] {
    return this.attempts.filter((a) => a.ip === ip).map((a) => a.at);
  }
}

/** Advances the clock in small steps until `done` settles (or `limitMs` of fake time passed). */
export async function drive<T>(
  clock: ManualClock,
  done: Promise<T>,
  stepMs = 1,
  limitMs = 600_000,
): Promise<T> {
  let settled = false;
  const watched = done.finally(() => (settled = true));
  watched.catch(() => undefined);
  const start = clock.now();
  while (!settled && clock.now() - start < limitMs) await clock.advance(stepMs);
  if (!settled) throw new Error(`still running after ${limitMs} ms of fake time`);
  return watched;
}

/** Largest number of timestamps inside any closed window of `windowMs`. */
export function maxInWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i] - sorted[j] > windowMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}
