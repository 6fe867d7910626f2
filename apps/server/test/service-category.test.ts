import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, registerOwner, startTestServer, type TestServer } from './harness.ts';

describe.each(backends)('the services list category filter on %s', (backend) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(backend);
  });
  afterAll(async () => s?.close());

  it('filters services by the category of their definition, one or several, in the list and its CSV', async () => {
    const { client, networkId } = await registerOwner(s.app);
    const host = (await client.json('POST', '/api/v1/hosts', {
      name: 'server',
      network_id: networkId,
      tags: [],
    })) as { id: string };
    const add = (name: string, service_definition: string) =>
      client.json('POST', '/api/v1/services', {
        host_id: host.id,
        network_id: networkId,
        name,
        service_definition,
        tags: [],
      });
    await add('dns', 'Pi-Hole');
    await add('resolver', 'Unbound DNS');
    await add('files', 'MinIO');
    await add('homegrown', 'Our own thing');

    const names = async (query: string) =>
      ((await client.json('GET', `/api/v1/services?network_id=${networkId}&${query}`)) as { name: string }[])
        .map((r) => r.name)
        .sort();
    expect(await names('category=DNS')).toEqual(['resolver']);
    expect(await names('category=DNS&category=AdBlock')).toEqual(['dns', 'resolver']);
    expect(await names('category=Storage&search=fil')).toEqual(['files']);
    // A definition outside the catalog is Unknown, as the topology counts it.
    expect(await names('category=Unknown')).toEqual(['homegrown']);

    const csv = await s.app.inject({
      method: 'GET',
      url: `/api/v1/services/export/csv?network_id=${networkId}&category=DNS&category=Storage`,
      headers: { cookie: `session_id=${client.cookie}` },
    });
    expect(csv.statusCode).toBe(200);
    const [header, ...rows] = csv.body.trim().split(/\r?\n/);
    const at = header!.split(',').indexOf('name');
    expect(rows.map((r) => r.split(',')[at]).sort()).toEqual(['files', 'resolver']);
  });

  it('refuses an unknown category', async () => {
    const { client } = await registerOwner(s.app);
    const res = await s.app.inject({
      method: 'GET',
      url: '/api/v1/services?category=Nope',
      headers: { cookie: `session_id=${client.cookie}` },
    });
    expect(res.statusCode).toBe(400);
  });
});
