import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerConfig } from '../config.ts';
import { meta } from './envelope.ts';
import { AppError } from './errors.ts';

export interface Verdict {
  allowed: boolean;
  /** Requests that may be made at once (the burst). */
  limit: number;
  remaining: number;
  /** Seconds until the bucket is full again. */
  resetSeconds: number;
  /** Seconds until the next request fits (only meaningful when refused). */
  retryAfterSeconds: number;
}

/**
 * GCRA (a token bucket kept as one number per key): each key stores the theoretical arrival time (TAT) of its next
 * request. A key whose TAT is in the past has a full bucket, so dropping it loses nothing; that is how memory stays
 * bounded. Reusable for any per-key attempt limit (login, share passwords).
 */
export class RateLimiter {
  private readonly tat = new Map<string, number>();
  private readonly intervalMs: number;
  private readonly toleranceMs: number;
  private lastSweep = 0;

  constructor(
    perMinute: number,
    readonly burst: number,
    private readonly maxKeys = 50_000,
  ) {
    this.intervalMs = 60_000 / perMinute;
    this.toleranceMs = this.intervalMs * burst;
  }

  get size(): number {
    return this.tat.size;
  }

  take(key: string, now = Date.now()): Verdict {
    this.sweep(now);
    const tat = Math.max(this.tat.get(key) ?? now, now);
    const next = tat + this.intervalMs;
    const allowed = next - now <= this.toleranceMs;
    const stored = allowed ? next : tat;
    if (allowed) {
      // Re-inserting keeps Map order roughly least-recently-used first, for the overflow eviction below.
      this.tat.delete(key);
      this.tat.set(key, next);
    }
    return {
      allowed,
      limit: this.burst,
      remaining: Math.max(0, Math.floor((this.toleranceMs - (stored - now)) / this.intervalMs)),
      resetSeconds: Math.max(0, Math.ceil((stored - now) / 1000)),
      retryAfterSeconds: Math.max(1, Math.ceil((next - now - this.toleranceMs) / 1000)),
    };
  }

  /** Gives back the token of an attempt that turned out fine (e.g. a correct password), so only failures count. */
  refund(key: string, now = Date.now()): void {
    const tat = this.tat.get(key);
    if (tat === undefined) return;
    if (tat - this.intervalMs <= now) this.tat.delete(key);
    else this.tat.set(key, tat - this.intervalMs);
  }

  /** Drops full buckets now and then; when idle keys are not enough (a flood of distinct keys), the oldest go. */
  private sweep(now: number): void {
    if (this.tat.size < this.maxKeys && now - this.lastSweep < 60_000) return;
    this.lastSweep = now;
    for (const [k, t] of this.tat) if (t <= now) this.tat.delete(k);
    for (const k of this.tat.keys()) {
      if (this.tat.size < this.maxKeys) break;
      this.tat.delete(k);
    }
  }
}

export function setRateHeaders(reply: FastifyReply, v: Verdict): void {
  void reply.header('X-RateLimit-Limit', String(v.limit));
  void reply.header('X-RateLimit-Remaining', String(v.remaining));
  void reply.header('X-RateLimit-Reset', String(v.resetSeconds));
}

/** Takes one token for the key; throws the 429 (Retry-After comes from the error handler) when none is left. */
export function enforce(limiter: RateLimiter, key: string, reply: FastifyReply): Verdict {
  const v = limiter.take(key);
  setRateHeaders(reply, v);
  if (!v.allowed) throw new AppError('rate_limit_exceeded', { seconds: v.retryAfterSeconds });
  return v;
}

/** Login attempts per client IP, on top of the per-account lockout in account.service.ts. */
const LOGIN_PER_MINUTE = 20;
const LOGIN_BURST = 10;

// Static data the UI loads on every start, like /api/config (api-model.md §4.5).
const exemptPaths = new Set(['/api/health', '/api/config', '/api/metadata']);

function limitedPath(req: FastifyRequest): boolean {
  const path = req.url.split('?')[0];
  return path.startsWith('/api/') && !exemptPaths.has(path) && !!req.routeOptions.config?.access;
}

/**
 * Who a request counts against: a user (session or any of their API keys share one budget, so minting keys does not
 * multiply it), or the client IP when anonymous. Daemons are exempt: a fleet reports in bursts by design.
 */
function bucketKey(req: FastifyRequest): string | undefined {
  const p = req.principal;
  if (!p) return `ip:${req.ip}`;
  if (p.kind === 'daemon') return undefined;
  return `user:${p.userId}`;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set once the request has been counted, so the failed-auth path does not count it twice. */
    rateCounted?: boolean;
  }
}

/**
 * Per-principal rate limiting. Installed after the auth hook (app.ts), so the principal is known when the request is
 * counted; @fastify/rate-limit keys requests before our hook runs, hence this small limiter.
 */
export async function installRateLimit(app: FastifyInstance, deps: { config: ServerConfig }) {
  const { rateLimitPerMinute, rateLimitBurst } = deps.config;
  if (rateLimitPerMinute === 0) return;
  const general = new RateLimiter(rateLimitPerMinute, rateLimitBurst);
  const logins = new RateLimiter(LOGIN_PER_MINUTE, LOGIN_BURST);

  app.addHook('onRequest', async (req, reply) => {
    if (!limitedPath(req)) return;
    const key = bucketKey(req);
    if (!key) return;
    req.rateCounted = true;
    enforce(general, key, reply);
    if (req.method === 'POST' && req.routeOptions.url === '/api/auth/login') {
      const v = logins.take(`ip:${req.ip}`);
      if (!v.allowed) throw new AppError('rate_limit_exceeded', { seconds: v.retryAfterSeconds });
    }
  });

  // A request the auth hook refused never reached the hook above; it still costs the caller's IP a token, so bad
  // credentials cannot be tried without limit.
  app.addHook('onSend', async (req, reply, payload) => {
    if (req.rateCounted || reply.statusCode !== 401 || !limitedPath(req)) return payload;
    req.rateCounted = true;
    const v = general.take(`ip:${req.ip}`);
    setRateHeaders(reply, v);
    if (v.allowed) return payload;
    const err = new AppError('rate_limit_exceeded', { seconds: v.retryAfterSeconds });
    void reply.code(429).header('Retry-After', String(v.retryAfterSeconds));
    return JSON.stringify({ success: false, error: err.message, code: err.code, meta: meta() });
  });
}
