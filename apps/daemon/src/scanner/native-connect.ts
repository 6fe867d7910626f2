import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { AbortLike } from './signal.ts';
import type { AttemptOutcome, ConnectAttempt } from './tcp.ts';

/**
 * The connect probe through the native prober (apps/daemon/native, issue 12 "every core"): the same outcomes as
 * `connectAttempt` in tcp.ts, without a Node socket, its handle and its event objects per probe. A probe costs a few
 * system calls and one promise, so two cores start about twice as many probes per second as with net.Socket.
 *
 * The addon is built from source by `npm run build:native -w apps/daemon` (scripts/ensure-deps.sh runs it when a C
 * compiler is present). Where it is missing (the single-file daemon bundle, a machine without a compiler) or
 * `SCANOPY_NATIVE_CONNECT=0` is set, the scanner uses net.Socket: same results, lower top speed.
 */

interface NativeProber {
  readonly results: Int32Array;
  connect(ip: number, port: number, timeoutMs: number, localIp: number): number;
  cancel(id: number): void;
  close(): void;
}

interface NativeModule {
  Prober: new (onResults: (pairs: number) => void) => NativeProber;
}

const OPEN = 0;
const CLOSED = 1;
const TIMEOUT = 2;
const UNREACHABLE = 1000;
const ERROR = 2000;

const openOutcome: AttemptOutcome = Object.freeze({ kind: 'open' });
const closedOutcome: AttemptOutcome = Object.freeze({ kind: 'closed' });
const timeoutOutcome: AttemptOutcome = Object.freeze({ kind: 'timeout' });
const abortedOutcome: AttemptOutcome = Object.freeze({ kind: 'aborted' });

const errnoNames = new Map<number, string>(
  Object.entries(constants.errno).map(([name, value]) => [value as number, name]),
);
const errnoName = (n: number) => errnoNames.get(n) ?? `ERRNO_${n}`;

/** An outcome code of the addon as the scanner's outcome. */
export function outcomeOf(code: number): AttemptOutcome {
  switch (code) {
    case OPEN:
      return openOutcome;
    case CLOSED:
      return closedOutcome;
    case TIMEOUT:
      return timeoutOutcome;
  }
  if (code >= ERROR) return { kind: 'error', code: errnoName(code - ERROR) };
  if (code >= UNREACHABLE) return { kind: 'unreachable', code: errnoName(code - UNREACHABLE) };
  return { kind: 'error', code: `OUTCOME_${code}` };
}

/** Dotted IPv4 to its 32-bit value; null for anything else (IPv6 goes through net.Socket). */
export function ipv4ToUint(ip: string): number | null {
  const parts = ip.split('.');
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return null;
    const n = Number(part);
    if (n > 255) return null;
    value = value * 256 + n;
  }
  return value;
}

/** Where the built addon lives, from this file in the source tree (src/scanner → native/build/Release). */
const ADDON = fileURLToPath(new URL('../../native/build/Release/scanopy_connect.node', import.meta.url));

let loaded: NativeModule | null | undefined;
let loadError: string | null = null;

/** The addon, or null (with the reason in `nativeConnectStatus()`) when it is missing or switched off. */
function loadAddon(): NativeModule | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  if (process.env.SCANOPY_NATIVE_CONNECT === '0') loadError = 'switched off (SCANOPY_NATIVE_CONNECT=0)';
  else if (process.platform !== 'linux') loadError = `not built for ${process.platform}`;
  else if (!existsSync(ADDON)) loadError = 'not built (npm run build:native -w apps/daemon)';
  else {
    try {
      loaded = createRequire(import.meta.url)(ADDON) as NativeModule;
    } catch (err) {
      loadError = (err as Error).message;
    }
  }
  return loaded;
}

/** Which connect the scanner uses in this process, and why not the native one when it does not. */
export function nativeConnectStatus(): { native: boolean; reason: string | null } {
  const mod = loadAddon();
  return { native: mod !== null, reason: mod ? null : loadError };
}

/**
 * A connect probe over one native prober (one per thread that scans). Returns null when the addon is unavailable.
 * `fallback` serves what the addon does not (IPv6 targets or source addresses).
 */
export function createNativeConnectAttempt(fallback: ConnectAttempt): ConnectAttempt | null {
  const mod = loadAddon();
  if (!mod) return null;
  /** Per pending probe id: its promise's resolve and the signal it listens to. */
  const waiting: (((outcome: AttemptOutcome) => void) | undefined)[] = [];
  const signals: (AbortLike | undefined)[] = [];
  let pending = 0;
  const prober: NativeProber = new mod.Prober((pairs) => {
    const r = prober.results;
    for (let i = 0; i < pairs; i++) {
      const id = r[2 * i];
      const resolve = waiting[id];
      if (!resolve) continue;
      waiting[id] = undefined;
      signals[id] = undefined;
      pending--;
      resolve(outcomeOf(r[2 * i + 1]));
    }
  });
  const subscribed = new WeakSet<AbortLike>();
  /** A cancelled scan: its pending probes are closed at once (no SYN retransmits) and answer `aborted`. */
  const onAbort = (signal: AbortLike) => {
    if (pending === 0) return;
    for (let id = 0; id < waiting.length; id++) {
      const resolve = waiting[id];
      if (!resolve || signals[id] !== signal) continue;
      prober.cancel(id);
      waiting[id] = undefined;
      signals[id] = undefined;
      pending--;
      resolve(abortedOutcome);
    }
  };
  const addresses = new Map<string, number | null>();
  const address = (ip: string) => {
    let v = addresses.get(ip);
    if (v === undefined) {
      v = ipv4ToUint(ip);
      addresses.set(ip, v);
    }
    return v;
  };

  return (ip, port, options) => {
    const { signal, timeoutMs, localAddress } = options;
    if (signal?.aborted) return Promise.resolve(abortedOutcome);
    const target = address(ip);
    const local = localAddress ? address(localAddress) : 0;
    if (target === null || local === null) return fallback(ip, port, options);
    const id = prober.connect(target, port, timeoutMs, local);
    if (id < 0) return Promise.resolve(outcomeOf(-id - 1));
    if (signal && !subscribed.has(signal)) {
      subscribed.add(signal);
      signal.addEventListener('abort', () => onAbort(signal), { once: true });
    }
    pending++;
    signals[id] = signal;
    return new Promise<AttemptOutcome>((resolve) => {
      waiting[id] = resolve;
    });
  };
}

let shared: ConnectAttempt | undefined;

/**
 * The connect probe this thread's scans use by default: the native prober when it is available, else net.Socket.
 * One prober per thread (a scan worker loads this module in its own thread).
 */
export function defaultConnectAttempt(fallback: ConnectAttempt): ConnectAttempt {
  shared ??= createNativeConnectAttempt(fallback) ?? fallback;
  return shared;
}
