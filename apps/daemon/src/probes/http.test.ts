import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HTTP_PER_PORT_CONCURRENCY,
  httpConcurrency,
  probeHttpEndpoint,
  randomProbePath,
  scanCatchAll,
  scanHttpEndpoints,
  selectEndpoints,
} from './http.ts';

/**
 * Plain-HTTP behaviour over loopback. HTTPS (self-signed certificates, TLS-first ports, a TLS port
 * answering plain HTTP with 400) is covered by test/probes.netns.test.ts, which has openssl certificates.
 */

const requests: string[] = [];
const offsiteRequests: string[] = [];
let port = 0;
let offsitePort = 0;
const open: net.Socket[] = [];
let main: http.Server;
let offsite: http.Server;

beforeAll(async () => {
  offsite = http.createServer((req, res) => {
    offsiteRequests.push(req.url ?? '');
    res.end('elsewhere');
  });
  // 127.0.0.2 is another loopback address: a different host as far as the redirect rule is concerned.
  await new Promise<void>((resolve) => offsite.listen(0, '127.0.0.2', resolve));
  offsitePort = (offsite.address() as net.AddressInfo).port;

  main = http.createServer((req, res) => {
    const url = req.url ?? '';
    requests.push(url);
    switch (url) {
      case '/':
        res.setHeader('X-Powered-By', 'Lab');
        res.setHeader('Set-Cookie', ['a=1', 'b=2']);
        res.end('<title>Lab home</title>');
        return;
      case '/redirect':
        res.writeHead(302, { Location: '/final' }).end();
        return;
      case '/absolute':
        res.writeHead(301, { Location: `http://127.0.0.1:${port}/final?from=abs` }).end();
        return;
      case '/offsite':
        res.writeHead(302, { Location: `http://127.0.0.2:${offsitePort}/` }).end('moved');
        return;
      case '/loop':
        res.writeHead(307, { Location: '/loop' }).end();
        return;
      case '/big':
        res.end(Buffer.alloc(200 * 1024, 'x'));
        return;
      case '/partial':
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.write('first part;');
        open.push(req.socket); // never ends
        return;
      case '/hang':
        open.push(req.socket); // never answers
        return;
      case '/bad':
        res.writeHead(400).end('bad request');
        return;
      default:
        res.writeHead(404).end('missing');
    }
  });
  await new Promise<void>((resolve) => main.listen(0, '127.0.0.1', resolve));
  port = (main.address() as net.AddressInfo).port;
});

afterAll(async () => {
  for (const s of open) s.destroy();
  main.closeAllConnections();
  offsite.closeAllConnections();
  await Promise.all([main, offsite].map((s) => new Promise((resolve) => s.close(resolve))));
});

describe('HTTP endpoint probe', () => {
  it('records status, lowercased headers and body of the first scheme that answers', async () => {
    const r = await probeHttpEndpoint('127.0.0.1', { port, path: '/' });
    expect(r).toMatchObject({
      endpoint: { port, path: '/' },
      scheme: 'http',
      url: `http://127.0.0.1:${port}/`,
      status: 200,
      body: '<title>Lab home</title>',
    });
    expect(r?.headers['x-powered-by']).toBe('Lab');
    expect(r?.headers['set-cookie']).toBe('a=1, b=2');
    expect(Object.keys(r?.headers ?? {}).every((k) => k === k.toLowerCase())).toBe(true);
  });

  it('keeps a 404 (any status wins)', async () => {
    expect((await probeHttpEndpoint('127.0.0.1', { port, path: '/nothing' }))?.status).toBe(404);
  });

  it('follows relative and absolute redirects to the same host and stores the final response', async () => {
    const rel = await probeHttpEndpoint('127.0.0.1', { port, path: '/redirect' });
    expect(rel).toMatchObject({
      endpoint: { path: '/redirect' },
      status: 404,
      url: `http://127.0.0.1:${port}/final`,
    });
    const abs = await probeHttpEndpoint('127.0.0.1', { port, path: '/absolute' });
    expect(abs?.url).toBe(`http://127.0.0.1:${port}/final?from=abs`);
  });

  it('never follows a redirect to another address', async () => {
    const r = await probeHttpEndpoint('127.0.0.1', { port, path: '/offsite' });
    expect(r).toMatchObject({ status: 302, body: 'moved' });
    expect(r?.headers.location).toBe(`http://127.0.0.2:${offsitePort}/`);
    expect(offsiteRequests).toEqual([]);
  });

  it('stops a redirect loop after the limit and returns the last 3xx', async () => {
    const before = requests.filter((u) => u === '/loop').length;
    const r = await probeHttpEndpoint('127.0.0.1', { port, path: '/loop' });
    expect(r?.status).toBe(307);
    expect(requests.filter((u) => u === '/loop').length - before).toBe(11); // first request + 10 redirects
  });

  it('caps the body and keeps a body cut short by the deadline', async () => {
    const big = await probeHttpEndpoint('127.0.0.1', { port, path: '/big' }, { maxBodyBytes: 1000 });
    expect(big?.body).toBe('x'.repeat(1000));
    const partial = await probeHttpEndpoint('127.0.0.1', { port, path: '/partial' }, { timeoutMs: 200 });
    expect(partial).toMatchObject({ status: 200, body: 'first part;' });
  });

  it('gives null when neither scheme answers in time, or when aborted', async () => {
    expect(await probeHttpEndpoint('127.0.0.1', { port, path: '/hang' }, { timeoutMs: 200 })).toBeNull();
    const controller = new AbortController();
    const pending = probeHttpEndpoint(
      '127.0.0.1',
      { port, path: '/hang' },
      { signal: controller.signal, timeoutMs: 600_000 },
    );
    setTimeout(() => controller.abort(), 20);
    expect(await pending).toBeNull();
  });

  it('holds a 400 back for the other scheme and returns it when that one fails', async () => {
    const r = await probeHttpEndpoint('127.0.0.1', { port, path: '/bad' });
    expect(r).toMatchObject({ status: 400, scheme: 'http', body: 'bad request' });
  });
});

describe('endpoint selection and scan', () => {
  it('de-duplicates, restricts to given ports and skips raw printer ports unless asked', () => {
    const endpoints = [
      { port: 80, path: '/' },
      { port: 80, path: '/' },
      { port: 80, path: '/api' },
      { port: 9100, path: '/' },
      { port: 9107, path: '/' },
      { port: 9108, path: '/' },
      { port: 8080, path: '/' },
    ];
    expect(selectEndpoints(endpoints)).toEqual([
      { port: 80, path: '/' },
      { port: 80, path: '/api' },
      { port: 9108, path: '/' },
      { port: 8080, path: '/' },
    ]);
    expect(selectEndpoints(endpoints, { ports: new Set([80, 9100]), probeRawSocketPorts: true })).toEqual([
      { port: 80, path: '/' },
      { port: 80, path: '/api' },
      { port: 9100, path: '/' },
    ]);
  });

  it('runs min(batch ÷ 2, 50) at a time', () => {
    expect(httpConcurrency(200)).toBe(50);
    expect(httpConcurrency(60)).toBe(30);
    expect(httpConcurrency(1)).toBe(1);
  });

  it('returns the endpoints that answered, in endpoint order', async () => {
    const results = await scanHttpEndpoints(
      '127.0.0.1',
      [
        { port, path: '/' },
        { port, path: '/hang' },
        { port, path: '/redirect' },
      ],
      { batchSize: 4, timeoutMs: 200 },
    );
    expect(results.map((r) => [r.endpoint.path, r.status])).toEqual([
      ['/', 200],
      ['/redirect', 404],
    ]);
  });
});

describe('closed ports', () => {
  it('cost one connection attempt per port: no other scheme, no other path after a refusal', async () => {
    // A port nothing listens on (bound, then released).
    const closed = await new Promise<number>((resolve) => {
      const srv = net.createServer();
      srv.listen(0, '127.0.0.1', () => {
        const p = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    let attempts = 0;
    const before = requests.length;
    const results = await scanHttpEndpoints(
      '127.0.0.1',
      [
        { port: closed, path: '/a' },
        { port: closed, path: '/' },
        { port: closed, path: '/b' },
        { port, path: '/' },
        { port, path: '/redirect' },
      ],
      {
        batchSize: 4,
        timeoutMs: 500,
        pace: async () => {
          attempts++;
        },
      },
    );
    expect(results.map((r) => [r.endpoint.port, r.endpoint.path])).toEqual([
      [port, '/'],
      [port, '/redirect'],
    ]);
    // One attempt for the closed port, one per path on the open one (plain HTTP answered; redirects are not paced).
    expect(attempts).toBe(3);
    expect(requests.slice(before).sort()).toEqual(['/', '/final', '/redirect']);
  });
});

describe('catch-all check', () => {
  it('asks each port that answered a path other than "/" for a new random path, once', async () => {
    expect(randomProbePath()).toMatch(/^\/scanopy-[0-9a-f]{16}$/);
    expect(randomProbePath()).not.toBe(randomProbePath());
    const answered = await scanHttpEndpoints(
      '127.0.0.1',
      [
        { port, path: '/' },
        { port, path: '/redirect' },
        { port, path: '/big' },
      ],
      { batchSize: 4, timeoutMs: 500 },
    );
    const before = requests.length;
    const random = await scanCatchAll('127.0.0.1', answered, { batchSize: 4, timeoutMs: 500 });
    const asked = requests.slice(before);
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatch(/^\/scanopy-[0-9a-f]{16}$/);
    expect(random.map((r) => [r.endpoint.port, r.endpoint.path, r.status])).toEqual([[port, asked[0], 404]]);
    // Only the root page answered: nothing to check.
    expect(await scanCatchAll('127.0.0.1', answered.slice(0, 1), { batchSize: 4 })).toEqual([]);
  });
});

describe('endpoint probes on a one-worker server', () => {
  it('keep at most HTTP_PER_PORT_CONCURRENCY requests on one port, the root page first', async () => {
    let inFlight = 0;
    let most = 0;
    const order: string[] = [];
    const slow = http.createServer((req, res) => {
      order.push(req.url ?? '');
      most = Math.max(most, ++inFlight);
      setTimeout(() => {
        inFlight--;
        res.end('ok');
      }, 20);
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    const slowPort = (slow.address() as net.AddressInfo).port;
    try {
      const paths = [...Array.from({ length: 11 }, (_, i) => `/p${i}`), '/'];
      const results = await scanHttpEndpoints(
        '127.0.0.1',
        paths.map((path) => ({ port: slowPort, path })),
        { batchSize: 200, timeoutMs: 2000 },
      );
      expect(results.map((r) => r.endpoint.path)).toEqual(paths);
      expect(order[0]).toBe('/');
      expect(most).toBe(HTTP_PER_PORT_CONCURRENCY);
    } finally {
      slow.close();
    }
  });
});
