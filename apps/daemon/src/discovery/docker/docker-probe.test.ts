import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inContainerProbeCommand, parseHttpOutput } from './docker-probe.ts';

describe('parseHttpOutput', () => {
  it('reads status, lowercased headers and body of a raw response', () => {
    const out =
      'HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n<h1>hi</h1>\n';
    expect(parseHttpOutput(out)).toEqual({
      status: 200,
      headers: { 'content-type': 'text/html', 'set-cookie': 'a=1, b=2' },
      body: '<h1>hi</h1>\n',
    });
  });

  it('keeps the last response after redirects and 100-continue, as curl -i -L prints them', () => {
    const out =
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 302 Found\r\nLocation: /next\r\n\r\n' +
      'HTTP/1.1 200 OK\r\nServer: x\r\n\r\nfinal';
    expect(parseHttpOutput(out)).toEqual({ status: 200, headers: { server: 'x' }, body: 'final' });
  });

  it('starts a new response at each status line when blocks follow each other without a blank line', () => {
    const out = 'HTTP/1.1 301 Moved\nLocation: /a\nHTTP/1.1 404 Not Found\nX-Thing: 1\n\n';
    expect(parseHttpOutput(out)).toEqual({ status: 404, headers: { 'x-thing': '1' }, body: '' });
  });

  it('accepts a bare status line and leaves a 3xx body that is not a response alone', () => {
    expect(parseHttpOutput('HTTP/1.0 204 No Content')).toEqual({ status: 204, headers: {}, body: '' });
    expect(parseHttpOutput('HTTP/1.1 301 Moved\r\n\r\nHTTP/ is a protocol')?.status).toBe(301);
  });

  it('rejects output that is not an HTTP response', () => {
    expect(parseHttpOutput('')).toBeNull();
    expect(
      parseHttpOutput('curl: (7) Failed to connect to 127.0.0.1 port 80: Connection refused'),
    ).toBeNull();
    expect(parseHttpOutput('<html>HTTP/1.1 200 OK</html>')).toBeNull();
  });
});

/**
 * The in-container script run with real clients against a real server on 127.0.0.1, each time with a
 * PATH that offers only the client under test, as a minimal image would.
 */
const tools: Record<string, string | null> = {
  curl: firstExisting('/usr/bin/curl', '/bin/curl'),
  gnuWget: firstExisting('/usr/bin/wget', '/bin/wget'),
  busybox: firstExisting('/usr/bin/busybox', '/bin/busybox'),
  python3: firstExisting('/usr/bin/python3', '/bin/python3'),
  bash: firstExisting('/usr/bin/bash', '/bin/bash'),
};

function firstExisting(...candidates: string[]): string | null {
  return candidates.find((c) => existsSync(c)) ?? null;
}

describe('the in-container probe script', () => {
  let server: http.Server;
  let port = 0;
  let dir = '';
  let closedPort = 0;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'scanopy-probe-'));
    server = http.createServer((req, res) => {
      if (req.url === '/old') {
        res.writeHead(302, { Location: '/new' });
        res.end('moved');
      } else if (req.url === '/new' || req.url === '/') {
        res.writeHead(200, { 'Content-Type': 'text/html', 'X-Powered-By': 'Lab' });
        res.end('<title>Home Assistant</title>');
      } else {
        res.writeHead(404, { 'Content-Type': 'text/plain' });
        res.end('not here');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    const spare = http.createServer();
    await new Promise<void>((resolve) => spare.listen(0, '127.0.0.1', resolve));
    closedPort = (spare.address() as AddressInfo).port;
    await new Promise((resolve) => spare.close(resolve));
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs the script with a PATH holding exactly `links` (name → binary), under `shell`. */
  function run(
    name: string,
    links: Record<string, string>,
    probePort: number,
    probePath: string,
    shell: readonly string[] = ['/bin/sh'],
  ): Promise<{ code: number | null; out: string }> {
    const bin = path.join(dir, name);
    mkdirSync(bin);
    for (const [link, target] of Object.entries(links)) symlinkSync(target, path.join(bin, link));
    const [, flag, script, ...args] = inContainerProbeCommand(probePort, probePath);
    return new Promise((resolve, reject) => {
      const child = spawn(shell[0], [...shell.slice(1), flag, script, ...args], {
        env: { PATH: bin, HOME: dir },
      });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (out += c.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, out }));
    });
  }

  const helpers = (): Record<string, string> =>
    tools.busybox
      ? { mktemp: tools.busybox, rm: tools.busybox, timeout: tools.busybox }
      : { mktemp: '/usr/bin/mktemp', rm: '/usr/bin/rm' };

  it.skipIf(!tools.curl)('uses curl, following a redirect to the final page', async () => {
    const { code, out } = await run('curl', { curl: tools.curl!, ...helpers() }, port, '/old');
    expect(code).toBe(0);
    expect(parseHttpOutput(out)).toMatchObject({
      status: 200,
      headers: { 'content-type': 'text/html', 'x-powered-by': 'Lab' },
      body: '<title>Home Assistant</title>',
    });
  });

  it.skipIf(!tools.busybox)(
    'uses BusyBox wget under BusyBox sh, keeping wget noise out of the body',
    async () => {
      const links = { wget: tools.busybox!, ...helpers() };
      const ok = await run('bb-wget', links, port, '/', [tools.busybox!, 'sh']);
      expect(ok.code).toBe(0);
      const parsed = parseHttpOutput(ok.out);
      expect(parsed).toMatchObject({ status: 200, headers: { 'x-powered-by': 'Lab' } });
      expect(parsed?.body.trim()).toBe('<title>Home Assistant</title>');
      const missing = await run('bb-wget-404', links, port, '/nope', [tools.busybox!, 'sh']);
      expect(parseHttpOutput(missing.out)?.status).toBe(404);
    },
  );

  it.skipIf(!tools.gnuWget)('uses GNU wget with its own timeout and redirect limit', async () => {
    const { code, out } = await run('gnu-wget', { wget: tools.gnuWget!, ...helpers() }, port, '/old');
    expect(code).toBe(0);
    const parsed = parseHttpOutput(out);
    expect(parsed?.status).toBe(200);
    expect(parsed?.body.trim()).toBe('<title>Home Assistant</title>');
  });

  it.skipIf(!tools.python3)('uses python3, error statuses included', async () => {
    const links = { python3: tools.python3!, ...helpers() };
    const ok = await run('python', links, port, '/old');
    expect(parseHttpOutput(ok.out)).toMatchObject({ status: 200, body: '<title>Home Assistant</title>' });
    const missing = await run('python-404', links, port, '/nope');
    expect(parseHttpOutput(missing.out)).toMatchObject({ status: 404, body: 'not here' });
  });

  it.skipIf(!tools.bash)("falls back to bash's /dev/tcp", async () => {
    const { code, out } = await run('bash', { bash: tools.bash!, ...helpers() }, port, '/');
    expect(code).toBe(0);
    expect(parseHttpOutput(out)).toMatchObject({ status: 200, headers: { 'x-powered-by': 'Lab' } });
  });

  it.skipIf(!tools.curl || !tools.busybox)(
    'tries the next client when one gets no answer, and says when none did',
    async () => {
      const { code, out } = await run(
        'nobody-home',
        { curl: tools.curl!, wget: tools.busybox!, ...helpers() },
        closedPort,
        '/',
      );
      expect(code).toBe(3);
      expect(parseHttpOutput(out)).toBeNull();
    },
  );

  it('exits 4 when the image has no HTTP client at all', async () => {
    const { code, out } = await run('no-client', helpers(), port, '/');
    expect(code).toBe(4);
    expect(out).toMatch(/no HTTP client/);
  });
});
