import { Readable, pipeline } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { stringify } from 'csv-stringify';
import { Type, type TSchema } from 'typebox';
import type { Queryable } from '../db/client.ts';
import type { Where } from './query.ts';

type Row = Record<string, unknown>;

/** How an entity is exported as CSV (api-model.md §4.4). Only the listed columns leave the server. */
export interface CsvSpec {
  /** Plural display name; the download is `<file>.csv`. */
  file: string;
  /** Header row, in order. */
  columns: string[];
  /** SQL over alias `t` for columns that are not plainly `t.<column>`. */
  exprs?: Record<string, string>;
}

export const EXPORT_BATCH = 1000;

export function csvSelect(spec: CsvSpec): string {
  return spec.columns.map((c) => (spec.exprs?.[c] ? `${spec.exprs[c]} AS ${c}` : `t.${c}`)).join(', ');
}

/** An export's query string: the list's filters; paging and ordering do not apply. */
export function exportQuery(filters: Record<string, TSchema>) {
  return Type.Object(Object.fromEntries(Object.entries(filters).map(([k, s]) => [k, Type.Optional(s)])));
}

/** OpenAPI description of a 200 that is a file, not the JSON envelope. */
export function fileResponse(contentType: string, description: string) {
  return { description, content: { [contentType]: { schema: { type: 'string' } } } };
}

/**
 * Rows of `from` (aliased `t`) in (created_at, id) order, fetched in keyset batches: memory stays flat however many
 * rows match, and each batch is a short query, so PGlite's single connection is never held by one export.
 * `where` builds a fresh WHERE each time because the cursor adds parameters to it.
 */
export async function* keysetRows(
  db: Queryable,
  from: string,
  select: string,
  where: () => Where,
  batch = EXPORT_BATCH,
): AsyncGenerator<Row> {
  let after: { at: string; id: string } | undefined;
  for (;;) {
    const w = where();
    if (after) {
      const at = w.param(after.at);
      const id = w.param(after.id);
      // The plain bound lets an index on created_at narrow the scan; the row comparison breaks ties by id.
      w.add(
        `t.created_at >= ${at}::timestamptz AND (t.created_at, t.id) > (${at}::timestamptz, ${id}::uuid)`,
      );
    }
    // The cursor travels as text: a JS Date drops the microseconds the comparison needs.
    const rows = await db.query<Row>(
      `SELECT ${select}, t.created_at::text AS keyset_at, t.id AS keyset_id FROM ${from} ${w.sql()}
       ORDER BY t.created_at, t.id LIMIT ${batch}`,
      w.params,
    );
    yield* rows;
    if (rows.length < batch) return;
    const last = rows[rows.length - 1];
    after = { at: last.keyset_at as string, id: last.keyset_id as string };
  }
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
