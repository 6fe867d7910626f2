import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiDelete, apiGet, ApiError } from './client.ts';

/** A real server on loopback: each path answers 429 (with the given Retry-After) a number of times, then 200. */
const seen: { path: string; method: string; at: number }[] = [];
const plan = new Map<string, { refusals: number; retryAfter: string }>();
let base = '';
const server = http.createServer((req, res) => {
  const path = req.url ?? '';
  seen.push({ path, method: req.method ?? '', at: Date.now() });
  const p = plan.get(path);
  if (p && p.refusals > 0) {
    p.refusals--;
    res.writeHead(429, { 'content-type': 'application/json', 'retry-after': p.retryAfter });
    res.end(
      JSON.stringify({
        success: false,
        error: `Rate limit exceeded. Try again in ${p.retryAfter} seconds.`,
        meta: { server_version: 'test' },
      }),
    );
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ success: true, data: { path }, meta: { server_version: 'test' } }));
});

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((r) => server.close(r)));

const calls = (path: string) => seen.filter((s) => s.path === path);

describe('API client and rate limits', () => {
  it('waits out a short Retry-After and sends the request again, for any method', async () => {
    plan.set('/get', { refusals: 1, retryAfter: '1' });
    await expect(apiGet(`${base}/get`)).resolves.toEqual({ path: '/get' });
    const got = calls('/get');
    expect(got).toHaveLength(2);
    expect(got[1].at - got[0].at).toBeGreaterThanOrEqual(950);

    plan.set('/del', { refusals: 1, retryAfter: '0' });
    await expect(apiDelete(`${base}/del`)).resolves.toEqual({ path: '/del' });
    expect(calls('/del').map((c) => c.method)).toEqual(['DELETE', 'DELETE']);
  });

  it('reports a long wait, and a limit that keeps refusing, as the server said it', async () => {
    plan.set('/long', { refusals: 1, retryAfter: '60' });
    const long = await apiGet(`${base}/long`).catch((e: unknown) => e);
    expect(long).toBeInstanceOf(ApiError);
    expect((long as ApiError).message).toBe('Rate limit exceeded. Try again in 60 seconds.');
    expect(calls('/long')).toHaveLength(1);

    plan.set('/busy', { refusals: 10, retryAfter: '0' });
    const busy = await apiGet(`${base}/busy`).catch((e: unknown) => e);
    expect(busy).toBeInstanceOf(ApiError);
    expect(calls('/busy')).toHaveLength(3);
  });
});
