import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A tiny real HTTP server on 127.0.0.1 that plays the server side of the daemon protocol in unit
 * tests. Each test supplies the routing; the server records every request it saw.
 */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

export type Reply = { status: number; body: unknown; raw?: boolean } | 'hang';
export type Handler = (req: RecordedRequest) => Reply | Promise<Reply>;

const meta = { api_version: 1, server_version: '0.1.0' };
export const ok = (data: unknown): Reply => ({ status: 200, body: { success: true, data, meta } });
export const fail = (
  status: number,
  code: string,
  error = code,
  params?: Record<string, unknown>,
): Reply => ({
  status,
  body: { success: false, error, code, ...(params ? { params } : {}), meta },
});

export interface ProtocolServer {
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Requests whose path matches, in arrival order. */
  calls(pathPattern: RegExp): RecordedRequest[];
  close(): Promise<void>;
}

export async function startProtocolServer(handler: Handler, port = 0): Promise<ProtocolServer> {
  const requests: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
        body: text ? (JSON.parse(text) as unknown) : undefined,
      };
      requests.push(recorded);
      Promise.resolve(handler(recorded))
        .then((reply) => {
          if (reply === 'hang') return;
          const payload = reply.raw ? String(reply.body) : JSON.stringify(reply.body);
          res.writeHead(reply.status, { 'Content-Type': reply.raw ? 'text/plain' : 'application/json' });
          res.end(payload);
        })
        .catch((err: Error) => {
          res.writeHead(500);
          res.end(err.message);
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const actualPort = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actualPort}`,
    port: actualPort,
    requests,
    calls: (pattern) => requests.filter((r) => pattern.test(r.path)),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Resolves once `predicate` holds, polling every 20 ms; the test's own timeout bounds it. */
export async function until(predicate: () => boolean): Promise<void> {
  while (!predicate()) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
