import http from 'node:http';
import type { FastifyInstance } from 'fastify';

/** A real EventSource-like client over node:http: collects the raw text and the parsed `data:` events. */
export class SseClient {
  text = '';
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- events are arbitrary JSON
  messages: any[] = [];
  ended = false;
  private constructor(
    readonly res: http.IncomingMessage,
    private readonly req: http.ClientRequest,
  ) {
    res.setEncoding('utf8');
    let pending = '';
    res.on('data', (chunk: string) => {
      this.text += chunk;
      pending += chunk;
      let cut: number;
      while ((cut = pending.indexOf('\n\n')) >= 0) {
        const block = pending.slice(0, cut);
        pending = pending.slice(cut + 2);
        const data = block
          .split('\n')
          .filter((l) => l.startsWith('data: '))
          .map((l) => l.slice(6));
        if (data.length) this.messages.push(JSON.parse(data.join('\n')));
      }
    });
    res.on('close', () => (this.ended = true));
  }

  static open(base: string, path: string, headers: Record<string, string> = {}): Promise<SseClient> {
    return new Promise((resolve, reject) => {
      const req = http.get(
        `${base}${path}`,
        { headers: { accept: 'text/event-stream', ...headers } },
        (res) => resolve(new SseClient(res, req)),
      );
      req.on('error', reject);
    });
  }

  get status(): number {
    return this.res.statusCode ?? 0;
  }

  close(): void {
    this.req.destroy();
  }
}

export async function listenLocal(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  if (!addr || typeof addr === 'string') throw new Error('no address');
  return `http://127.0.0.1:${addr.port}`;
}
