import { afterEach, describe, expect, it } from 'vitest';
import { fail, ok, startProtocolServer, type ProtocolServer } from '../../test/support/protocol-server.ts';
import { ApiClient, ApiError, TransportError } from './api-client.ts';

const DAEMON_ID = '3b0f6a52-1c2d-4e5f-8a9b-0c1d2e3f4a5b';
let server: ProtocolServer | null = null;

afterEach(async () => {
  await server?.close();
  server = null;
});

const client = (baseUrl: string, timeoutMs?: number) =>
  new ApiClient({ baseUrl, apiKey: 'scp_d_secret', daemonId: DAEMON_ID, version: '1.2.3', timeoutMs });

describe('ApiClient', () => {
  it('sends the daemon headers and unwraps the envelope data', async () => {
    server = await startProtocolServer(() =>
      ok({ server_version: '0.1.0', minimum_daemon_version: '0.1.0' }),
    );
    const data = await client(server.url).post('/api/daemons/x/startup', { daemon_version: '1.2.3' });
    expect(data).toEqual({ server_version: '0.1.0', minimum_daemon_version: '0.1.0' });
    const [req] = server.requests;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/api/daemons/x/startup');
    expect(req.body).toEqual({ daemon_version: '1.2.3' });
    expect(req.headers.authorization).toBe('Bearer scp_d_secret');
    expect(req.headers['x-daemon-id']).toBe(DAEMON_ID);
    expect(req.headers['x-daemon-version']).toBe('1.2.3');
    expect(req.headers['content-type']).toBe('application/json');
  });

  it('surfaces the error envelope code and params', async () => {
    server = await startProtocolServer(() =>
      fail(404, 'entity_not_found', 'Daemon not found', { entity: 'Daemon', id: DAEMON_ID }),
    );
    const err = await client(server.url)
      .post('/api/daemons/x/request-work', {})
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({
      status: 404,
      code: 'entity_not_found',
      params: { entity: 'Daemon', id: DAEMON_ID },
    });
    expect((err as ApiError).message).toBe('POST /api/daemons/x/request-work: Daemon not found');
  });

  it('treats a proxy 502 without an envelope as a transport failure, other plain answers as API errors', async () => {
    server = await startProtocolServer((req) =>
      req.path === '/bad-gateway'
        ? { status: 502, body: 'Bad Gateway', raw: true }
        : { status: 401, body: 'Unauthorized', raw: true },
    );
    await expect(client(server.url).get('/bad-gateway')).rejects.toBeInstanceOf(TransportError);
    const err = await client(server.url)
      .get('/plain')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 401, code: undefined });
  });

  it('reports a refused connection as a transport failure', async () => {
    const gone = await startProtocolServer(() => ok(null));
    const url = gone.url;
    await gone.close();
    const err = await client(url)
      .get('/api/health')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as Error).message).toMatch(/connection refused \(ECONNREFUSED\)/);
  });

  it('gives up on a server that never answers after the total timeout', async () => {
    server = await startProtocolServer(() => 'hang');
    const err = await client(server.url, 200)
      .get('/api/health')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as Error).message).toMatch(/no answer within 0.2 s/);
  });

  it('stops at once when the caller aborts, without calling it a transport failure', async () => {
    server = await startProtocolServer(() => 'hang');
    const controller = new AbortController();
    const pending = client(server.url).get('/api/health', controller.signal);
    controller.abort(new Error('stopping'));
    await expect(pending).rejects.toThrow('stopping');
  });
});
