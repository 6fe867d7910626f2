import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, registerOwner, startTestServer, type TestServer } from './harness.ts';

describe.each(backends)('list search and the subnet type filter on %s', (backend) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(backend);
  });
  afterAll(async () => s?.close());

  it('finds rows whose searchable columns contain the term, in the list and its CSV export', async () => {
    const { client, networkId } = await registerOwner(s.app);
    const add = (name: string, cidr: string, subnet_type: string) =>
      client.json('POST', '/api/v1/subnets', { network_id: networkId, cidr, name, subnet_type });
    await add('Office LAN', '10.20.1.0/24', 'Lan');
    await add('Guest Wi-Fi', '10.20.2.0/24', 'Guest');
    await add('Lab 100%_x', '10.30.0.0/16', 'Lan');

    const names = async (query: string) =>
      ((await client.json('GET', `/api/v1/subnets?network_id=${networkId}&${query}`)) as { name: string }[])
        .map((r) => r.name)
        .sort();
    expect(await names('search=office')).toEqual(['Office LAN']);
    // The CIDR is searchable too, and LIKE wildcards in the term are literal characters.
    expect(await names('search=10.20.')).toEqual(['Guest Wi-Fi', 'Office LAN']);
    expect(await names(`search=${encodeURIComponent('100%_')}`)).toEqual(['Lab 100%_x']);
    expect(await names(`search=${encodeURIComponent('%')}`)).toEqual(['Lab 100%_x']);
    expect(await names('subnet_type=Guest')).toEqual(['Guest Wi-Fi']);
    expect(await names('subnet_type=Lan&search=lab')).toEqual(['Lab 100%_x']);

    const csv = await s.app.inject({
      method: 'GET',
      url: `/api/v1/subnets/export/csv?network_id=${networkId}&search=wi-fi`,
      headers: { cookie: `session_id=${client.cookie}` },
    });
    expect(csv.statusCode).toBe(200);
    const rows = csv.body.trim().split('\n');
    expect(rows).toHaveLength(2);
    expect(rows[1]).toContain('Guest Wi-Fi');
  });

  it('refuses an unknown subnet type', async () => {
    const { client } = await registerOwner(s.app);
    const res = await s.app.inject({
      method: 'GET',
      url: '/api/v1/subnets?subnet_type=Nope',
      headers: { cookie: `session_id=${client.cookie}` },
    });
    expect(res.statusCode).toBe(400);
  });
});
