import http from 'node:http';
import type { Logger } from '../logger.ts';
import { DaemonHttpError, type ServerPollLink } from './server-poll.ts';

/** Bodies the server sends (entities-created echoes whole hosts); larger ones are refused. */
const MAX_BODY_BYTES = 32 * 1024 * 1024;

type Handler = (body: unknown) => unknown;

/**
 * The daemon's own HTTP API (daemon.md §2.2). GET /api/health always; in server_poll mode also the endpoints the
 * server calls, each behind a Bearer check of the daemon's key: status, first-contact, poll, entities-created,
 * discovery/initiate and discovery/cancel. Authentication failures are plain-text 401s, as the reference answers.
 */
export function createDaemonHttpServer(deps: {
  version: string;
  logger: Logger;
  serverPoll?: ServerPollLink | null;
}): http.Server {
  const meta = { api_version: 1, server_version: deps.version };
  const send = (res: http.ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  };
  const fail = (res: http.ServerResponse, status: number, error: string, code: string) =>
    send(res, status, { success: false, error, code, meta });

  const link = deps.serverPoll;
  const routes = new Map<string, Handler>(
    link
      ? [
          ['GET /api/status', () => link.status()],
          ['POST /api/first-contact', (b) => link.firstContact(b)],
          ['GET /api/poll', () => link.poll()],
          ['POST /api/discovery/entities-created', (b) => link.entitiesCreated(b)],
          ['POST /api/discovery/initiate', (b) => link.initiate(b)],
          ['POST /api/discovery/cancel', (b) => link.cancel(b)],
        ]
      : [],
  );

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    const method = req.method ?? 'GET';
    if (path === '/api/health') {
      if (method === 'GET' || method === 'HEAD') {
        send(res, 200, { success: true, data: 'Scanopy Daemon Running', meta });
      } else fail(res, 405, 'Method not allowed', 'method_not_allowed');
      return;
    }
    const handler = routes.get(`${method} ${path}`);
    if (!handler || !link) {
      deps.logger.debug({ method, path }, 'unknown daemon API route');
      fail(res, 404, `No route for ${method} ${path}`, 'route_not_found');
      return;
    }
    if (!link.authorize(req.headers.authorization)) {
      req.resume();
      res.writeHead(401, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('Unauthorized');
      return;
    }
    let body: unknown;
    if (method === 'POST') {
      const text = await readBody(req);
      if (text === null) {
        fail(res, 413, `Body larger than ${MAX_BODY_BYTES} bytes`, 'payload_too_large');
        return;
      }
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        fail(res, 400, 'Body is not valid JSON', 'validation_failed');
        return;
      }
    }
    try {
      send(res, 200, { success: true, data: (await handler(body)) ?? null, meta });
    } catch (err) {
      if (err instanceof DaemonHttpError) {
        fail(res, err.status, err.message, err.code);
        return;
      }
      deps.logger.error({ err: (err as Error).message, path }, 'daemon API handler failed');
      fail(res, 500, 'Internal error', 'internal_error');
    }
  };

  return http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      deps.logger.error({ err: (err as Error).message }, 'daemon API request failed');
      if (!res.headersSent) fail(res, 500, 'Internal error', 'internal_error');
      else res.destroy();
    });
  });
}

/** The request body as text, or null when it is over the limit. */
async function readBody(req: http.IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
