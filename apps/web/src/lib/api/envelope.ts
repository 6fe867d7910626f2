import type { ApiMeta, PaginationMeta } from './types.ts';

/** A failed API call: the server's message and code when the envelope had them, else a generic one. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string | undefined;
  readonly params: Record<string, unknown> | undefined;

  constructor(message: string, status: number, code?: string, params?: Record<string, unknown>) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.params = params;
  }
}

export interface Unwrapped<T> {
  data: T;
  meta: ApiMeta & { pagination?: PaginationMeta };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/**
 * Turns an HTTP status and parsed body into the envelope's data, or throws an ApiError. Bodies that are not an
 * envelope (a proxy's HTML error page, an empty 502) still become an ApiError with the status, never a TypeError.
 */
export function unwrapEnvelope<T>(status: number, body: unknown): Unwrapped<T> {
  if (isRecord(body) && body.success === true && status < 400) {
    return { data: body.data as T, meta: body.meta as Unwrapped<T>['meta'] };
  }
  if (isRecord(body) && body.success === false && typeof body.error === 'string') {
    const code = typeof body.code === 'string' ? body.code : undefined;
    const params = isRecord(body.params) ? body.params : undefined;
    throw new ApiError(body.error, status, code, params);
  }
  const reason =
    status >= 500 || status === 0 ? 'the server is unreachable or failed' : 'unexpected response';
  throw new ApiError(`Request failed (HTTP ${status}): ${reason}`, status);
}

/** Query string with repeated keys for arrays (`ids=a&ids=b`), as the server expects; undefined is dropped. */
export function toQueryString(query: Record<string, unknown> | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) {
      for (const item of value) params.append(key, String(item));
    } else {
      params.append(key, String(value));
    }
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}
