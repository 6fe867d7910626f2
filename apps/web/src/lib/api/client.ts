import { ApiError, toQueryString, unwrapEnvelope, type Unwrapped } from './envelope.ts';
import type { PaginationMeta } from './types.ts';

export { ApiError } from './envelope.ts';

export type Query = Record<string, string | number | boolean | string[] | undefined>;

export interface Page<T> {
  items: T[];
  pagination: PaginationMeta;
}

/** Waits the server asks for (Retry-After) that the client sits out by itself, and how many tries in all. */
const MAX_RATE_LIMIT_WAIT_MS = 5_000;
const RATE_LIMIT_ATTEMPTS = 3;

/** Retry-After in ms (its seconds form), or null when absent or unreadable. */
function retryAfterMs(res: Response): number | null {
  const value = res.headers.get('Retry-After');
  if (value === null || !/^\d+$/.test(value.trim())) return null;
  return Number(value.trim()) * 1000;
}

async function request<T>(
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  query?: Query,
  body?: unknown,
): Promise<Unwrapped<T>> {
  // Only send a JSON content type with a body: Fastify rejects an empty body declared as JSON.
  const init: RequestInit = { method, credentials: 'include', headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    init.headers = { ...init.headers, 'Content-Type': 'application/json' };
    init.body = JSON.stringify(body);
  }
  let res: Response;
  for (let attempt = 1; ; attempt++) {
    try {
      res = await fetch(`${path}${toQueryString(query)}`, init);
    } catch {
      throw new ApiError('Cannot reach the Scanopy server. Check your connection and try again.', 0);
    }
    // A 429 was refused before anything ran, so any method may be sent again: a short wait the server asks for is
    // waited out here (a quick burst of clicks should not end in an error); a long one is reported.
    const wait = retryAfterMs(res);
    if (
      res.status !== 429 ||
      wait === null ||
      wait > MAX_RATE_LIMIT_WAIT_MS ||
      attempt >= RATE_LIMIT_ATTEMPTS
    )
      break;
    await res.body?.cancel();
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // Left undefined: unwrapEnvelope reports a non-JSON answer with its status.
  }
  return unwrapEnvelope<T>(res.status, parsed);
}

export async function apiGet<T>(path: string, query?: Query): Promise<T> {
  return (await request<T>('GET', path, query)).data;
}

export async function apiPost<T>(path: string, body?: unknown): Promise<T> {
  return (await request<T>('POST', path, undefined, body)).data;
}

export async function apiPut<T>(path: string, body?: unknown): Promise<T> {
  return (await request<T>('PUT', path, undefined, body)).data;
}

export async function apiDelete<T = null>(path: string): Promise<T> {
  return (await request<T>('DELETE', path)).data;
}

/** The URL of a download (CSV export) with the same query-string rules as the API calls. */
export function apiUrl(path: string, query?: Query): string {
  return `${path}${toQueryString(query)}`;
}

/** A paginated list; the envelope's meta.pagination drives the page controls. */
export async function apiList<T>(path: string, query?: Query): Promise<Page<T>> {
  const { data, meta } = await request<T[]>('GET', path, query);
  const pagination = meta.pagination ?? {
    total_count: data.length,
    limit: 0,
    offset: 0,
    has_more: false,
  };
  return { items: data, pagination };
}
