import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, registerOwner, startTestServer, type TestServer } from './harness.ts';
import { parseAllowList } from '../src/metrics/metrics.plugin.ts';
import type { Db, Kdb } from '../src/db/client.ts';
import type { EntityEvent } from '../src/events/bus.ts';
import { inTransaction, sqlRows } from './sql.ts';

const TOKEN = 'metrics-token-for-tests';

/** The value of one sample line, e.g. sample(text, 'x_total{a="b"}'); undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('metrics endpoint when no token is configured', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer('pglite');
  });
  afterAll(async () => s?.close());

  it('does not exist', async () => {
    for (const url of ['/metrics', '/api/metrics']) {
      const res = await s.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${TOKEN}` } });
      expect(res.statusCode, url).toBe(404);
    }
  });
});

describe.each(backends)('metrics on %s', (backend) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(backend, { metricsToken: TOKEN });
  });
  afterAll(async () => s?.close());

  const scrape = async (url = '/metrics') => {
    const res = await s.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.statusCode).toBe(200);
    return res.body;
  };

  it('requires the bearer token', async () => {
    for (const url of ['/metrics', '/api/metrics']) {
      const none = await s.app.inject({ method: 'GET', url });
      expect(none.statusCode, url).toBe(401);
      const wrong = await s.app.inject({ method: 'GET', url, headers: { authorization: 'Bearer nope' } });
      expect(wrong.statusCode, url).toBe(401);
      expect(wrong.json().code).toBe('auth_not_authenticated');
      const ok = await s.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${TOKEN}` } });
      expect(ok.statusCode, url).toBe(200);
      expect(ok.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    }
  });

  it('counts requests by route template and caller kind, with bounded path labels', async () => {
    const { client } = await registerOwner(s.app);
    for (let i = 0; i < 3; i++) await client.req('GET', `/api/v1/hosts/${randomUUID()}`);
    await s.app.inject({ method: 'GET', url: `/api/no-such-route/${randomUUID()}` });
    await s.app.inject({ method: 'GET', url: `/some/page/${randomUUID()}` });
    const text = await scrape();
    expect(
      sample(
        text,
        'http_requests_total{method="GET",path="/api/v1/hosts/:id",status="404",entity_type="user"}',
      ),
    ).toBe(3);
    expect(
      sample(text, 'http_requests_total{method="GET",path="unmatched",status="404",entity_type="anonymous"}'),
    ).toBe(1);
    expect(
      sample(text, 'http_requests_total{method="GET",path="static",status="404",entity_type="anonymous"}'),
    ).toBe(1);
    expect(sample(text, 'http_request_duration_seconds_count{method="GET",path="/api/v1/hosts/:id"}')).toBe(
      3,
    );
    // No raw ids in any label: paths are templates.
    expect(text).not.toMatch(/path="[^"]*[0-9a-f]{8}-[0-9a-f]{4}-/);
    expect(text).toContain('http_requests_in_flight');
    expect(text).toContain('process_cpu_user_seconds_total');
    // Earlier scrapes are counted too, as an external service.
    expect(text).toMatch(
      /http_requests_total\{method="GET",path="\/metrics",status="200",entity_type="external_service"\}/,
    );
  });

  it('counts entity events from the bus, once per event however many rows the write touched', async () => {
    const series = 'scanopy_events_total{entity="Subnet",operation="created"}';
    const { networkId } = await registerOwner(s.app);
    const ids = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const published = (id: string) =>
      new Promise<EntityEvent>((resolve) => {
        const off = s.app.bus.subscribe((e) => {
          if (e.ids.includes(id)) {
            off();
            resolve(e);
          }
        });
      });
    const insert = (on: Db | Kdb, id: string, octet: number) =>
      sqlRows(
        on,
        `INSERT INTO subnets (id, network_id, cidr, name, subnet_type, source)
         VALUES ($1, $2, $3, 'lan', 'Lan', '{"type":"Manual"}')`,
        [id, networkId, `10.88.${octet}.0/24`],
      );
    // Events arrive in commit order: once this one is seen, those of the registration have all been counted.
    const settled = published(ids[0]);
    await insert(s.db, ids[0], 0);
    await settled;
    const before = sample(await scrape('/api/metrics'), series) ?? 0;

    const mine = published(ids[1]);
    await inTransaction(s.db, async (tx) => {
      for (const [i, id] of ids.slice(1).entries()) await insert(tx, id, i + 1);
    });
    expect((await mine).ids).toEqual(ids.slice(1));
    expect(sample(await scrape('/api/metrics'), series)).toBe(before + 1);
  });
});

describe('metrics scraper identity and address allow-list', () => {
  let s: TestServer;
  beforeAll(async () => {
    // inject() requests come from 127.0.0.1 unless remoteAddress says otherwise.
    s = await startTestServer('pglite', { metricsToken: TOKEN, metricsAllowedIps: '10.77.0.0/16, ::1' });
  });
  afterAll(async () => s?.close());

  const get = (remoteAddress: string, headers: Record<string, string> = {}) =>
    s.app.inject({
      method: 'GET',
      url: '/metrics',
      remoteAddress,
      headers: { authorization: `Bearer ${TOKEN}`, ...headers },
    });

  it('answers listed addresses and refuses others with 403', async () => {
    expect((await get('10.77.3.4')).statusCode).toBe(200);
    expect((await get('::1')).statusCode).toBe(200);
    const outside = await get('127.0.0.1');
    expect(outside.statusCode).toBe(403);
    expect(outside.json().code).toBe('external_service_denied');
    // The token is checked first: a wrong token from a listed address is still 401.
    const wrong = await s.app.inject({
      method: 'GET',
      url: '/metrics',
      remoteAddress: '10.77.3.4',
      headers: { authorization: 'Bearer nope' },
    });
    expect(wrong.statusCode).toBe(401);
  });

  it('accepts X-Service-Name prometheus in any case and refuses other service names', async () => {
    expect((await get('10.77.3.4', { 'x-service-name': 'Prometheus' })).statusCode).toBe(200);
    expect((await get('10.77.3.4', { 'x-service-name': 'grafana' })).statusCode).toBe(403);
  });

  it('rejects a malformed allow-list at boot with the offending entry', () => {
    expect(() => parseAllowList('10.77.0.0/16, not-an-ip')).toThrow(/not-an-ip/);
    expect(() => parseAllowList('10.77.0.0/33')).toThrow(/10\.77\.0\.0\/33/);
    expect(parseAllowList(' ')).toBeUndefined();
  });
});
