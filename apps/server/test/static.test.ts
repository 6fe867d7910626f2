import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './harness.ts';

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

  it('keeps unknown API paths a 404 in the envelope', async () => {
    const r = await s.app.inject({ url: '/api/v1/nothing-here' });
    expect(r.statusCode).toBe(404);
    expect(r.json()).toMatchObject({ success: false, code: 'route_not_found' });
  });
});
