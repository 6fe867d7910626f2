import type { QueryClient } from '@tanstack/svelte-query';
import type { DiscoveryUpdatePayload } from '$lib/api/types.ts';
import { queryKeys } from '$lib/api/queries.ts';
import { ENTITY_QUERY_ROOTS, parseRealtimeMessage, type StaleMessage } from './events.ts';
import { throttle, type Throttled } from './throttle.ts';

const STREAM_URL = '/api/v1/events/stream';
/** Invalidations per query root: at most one a second (reference issue #424). */
const INVALIDATE_EVERY_MS = 1000;
/** A stream the browser closed (an HTTP error, the server gone) is reopened after 1, 2, 4 … 30 s, for ever. */
const MAX_RETRY_MS = 30_000;

type SessionListener = (session: DiscoveryUpdatePayload) => void;
type StaleListener = (message: StaleMessage) => void;

/**
 * The app's one EventSource: entity staleness and discovery progress. Started by the signed-in shell, stopped on
 * sign-out; an event marks the matching queries stale and refetches only the ones on screen (invalidateQueries only
 * refetches active queries), at most once a second per query root.
 */
class Realtime {
  connected = $state(false);
  private client: QueryClient | undefined;
  private source: EventSource | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private retries = 0;
  private opened = false;
  private throttled = true;
  private readonly perRoot = new Map<string, Throttled>();
  private readonly sessionListeners = new Set<SessionListener>();
  private readonly staleListeners = new Set<StaleListener>();
  private readonly onOnline = () => this.reconnectNow();

  /** Opens the stream for `client` (no-op when already open). `throttle: false` invalidates on every event. */
  start(client: QueryClient, options: { throttle?: boolean } = {}): void {
    if (this.client) return;
    this.client = client;
    this.throttled = options.throttle !== false;
    this.opened = false;
    this.retries = 0;
    window.addEventListener('online', this.onOnline);
    this.open();
  }

  /** Closes the stream and drops every pending invalidation and retry timer. */
  stop(): void {
    window.removeEventListener('online', this.onOnline);
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.source?.close();
    this.source = undefined;
    for (const t of this.perRoot.values()) t.cancel();
    this.perRoot.clear();
    this.client = undefined;
    this.connected = false;
  }

  /** Discovery progress for as long as the caller listens; returns the unsubscribe. */
  onSession(listener: SessionListener): () => void {
    this.sessionListeners.add(listener);
    return () => this.sessionListeners.delete(listener);
  }

  /** Raw staleness messages (the topology view uses them to know which network went stale). */
  onStale(listener: StaleListener): () => void {
    this.staleListeners.add(listener);
    return () => this.staleListeners.delete(listener);
  }

  /** How many invalidation timers exist (one per query root that ever received an event); for tests. */
  get pendingRoots(): number {
    return this.perRoot.size;
  }

  private open(): void {
    const es = new EventSource(STREAM_URL, { withCredentials: true });
    this.source = es;
    es.onopen = () => {
      this.connected = true;
      this.retries = 0;
      // Events may have been missed while disconnected: whatever is on screen is refetched once.
      if (this.opened) void this.client?.invalidateQueries({ predicate: (q) => !isSessionKey(q.queryKey) });
      this.opened = true;
    };
    es.onmessage = (event: MessageEvent<string>) => this.handle(event.data);
    es.onerror = () => {
      this.connected = false;
      // CONNECTING: the browser retries by itself. CLOSED: it gave up; so do we not.
      if (es.readyState !== EventSource.CLOSED || this.source !== es) return;
      const delay = Math.min(1000 * 2 ** this.retries++, MAX_RETRY_MS);
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        if (this.client) this.open();
      }, delay);
    };
  }

  private reconnectNow(): void {
    if (!this.client || this.connected) return;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.source?.close();
    this.retries = 0;
    this.open();
  }

  private handle(data: string): void {
    const message = parseRealtimeMessage(data);
    if (!message) return;
    if (message.type === 'session') {
      for (const l of this.sessionListeners) l(message.session);
      return;
    }
    for (const l of this.staleListeners) l(message);
    for (const root of ENTITY_QUERY_ROOTS[message.entity] ?? []) this.invalidate(root);
  }

  private invalidate(root: string): void {
    const client = this.client;
    if (!client) return;
    const run = () => void client.invalidateQueries({ queryKey: [root] });
    if (!this.throttled) return run();
    let t = this.perRoot.get(root);
    if (!t) {
      t = throttle(run, INVALIDATE_EVERY_MS);
      this.perRoot.set(root, t);
    }
    t();
  }
}

function isSessionKey(key: readonly unknown[]): boolean {
  return key[0] === queryKeys.me[0] || key[0] === queryKeys.config[0];
}

export const realtime = new Realtime();
