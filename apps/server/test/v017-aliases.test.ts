import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, Client, registerOwner, startTestServer, type TestServer } from './harness.ts';

// One server per backend for the whole file (each test registers its own owner, so tests never share rows).
describe.each(backends)('v0.17 aliases on %s', (backend) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(backend);
  });
  afterAll(async () => s?.close());

  const csv = async (c: Client, url: string) => {
    const res = await c.req('GET', url);
    expect(res.statusCode).toBe(200);
    return res.body.trim().split('\n');
  };

  describe('tags: is_application and description', () => {
    it('creates, reads, updates, sorts and exports the application flag; a v0.14 update keeps it', async () => {
      const { client } = await registerOwner(s.app);
      const plain = await client.json('POST', '/api/v1/tags', { name: 'plain', color: 'Blue' });
      expect(plain).toMatchObject({ is_application: false, description: null });
      const app = await client.json('POST', '/api/v1/tags', {
        name: 'Nextcloud',
        color: 'Green',
        is_application: true,
        description: 'file sync',
      });
      expect(app).toMatchObject({ is_application: true, description: 'file sync' });
      expect(await client.json('GET', `/api/v1/tags/${app.id}`)).toEqual(app);

      // A v0.14 client knows neither field of the pair: its PUT keeps the flag.
      const renamed = await client.json('PUT', `/api/v1/tags/${app.id}`, {
        name: 'Nextcloud 2',
        color: 'Red',
      });
      expect(renamed).toMatchObject({ name: 'Nextcloud 2', is_application: true, description: 'file sync' });
      const cleared = await client.json('PUT', `/api/v1/tags/${app.id}`, {
        ...renamed,
        is_application: false,
      });
      expect(cleared.is_application).toBe(false);
      const again = await client.json('PUT', `/api/v1/tags/${app.id}`, { ...cleared, is_application: true });
      expect(again.is_application).toBe(true);

      const order = async (dir: string) =>
        (
          (await client.json('GET', `/api/v1/tags?order_by=is_application&order_direction=${dir}`)) as {
            name: string;
          }[]
        ).map((t) => t.name);
      expect(await order('desc')).toEqual(['Nextcloud 2', 'plain']);
      expect(await order('asc')).toEqual(['plain', 'Nextcloud 2']);

      const rows = await csv(client, '/api/v1/tags/export/csv');
      expect(rows[0]).toBe('id,name,description,is_application,color,organization_id,created_at,updated_at');
      expect(rows.find((r) => r.includes('Nextcloud 2'))).toContain(',file sync,true,Red,');

      const bad = await client.req('POST', '/api/v1/tags', {
        name: 'x',
        color: 'Blue',
        is_application: 'yes',
      });
      expect(bad.statusCode).toBe(400);
      expect(bad.body).toContain('is_application');
    });
  });
});
