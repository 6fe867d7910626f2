import type { ServerResponse } from 'node:http';

export interface SseOptions {
  keepAliveMs: number;
  /** A client with more than this many bytes unsent is dropped: it reconnects and refetches. */
  maxBufferedBytes: number;
}

export const DEFAULT_MAX_BUFFERED_BYTES = 256 * 1024;

/**
 * One text/event-stream response written by hand: unnamed `data:` events and comment keep-alives. Memory per client
 * is bounded: writes never wait, and a client that cannot keep up is disconnected rather than buffered for.
 */
export class SseStream {
  private closed = false;
  private readonly timer: NodeJS.Timeout;
  private readonly cleanups: (() => void)[] = [];

  constructor(
    private readonly res: ServerResponse,
    private readonly opts: SseOptions,
  ) {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Content-Type-Options': 'nosniff',
      // Reverse proxies (nginx) would otherwise hold events back to fill their buffers.
      'X-Accel-Buffering': 'no',
    });
    res.write(': connected\n\n');
    this.timer = setInterval(() => this.write(': keep-alive\n\n'), opts.keepAliveMs);
    res.once('close', () => this.close());
  }

  get isClosed(): boolean {
    return this.closed;
  }

  onClose(fn: () => void): void {
    if (this.closed) fn();
    else this.cleanups.push(fn);
  }

  send(data: unknown): boolean {
    return this.write(`data: ${JSON.stringify(data)}\n\n`);
  }

  private write(chunk: string): boolean {
    if (this.closed) return false;
    if (this.res.writableLength + chunk.length > this.opts.maxBufferedBytes) {
      this.close(true);
      return false;
    }
    this.res.write(chunk);
    return true;
  }

  /** `abort` drops the connection with whatever is still buffered, instead of flushing it first. */
  close(abort = false): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    for (const fn of this.cleanups.splice(0)) fn();
    if (abort) this.res.destroy();
    else if (!this.res.writableEnded) this.res.end();
  }
}
