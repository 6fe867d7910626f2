import type { Session } from './api/discovery.ts';
import { parseSessionEvent } from './discovery.ts';

const STREAM_URL = '/api/v1/discovery/stream';
/** After the browser gives up (a refused or failed stream), retry 1, 2, 4, 8, 16 s later, then stop. */
const MAX_RETRIES = 5;

export interface StreamHandlers {
  onSession: (session: Session) => void;
  /** Each (re)connect: events may have been missed meanwhile, so the caller refetches its snapshot. */
  onOpen?: () => void;
}

/**
 * The discovery SSE stream for as long as the calling component is mounted (call during initialisation). The browser
 * reconnects a dropped stream by itself; a stream it closed (HTTP error) is reopened with backoff a few times.
 */
export function useDiscoveryStream(handlers: StreamHandlers): { readonly connected: boolean } {
  let connected = $state(false);
  $effect(() => {
    let source: EventSource | undefined;
    let retryTimer: ReturnType<typeof setTimeout> | undefined;
    let retries = 0;
    let stopped = false;

    const open = () => {
      const es = new EventSource(STREAM_URL, { withCredentials: true });
      source = es;
      es.onopen = () => {
        connected = true;
        retries = 0;
        handlers.onOpen?.();
      };
      es.onmessage = (event: MessageEvent<string>) => {
        const session = parseSessionEvent(event.data);
        if (session) handlers.onSession(session);
      };
      es.onerror = () => {
        connected = false;
        if (es.readyState !== EventSource.CLOSED || stopped || retries >= MAX_RETRIES) return;
        retryTimer = setTimeout(open, 1000 * 2 ** retries++);
      };
    };
    open();

    return () => {
      stopped = true;
      if (retryTimer !== undefined) clearTimeout(retryTimer);
      source?.close();
      connected = false;
    };
  });
  return {
    get connected() {
      return connected;
    },
  };
}
