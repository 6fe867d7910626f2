/** A structured error answer from the server: the envelope's `error`, `code` and `params`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string | undefined,
    readonly params: Record<string, unknown> | undefined,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The request never got a usable answer: refused, reset, timed out, or a proxy's non-envelope 5xx. */
export class TransportError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransportError';
  }
}

export function isApiError(err: unknown, code?: string): err is ApiError {
  return err instanceof ApiError && (code === undefined || err.code === code);
}

export function isTransportError(err: unknown): err is TransportError {
  return err instanceof TransportError;
}

export interface ApiClientOptions {
  baseUrl: string;
  apiKey: string | null;
  daemonId: string;
  version: string;
  /** Total time for one request including the body (the reference uses 30 s). */
  timeoutMs?: number;
}

export const REQUEST_TIMEOUT_MS = 30_000;

const FRIENDLY: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'DNS lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'connect timed out',
  UND_ERR_SOCKET: 'socket closed',
};

/**
 * HTTP client for the daemon → server protocol over the global fetch. The connect timeout is
 * undici's default of 10 s (the reference's value); the total timeout is an abort signal.
 */
export class ApiClient {
  private readonly timeoutMs: number;

  constructor(private readonly options: ApiClientOptions) {
    this.timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS;
  }

  get daemonId(): string {
    return this.options.daemonId;
  }

  get baseUrl(): string {
    return this.options.baseUrl;
  }

  post<T>(path: string, body: unknown, signal?: AbortSignal): Promise<T> {
    return this.request<T>('POST', path, body, signal);
  }

  get<T>(path: string, signal?: AbortSignal): Promise<T> {
    return this.request<T>('GET', path, undefined, signal);
  }

  async request<T>(method: string, path: string, body: unknown, signal?: AbortSignal): Promise<T> {
    const url = this.options.baseUrl.replace(/\/+$/, '') + path;
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'X-Daemon-ID': this.options.daemonId,
      'X-Daemon-Version': this.options.version,
    };
    if (this.options.apiKey) headers.Authorization = `Bearer ${this.options.apiKey}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;

    let status: number;
    let text: string;
    try {
      const res = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: combined,
      });
      status = res.status;
      text = await res.text();
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      throw new TransportError(`${method} ${url} failed: ${describeFetchError(err, this.timeoutMs)}`, {
        cause: err,
      });
    }
    return parseEnvelope<T>(status, text, `${method} ${path}`);
  }
}

function describeFetchError(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return `no answer within ${timeoutMs / 1000} s`;
  const code = e.cause?.code;
  if (code) return FRIENDLY[code] ? `${FRIENDLY[code]} (${code})` : code;
  return e.cause?.message ?? e.message ?? String(err);
}

interface Envelope {
  success?: unknown;
  data?: unknown;
  error?: unknown;
  code?: unknown;
  params?: unknown;
}

/** Unwraps `{success, data}` or raises the envelope's error with its code and params. */
export function parseEnvelope<T>(status: number, text: string, what: string): T {
  let json: Envelope | undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && 'success' in parsed) json = parsed as Envelope;
  } catch {
    json = undefined;
  }
  if (!json) {
    const snippet = text.slice(0, 200).trim();
    // A gateway or proxy answering while the server restarts: worth retrying like a refused connect.
    if (status === 502 || status === 503 || status === 504) {
      throw new TransportError(`${what}: HTTP ${status}${snippet ? ` ${snippet}` : ''}`);
    }
    throw new ApiError(
      status,
      `${what}: HTTP ${status} without an API envelope${snippet ? `: ${snippet}` : ''}`,
      undefined,
      undefined,
    );
  }
  if (json.success === true && status >= 200 && status < 300) return json.data as T;
  const message = typeof json.error === 'string' ? json.error : `HTTP ${status}`;
  const code = typeof json.code === 'string' ? json.code : undefined;
  const params =
    typeof json.params === 'object' && json.params !== null
      ? (json.params as Record<string, unknown>)
      : undefined;
  throw new ApiError(status, `${what}: ${message}`, code, params);
}
