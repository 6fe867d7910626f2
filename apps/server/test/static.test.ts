import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerOwner, startTestServer, type TestServer } from './harness.ts';

describe('web UI serving', () => {
  let s: TestServer;
  beforeAll(async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'scanopy-web-'));
    mkdirSync(path.join(dir, '_app'));
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>Scanopy</title>');
    writeFileSync(path.join(dir, '_app', 'app.js'), 'console.log(1)');
    s = await startTestServer('pglite', { webDir: dir });
  });
  afterAll(async () => s?.close());

  it('serves the SPA for client-side routes and its assets as files', async () => {
    const page = await s.app.inject({ url: '/hosts' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('<title>Scanopy</title>');
    // A page whose path merely starts with "api" is still a page.
    const keys = await s.app.inject({ url: '/api-keys?page=2' });
    expect(keys.statusCode).toBe(200);
    expect(keys.body).toContain('<title>Scanopy</title>');
    const asset = await s.app.inject({ url: '/_app/app.js' });
    expect(asset.body).toBe('console.log(1)');
    expect((await s.app.inject({ url: '/_app/missing.js' })).statusCode).toBe(404);
  });

  it("serves a share's page with the share's frame-ancestors, so only allowed sites can frame it", async () => {
    const { client, networkId } = await registerOwner(s.app);
    const [topology] = await client.json<{ id: string }[]>('GET', `/api/v1/topology?network_id=${networkId}`);
    const create = (allowed_domains: string[]) =>
      client.json<{ id: string }>('POST', '/api/v1/shares', {
        share: { topology_id: topology.id, network_id: networkId, name: 'wall', allowed_domains },
      });
    const limited = await create(['wiki.example.com', '*.corp.example']);
    const page = await s.app.inject({ url: `/share/${limited.id}` });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<title>Scanopy</title>');
    expect(page.headers['content-security-policy']).toBe(
      'frame-ancestors wiki.example.com:* *.corp.example:* corp.example:*',
    );
    // No allow-list: anyone may embed it.
    const open = await create([]);
    expect((await s.app.inject({ url: `/share/${open.id}` })).headers['content-security-policy']).toBe(
      'frame-ancestors *',
    );
    // An unknown or malformed id still gets the page (it shows its own error), without a policy to look up.
    for (const id of [randomUUID(), 'not-a-uuid']) {
      const other = await s.app.inject({ url: `/share/${id}` });
      expect(other.statusCode).toBe(200);
      expect(other.headers['content-security-policy']).toBeUndefined();
    }
  });

  it('keeps unknown API paths a 404 in the envelope', async () => {
    const r = await s.app.inject({ url: '/api/v1/nothing-here' });
    expect(r.statusCode).toBe(404);
    expect(r.json()).toMatchObject({ success: false, code: 'route_not_found' });
  });
});
