import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostResponse } from '@scanopy/contracts';
import { hostResponse } from '../../../packages/contracts/src/test-fixtures.ts';
import { page } from '../src/http/envelope.ts';
import { pageSerializer } from '../src/http/page-serializer.ts';
import { ListResponse } from '../src/http/schemas.ts';

// The list routes serialize pages item by item (page-serializer.ts); the bytes must be the ones the route's own
// response serializer (fast-json-stringify over the whole ListResponse) produces.
describe('pageSerializer', () => {
  const app = Fastify();
  let rows: unknown[] = [];

  beforeAll(async () => {
    const schema = { response: { 200: ListResponse(HostResponse) } };
    app.get('/whole', { schema }, async () => page(rows, 10_000, 50, 0));
    app.get('/paged', { schema }, async (_req, reply) => {
      void reply.type('application/json; charset=utf-8').serializer(pageSerializer(reply, HostResponse));
      return page(rows, 10_000, 50, 0);
    });
    await app.ready();
  });
  afterAll(() => app.close());

  const host = (i: number) => ({
    ...hostResponse(),
    // Dates as the database returns them, a field the schema does not name (dropped), text that needs escaping.
    created_at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
    description: `host "${i}"\n\u00e9\u4e2d`,
    not_in_schema: i,
  });

  it.each([
    ['an empty page', 0],
    ['a small page (one piece, returned as a string)', 3],
    ['a page over 128 KiB (several pieces, returned as bytes)', 150],
  ])('%s gives the bytes and headers of the whole-page serializer', async (_name, n) => {
    rows = Array.from({ length: n }, (_, i) => host(i));
    const whole = await app.inject({ method: 'GET', url: '/whole' });
    const paged = await app.inject({ method: 'GET', url: '/paged' });
    expect(whole.statusCode).toBe(200);
    expect(paged.statusCode).toBe(200);
    expect(paged.rawPayload.equals(whole.rawPayload)).toBe(true);
    expect(paged.headers['content-type']).toBe(whole.headers['content-type']);
    expect(paged.headers['content-length']).toBe(whole.headers['content-length']);
    if (n === 150) expect(whole.rawPayload.length).toBeGreaterThan(128 * 1024);
  });
});
