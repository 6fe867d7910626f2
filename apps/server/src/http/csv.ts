import { Readable, pipeline } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { stringify } from 'csv-stringify';
import { Type, type TSchema } from 'typebox';

type Row = Record<string, unknown>;

/** An export's query string: the list's filters; paging and ordering do not apply. */
export function exportQuery(filters: Record<string, TSchema>) {
  return Type.Object(Object.fromEntries(Object.entries(filters).map(([k, s]) => [k, Type.Optional(s)])));
}

/** OpenAPI description of a 200 that is a file, not the JSON envelope. */
export function fileResponse(contentType: string, description: string) {
  return { description, content: { [contentType]: { schema: { type: 'string' } } } };
}

/**
 * CSV text (header first, RFC 4180 quoting) of rows pulled on demand: the stringifier's buffer applies backpressure
 * to the row source, and destroying the output (client gone) stops the source.
 */
export function csvStream(columns: string[], rows: AsyncIterable<Row>): Readable {
  const out = stringify({
    header: true,
    columns,
    cast: { date: (d) => d.toISOString(), boolean: (b) => String(b) },
  });
  // pipeline destroys `out` with the error, which aborts the response mid-stream rather than truncating silently.
  pipeline(Readable.from(rows), out, () => undefined);
  return out;
}

export function sendFile(reply: FastifyReply, contentType: string, filename: string, body: Readable) {
  return reply
    .header('Content-Type', contentType)
    .header('Content-Disposition', `attachment; filename="${filename}"`)
    .send(body);
}
