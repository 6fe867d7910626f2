import net from 'node:net';
import { sleep, systemClock, type Clock } from './clock.ts';
import type { AbortLike } from './signal.ts';

/**
 * One TCP connect attempt (daemon.md §4.2 "TCP connect probe"). The outcome of a single SYN:
 *  - open: the handshake completed; the socket is reset at once (RST, no FIN/TIME_WAIT, nothing left in the
 *    target's accept queue for long), as a connect scan should;
 *  - closed: the target answered RST (ECONNREFUSED);
 *  - timeout: no answer within the timeout (the socket is destroyed before the kernel's first SYN
 *    retransmission at 1 s, so one attempt is one SYN on the wire);
 *  - unreachable: the network said the host cannot be reached (EHOSTUNREACH/ENETUNREACH/EHOSTDOWN, e.g. ARP
 *    failed or a router sent ICMP unreachable);
 *  - error: a local failure (`code`, e.g. EMFILE, EADDRNOTAVAIL) that says nothing about the target.
 */
export type AttemptOutcome =
  | { kind: 'open' }
  | { kind: 'closed' }
  | { kind: 'timeout' }
  | { kind: 'unreachable'; code: string }
  | { kind: 'error'; code: string }
  | { kind: 'aborted' };

export interface AttemptOptions {
  timeoutMs: number;
  signal?: AbortLike;
  /** Source address to bind (the interface facing the target); the OS chooses when absent. */
  localAddress?: string;
}

/** The adapter the port scanner and host discovery use; tests may pass their own. */
export type ConnectAttempt = (ip: string, port: number, options: AttemptOptions) => Promise<AttemptOutcome>;

const UNREACHABLE = new Set(['EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN']);
const noop = () => undefined;

export const connectAttempt: ConnectAttempt = (ip, port, { timeoutMs, signal, localAddress }) => {
  if (signal?.aborted) return Promise.resolve({ kind: 'aborted' });
  return new Promise((resolve) => {
    const socket = new net.Socket();
    // Errors after the outcome is known (a late RST, the reset itself) must not become uncaught exceptions.
    socket.on('error', noop);
    let done = false;
    const finish = (outcome: AttemptOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (outcome.kind === 'open') socket.resetAndDestroy();
      else socket.destroy();
      resolve(outcome);
    };
    const onAbort = () => finish({ kind: 'aborted' });
    // Timers run before I/O polling in each event-loop turn: after a stall (GC, a busy CPU) a timer can fire
    // while the answer already waits in the kernel. Deciding in the check phase, after the poll phase of the
    // same turn, lets a queued SYN-ACK or RST win instead of producing a false timeout.
    const timer = setTimeout(() => setImmediate(() => finish({ kind: 'timeout' })), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => finish({ kind: 'open' }));
    socket.once('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? 'UNKNOWN';
      if (code === 'ECONNREFUSED') finish({ kind: 'closed' });
      else if (code === 'ETIMEDOUT') finish({ kind: 'timeout' });
      else if (UNREACHABLE.has(code)) finish({ kind: 'unreachable', code });
      else finish({ kind: 'error', code });
    });
    try {
      socket.connect({ host: ip, port, family: 4, ...(localAddress ? { localAddress } : {}) });
    } catch (err) {
      finish({ kind: 'error', code: (err as NodeJS.ErrnoException).code ?? 'UNKNOWN' });
    }
  });
};

export type PortState = 'open' | 'closed' | 'filtered' | 'unreachable';

export interface ProbeOptions {
  /** Per attempt; the reference uses 800 ms. A function is asked before every attempt (1, 2…) for it. */
  timeoutMs?: number | ((attempt: number) => number);
  /** Extra attempts after a timeout (only after a timeout: a refusal is final). Reference: 1. */
  retries?: number;
  /** Asked before each retry; false records the port filtered at once (retries have proven useless on the host). */
  shouldRetry?: () => boolean;
  /** Pause before a retry. Reference: 100 ms. */
  retryDelayMs?: number;
  signal?: AbortLike;
  localAddress?: string;
  attempt?: ConnectAttempt;
  /** Called (and awaited) before every attempt, including the first: where the pacer takes its turn. */
  beforeAttempt?: () => Promise<void>;
  /** Called (and awaited) before every retry (attempts 2, 3…), after `beforeAttempt` if both are given. */
  beforeRetry?: () => Promise<void>;
  /** Called after every attempt with its outcome, e.g. to drive the AIMD window and the RTT estimate. */
  afterAttempt?: (outcome: AttemptOutcome, info: AttemptInfo) => void;
  /** For the pause before a retry. */
  clock?: Clock;
}

export interface AttemptInfo {
  /** 1 for the first attempt, 2 for the first retry… */
  attempt: number;
  /** From the connect call to the outcome, on the probe's clock. */
  elapsedMs: number;
}

export interface ProbeResult {
  state: PortState;
  attempts: number;
}

/**
 * Probes one port: open, closed (RST), filtered (every attempt timed out) or unreachable. Local errors (EMFILE
 * and the like) are thrown as `LocalProbeError` so the caller can retry later instead of reporting a false
 * "closed". Cancellation throws the signal's reason.
 */
export async function probeTcpPort(
  ip: string,
  port: number,
  options: ProbeOptions = {},
): Promise<ProbeResult> {
  const timeout = options.timeoutMs ?? 800;
  const retries = options.retries ?? 1;
  const retryDelayMs = options.retryDelayMs ?? 100;
  const attempt = options.attempt ?? connectAttempt;
  const signal = options.signal;
  const clock = options.clock ?? systemClock;
  for (let n = 1; ; n++) {
    if (options.beforeAttempt) await options.beforeAttempt();
    if (n > 1 && options.beforeRetry) await options.beforeRetry();
    const timeoutMs = typeof timeout === 'function' ? timeout(n) : timeout;
    const sent = clock.now();
    const outcome = await attempt(ip, port, { timeoutMs, signal, localAddress: options.localAddress });
    options.afterAttempt?.(outcome, { attempt: n, elapsedMs: clock.now() - sent });
    switch (outcome.kind) {
      case 'open':
      case 'closed':
        return { state: outcome.kind, attempts: n };
      case 'unreachable':
        return { state: 'unreachable', attempts: n };
      case 'error':
        throw new LocalProbeError(outcome.code);
      case 'aborted':
        throw signal?.reason instanceof Error ? signal.reason : new Error('probe aborted');
      case 'timeout':
        if (n > retries || (options.shouldRetry && !options.shouldRetry()))
          return { state: 'filtered', attempts: n };
        if (retryDelayMs > 0) await sleep(clock, retryDelayMs, signal);
        break;
    }
  }
}

export class LocalProbeError extends Error {
  constructor(readonly code: string) {
    super(`local socket error ${code}`);
    this.name = 'LocalProbeError';
  }
}

/** EMFILE/ENFILE (descriptors) and EADDRNOTAVAIL (ephemeral ports): the scanner itself ran out of something. */
export function isResourceExhaustion(code: string): boolean {
  return code === 'EMFILE' || code === 'ENFILE' || code === 'EADDRNOTAVAIL' || code === 'ENOBUFS';
}
