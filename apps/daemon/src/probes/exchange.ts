import dgram from 'node:dgram';
import net from 'node:net';

/**
 * One request/reply over UDP, bounded by a timeout and an AbortSignal. Every probe in this directory
 * goes through here (or, for DHCP, through its own variant), so no probe can leak a socket or a timer.
 */

export interface ExchangeOptions<T> {
  target: string;
  port: number;
  payload: Buffer;
  timeoutMs: number;
  signal?: AbortSignal;
  /**
   * Turns a datagram into a result, or undefined to keep waiting (wrong id, garbage). Only datagrams from
   * `target:port` reach it: the socket is connected, which also makes the kernel report an ICMP port
   * unreachable as ECONNREFUSED, so a closed port ends the exchange at once instead of at the timeout.
   */
  accept: (msg: Buffer) => T | undefined;
}

/** Resolves the accepted result, or null on timeout, refusal, abort or any socket error. Never rejects. */
export function udpExchange<T>(opts: ExchangeOptions<T>): Promise<T | null> {
  return new Promise((resolve) => {
    if (opts.signal?.aborted) {
      resolve(null);
      return;
    }
    const socket = dgram.createSocket(net.isIPv6(opts.target) ? 'udp6' : 'udp4');
    let done = false;
    const finish = (result: T | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      socket.removeAllListeners('message');
      // close() throws when the socket is already closed (e.g. after a bind error); nothing to do then.
      try {
        socket.close();
      } catch {
        /* already closed */
      }
      resolve(result);
    };
    const onAbort = () => finish(null);
    const timer = setTimeout(() => finish(null), opts.timeoutMs);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    socket.on('error', () => finish(null));
    socket.on('message', (msg) => {
      let result: T | undefined;
      try {
        result = opts.accept(msg);
      } catch {
        result = undefined;
      }
      if (result !== undefined) finish(result);
    });
    socket.connect(opts.port, opts.target, () => {
      if (done) return;
      socket.send(opts.payload, (err) => {
        if (err) finish(null);
      });
    });
  });
}

/** Sleeps `ms`, ending early (without error) when `signal` aborts. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

export interface PoolOptions {
  /** Most tasks in flight at once (at least 1). */
  concurrency: number;
  /** Pause after launching each task, in ms: the reference's stagger of 1e6 / scan_rate_pps µs. */
  staggerMs?: number;
  /** Awaited before each launch, e.g. a session-wide rate limiter. */
  pace?: () => Promise<void>;
  signal?: AbortSignal;
}

/**
 * Runs `task` over `items` with bounded concurrency and a pause between launches. Stops launching when
 * `signal` aborts and waits for the tasks already started. Results keep the order of `items`; tasks
 * not launched are left undefined.
 */
export async function runPool<I, R>(
  items: readonly I[],
  opts: PoolOptions,
  task: (item: I) => Promise<R>,
): Promise<Array<R | undefined>> {
  const results: Array<R | undefined> = new Array<R | undefined>(items.length).fill(undefined);
  const running = new Set<Promise<void>>();
  const limit = Math.max(1, Math.floor(opts.concurrency));
  for (let i = 0; i < items.length; i++) {
    if (opts.signal?.aborted) break;
    while (running.size >= limit) await Promise.race(running);
    if (opts.pace) await opts.pace();
    if (opts.signal?.aborted) break;
    const index = i;
    const run: Promise<void> = task(items[index]).then(
      (r) => {
        results[index] = r;
      },
      () => undefined,
    );
    const tracked = run.finally(() => running.delete(tracked));
    running.add(tracked);
    if (opts.staggerMs) await pause(opts.staggerMs, opts.signal);
  }
  await Promise.all(running);
  return results;
}
