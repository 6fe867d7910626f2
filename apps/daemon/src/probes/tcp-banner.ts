import net from 'node:net';

/**
 * What a freshly connected TCP port says on its own in the first moments (daemon.md §4.2): a banner
 * (SSH, SMTP, FTP, Redis errors…) for the matcher, or an immediate clean close, which the reference
 * reads as "likely TLS" (some TLS servers drop a client that does not start a handshake), so the HTTP
 * probe tries https first.
 */

export const PEEK_WAIT_MS = 50;
export const BANNER_MAX_BYTES = 256;
/** Ports flagged TLS whatever the peek saw. */
export const ALWAYS_TLS_PORTS: ReadonlySet<number> = new Set([443, 8443, 9443, 10443]);

export interface PeekResult {
  /** The peer closed cleanly (FIN, no data) within the wait, or the port is one of ALWAYS_TLS_PORTS. */
  likelyTls: boolean;
  /** Bytes received within the wait, at most `maxBytes`, decoded as latin1 (one char per byte); null if none. */
  banner: string | null;
}

export interface PeekOptions {
  waitMs?: number;
  maxBytes?: number;
  signal?: AbortSignal;
}

/**
 * Watches an already connected socket for `waitMs`. Bytes mean "not TLS" (keeps collecting until the
 * wait ends or `maxBytes` arrive); a 0-byte clean close means "likely TLS"; silence or a reset mean
 * neither. The socket is left to the caller, which should destroy it.
 */
export function peekConnected(socket: net.Socket, port: number, opts: PeekOptions = {}): Promise<PeekResult> {
  const maxBytes = opts.maxBytes ?? BANNER_MAX_BYTES;
  const alwaysTls = ALWAYS_TLS_PORTS.has(port);
  // A reset arriving after the peek must not crash the process when the caller has no error listener.
  if (socket.listenerCount('error') === 0) socket.on('error', () => undefined);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let done = false;
    const finish = (closedClean: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', onError);
      socket.off('close', onClose);
      opts.signal?.removeEventListener('abort', onAbort);
      socket.pause();
      const banner = received > 0 ? Buffer.concat(chunks).subarray(0, maxBytes).toString('latin1') : null;
      resolve({ likelyTls: alwaysTls || (closedClean && received === 0), banner });
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      if (received >= maxBytes) finish(false);
    };
    const onEnd = () => finish(true);
    // Swallowed here on purpose: a reset during the peek is an answer ("not TLS"), not a failure.
    const onError = () => finish(false);
    const onClose = (hadError: boolean) => finish(!hadError);
    const onAbort = () => finish(false);
    const timer = setTimeout(() => finish(false), opts.waitMs ?? PEEK_WAIT_MS);
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('error', onError);
    socket.once('close', onClose);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    socket.resume();
  });
}

export interface ConnectPeekOptions extends PeekOptions {
  connectTimeoutMs?: number;
}

export type ConnectPeekResult = { open: false; refused: boolean } | ({ open: true } & PeekResult);

/**
 * Connect, peek, close: a standalone single-port probe (the scanner has its own paced connect loop
 * and calls peekConnected on its sockets). `refused` tells a RST apart from a timeout or an error.
 */
export function connectAndPeek(
  ip: string,
  port: number,
  opts: ConnectPeekOptions = {},
): Promise<ConnectPeekResult> {
  return new Promise((resolve) => {
    if (opts.signal?.aborted) {
      resolve({ open: false, refused: false });
      return;
    }
    const socket = net.connect({ host: ip, port });
    let settled = false;
    const fail = (refused: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve({ open: false, refused });
    };
    const onAbort = () => fail(false);
    const timer = setTimeout(() => fail(false), opts.connectTimeoutMs ?? 800);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      // A reset (not a refusal) means the handshake completed and the peer dropped us at once.
      if (err.code === 'ECONNRESET' && !settled) {
        settled = true;
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        socket.destroy();
        resolve({ open: true, likelyTls: ALWAYS_TLS_PORTS.has(port), banner: null });
        return;
      }
      fail(err.code === 'ECONNREFUSED');
    });
    socket.once('connect', () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      socket.removeAllListeners('error');
      // Errors after the peek (e.g. a late RST) must not crash the process.
      socket.on('error', () => undefined);
      void peekConnected(socket, port, opts).then((peek) => {
        socket.destroy();
        resolve({ open: true, ...peek });
      });
    });
  });
}
