import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import type { DiscoveryHostRequest, Subnet } from '@scanopy/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import {
  fail,
  ok,
  startProtocolServer,
  type Handler,
  type ProtocolServer,
} from '../../test/support/protocol-server.ts';
import { ApiClient, ApiError, TransportError } from '../link/api-client.ts';
import { ServerApi, type DiscoverySink } from '../link/server-api.ts';
import { createLogger } from '../logger.ts';
import { newSubnet } from './entities.ts';
import { isRetryableEntityError, ReliableSink } from './reliable-sink.ts';

const NETWORK_ID = randomUUID();
const FAST = { initialMs: 5, maxMs: 20, maxAttempts: 5 };

let server: ProtocolServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

/** A ReliableSink over the real HTTP client against a loopback server, with its log lines captured. */
async function reliableSink(handler: Handler) {
  server = await startProtocolServer(handler);
  const inner = new ServerApi(
    new ApiClient({ baseUrl: server.url, apiKey: 'scp_d_k', daemonId: randomUUID(), version: '0.1.0' }),
  );
  const logs: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  const sink = new ReliableSink(inner, { policy: FAST, log: createLogger('debug', stream) });
  return { sink, logs, server };
}

const subnet = (cidr: string): Subnet =>
  newSubnet({ networkId: NETWORK_ID, cidr, subnet_type: 'Lan', metadata: [] });

const cidrOf = (body: unknown) => (body as Subnet).cidr;

describe('reliable sink', () => {
  it('creates every subnet even when one is rejected, and retries the one the server could not store yet', async () => {
    let flaky = 0;
    const { sink, logs, server } = await reliableSink((req) => {
      const cidr = cidrOf(req.body);
      if (cidr === '10.0.2.0/24') return fail(400, 'validation_failed', 'rejected for this test');
      if (cidr === '10.0.3.0/24' && flaky++ < 2) return { status: 503, body: 'restarting', raw: true };
      return ok({ ...(req.body as Subnet), id: `stored-${cidr}` });
    });
    const results = await sink.createSubnets(
      [subnet('10.0.1.0/24'), subnet('10.0.2.0/24'), subnet('10.0.3.0/24')],
      new AbortController().signal,
    );

    expect(results.map((r) => (r.status === 'fulfilled' ? r.value.id : 'rejected'))).toEqual([
      'stored-10.0.1.0/24',
      'rejected',
      'stored-10.0.3.0/24',
    ]);
    const rejected = results[1] as PromiseRejectedResult;
    expect(rejected.reason).toBeInstanceOf(ApiError);
    // A 4xx about the data is not retried; the 503s are, until the server stores the subnet.
    const tries = (cidr: string) =>
      server.calls(/^\/api\/v1\/subnets$/).filter((r) => cidrOf(r.body) === cidr);
    expect(tries('10.0.1.0/24')).toHaveLength(1);
    expect(tries('10.0.2.0/24')).toHaveLength(1);
    expect(tries('10.0.3.0/24')).toHaveLength(3);
    expect(logs.filter((l) => l.msg === 'subnet create failed; retrying')).toEqual([
      expect.objectContaining({ cidr: '10.0.3.0/24', attempt: 1, retry_in_ms: 5 }),
      expect.objectContaining({ cidr: '10.0.3.0/24', attempt: 2, retry_in_ms: 10 }),
    ]);
    expect(logs.filter((l) => l.msg === 'subnet stored').map((l) => l.cidr)).toEqual([
      '10.0.1.0/24',
      '10.0.3.0/24',
    ]);
    expect(logs.find((l) => l.msg === 'subnet could not be created')).toMatchObject({ cidr: '10.0.2.0/24' });
  });

  it('gives up after the policy’s attempts, with delays doubling up to the cap', async () => {
    const { sink, logs, server } = await reliableSink(() => fail(500, 'internal_error'));
    await expect(sink.createSubnet(subnet('10.0.9.0/24'))).rejects.toMatchObject({ status: 500 });
    expect(server.calls(/^\/api\/v1\/subnets$/)).toHaveLength(5);
    expect(logs.map((l) => l.retry_in_ms)).toEqual([5, 10, 20, 20]);
  });

  it('retries a host report the server rate-limited, and returns what the server stored', async () => {
    let limited = true;
    const { sink, server } = await reliableSink((req) => {
      if (limited) {
        limited = false;
        return fail(429, 'rate_limited');
      }
      const body = req.body as DiscoveryHostRequest;
      return ok({ ...body.host, interfaces: [], ports: [], services: [], if_entries: [] });
    });
    const hostId = randomUUID();
    const stored = await sink.createHost({
      host: {
        id: hostId,
        created_at: new Date().toISOString(),
        updated_at: new Date().toISOString(),
        name: 'h',
        hostname: null,
        description: null,
        network_id: NETWORK_ID,
        source: { type: 'Discovery', metadata: [] },
        virtualization: null,
        hidden: false,
        tags: [],
      },
      interfaces: [],
      ports: [],
      services: [],
    });
    expect(stored.id).toBe(hostId);
    expect(server.calls(/^\/api\/v1\/hosts\/discovery$/)).toHaveLength(2);
  });

  it('stops retrying and throws the reason when the session is cancelled', async () => {
    const controller = new AbortController();
    const { sink, server } = await reliableSink(() => {
      controller.abort(new Error('cancelled by the server'));
      return { status: 503, body: 'busy', raw: true };
    });
    await expect(
      sink.createSubnets([subnet('10.0.1.0/24'), subnet('10.0.2.0/24')], controller.signal),
    ).rejects.toThrow('cancelled by the server');
    expect(server.calls(/^\/api\/v1\/subnets$/).length).toBeLessThanOrEqual(2);
  });

  it('offers listSubnets only where the wrapped sink has it', async () => {
    const { sink } = await reliableSink((req) =>
      req.path.startsWith('/api/v1/subnets?') ? ok([subnet('10.0.1.0/24')]) : ok(null),
    );
    expect((await sink.listSubnets!(NETWORK_ID)).map((s) => s.cidr)).toEqual(['10.0.1.0/24']);
    const bare: DiscoverySink = {
      createSubnet: (s) => Promise.resolve(s),
      createHost: () => Promise.reject(new Error('unused')),
      updateCapabilities: () => Promise.resolve(),
      updateSession: () => Promise.resolve(),
    };
    expect(new ReliableSink(bare, { log: createLogger('silent') }).listSubnets).toBeUndefined();
  });

  it('retries transport errors, 5xx and 429 only', () => {
    expect(isRetryableEntityError(new TransportError('connection refused'))).toBe(true);
    expect(isRetryableEntityError(new ApiError(503, 'x', 'internal_error', undefined))).toBe(true);
    expect(isRetryableEntityError(new ApiError(429, 'x', 'rate_limited', undefined))).toBe(true);
    expect(isRetryableEntityError(new ApiError(400, 'x', 'validation_failed', undefined))).toBe(false);
    expect(isRetryableEntityError(new ApiError(404, 'x', 'entity_not_found', undefined))).toBe(false);
    expect(isRetryableEntityError(new Error('plain'))).toBe(false);
  });
});
