import http from 'node:http';
import type { Logger } from '../logger.ts';

/**
 * The daemon's own HTTP API. Only GET /api/health for now; the server_poll endpoints
 * (status, poll, first-contact, initiate, cancel) are not implemented yet.
 */
export function createDaemonHttpServer(deps: { version: string; logger: Logger }): http.Server {
  const meta = { api_version: 1, server_version: deps.version };
  const send = (res: http.ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  };
  return http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/api/health') {
      if (req.method === 'GET' || req.method === 'HEAD') {
        send(res, 200, { success: true, data: 'Scanopy Daemon Running', meta });
        return;
      }
      send(res, 405, { success: false, error: 'Method not allowed', meta });
      return;
    }
    deps.logger.debug({ method: req.method, path }, 'unknown daemon API route');
    send(res, 404, {
      success: false,
      error: `No route for ${req.method ?? 'GET'} ${path}`,
      code: 'route_not_found',
      meta,
    });
  });
}
