import type { FastifyReply } from 'fastify';
import type { TSchema } from 'typebox';

/** Pieces of a page body are turned into bytes at this many characters (well under V8's 128 KiB, even two-byte). */
const CHUNK_CHARS = 32 * 1024;
const DATA_OPEN = '"data":[';

type Page = { [key: string]: unknown; data?: unknown };

/**
 * A serializer for a list page (`ListResponse(itemSchema)`, the route's 200 response) that produces the same bytes
 * as the route's own response serializer, built from the route's own serializers (Fastify's
 * `getSerializationFunction` / `compileSerializationSchema`, i.e. fast-json-stringify with the route's options).
 *
 * Why: the whole-page serializer returns one string. A string of 128 KiB or more is allocated in V8's large-object
 * space when it is flattened, which happens twice per response (Buffer.byteLength for Content-Length, then the socket
 * write of header + body), and each of those costs about 0.5 ms on the 2-core benchmark machine: a 148 KB hosts page
 * spent more Node time there than in building and running its queries. Here the envelope is serialized with an empty
 * `data`, each item with the item serializer, and the items are converted to bytes in pieces of at most CHUNK_CHARS;
 * a page that stays under one piece is returned as the very string the whole-page serializer would have built.
 */
export function pageSerializer(reply: FastifyReply, itemSchema: TSchema): (body: Page) => string {
  const envelope = reply.getSerializationFunction('200');
  if (!envelope) throw new Error('pageSerializer: the route declares no 200 response schema');
  // Compiled once per route (Fastify caches it by schema object).
  const item = reply.compileSerializationSchema(itemSchema as Page, '200');
  const serialize = (body: Page): string | Buffer => {
    const data = body.data as unknown[];
    const shell = envelope({ ...body, data: [] });
    const cut = shell.indexOf(`${DATA_OPEN}]`);
    if (cut < 0) throw new Error('pageSerializer: the envelope has no "data" array');
    let text = shell.slice(0, cut + DATA_OPEN.length);
    const pieces: string[] = [];
    for (let i = 0; i < data.length; i++) {
      if (i > 0) text += ',';
      text += item(data[i] as Page);
      if (text.length >= CHUNK_CHARS) {
        pieces.push(text);
        text = '';
      }
    }
    text += shell.slice(cut + DATA_OPEN.length);
    if (!pieces.length) return text;
    pieces.push(text);
    // One buffer of the exact size, each piece encoded straight into it (no intermediate buffers to concatenate).
    const sizes = pieces.map((p) => Buffer.byteLength(p));
    const out = Buffer.allocUnsafe(sizes.reduce((a, b) => a + b, 0));
    let at = 0;
    for (let i = 0; i < pieces.length; i++) at += out.write(pieces[i], at);
    return out;
  };
  // reply.serializer() is typed as returning a string, but what it returns goes down the same path as an onSend
  // hook's payload, which may be a Buffer (sent as is, Content-Length from its length).
  return serialize as (body: Page) => string;
}
