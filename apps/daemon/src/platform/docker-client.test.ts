import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AttachStreamDemuxer, DockerApiError, DockerClient, sharedProbe } from './docker.ts';

const frame = (stream: number, text: string) => {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
};

describe('AttachStreamDemuxer', () => {
  it('splits stdout and stderr frames, also when frames arrive cut in pieces', () => {
    const demux = new AttachStreamDemuxer();
    const wire = Buffer.concat([frame(1, 'HTTP/1.1 200 OK\n'), frame(2, 'warning\n'), frame(1, 'body')]);
    const cuts = [0, 3, 9, 20, wire.length];
    for (let i = 1; i < cuts.length; i++) demux.push(wire.subarray(cuts[i - 1], cuts[i]));
    expect(demux.result()).toEqual({
      stdout: 'HTTP/1.1 200 OK\nbody',
      stderr: 'warning\n',
      combined: 'HTTP/1.1 200 OK\nwarning\nbody',
      truncated: false,
    });
  });

  it('takes a stream without frame headers (a TTY) as stdout, and stops keeping output at the limit', () => {
    const demux = new AttachStreamDemuxer(8);
    demux.push(Buffer.from('HTTP/1.1 200 OK'));
    expect(demux.result()).toEqual({ stdout: 'HTTP/1.1', stderr: '', combined: 'HTTP/1.1', truncated: true });
  });
});

describe('sharedProbe', () => {
  it('joins a probe in flight, reuses a recent result and probes again once it is old', async () => {
    let clock = 0;
    let calls = 0;
    let release: (v: number) => void = () => {};
    const probe = sharedProbe(
      () => {
        calls++;
        return new Promise<number>((resolve) => (release = resolve));
      },
      10_000,
      () => clock,
    );
    const a = probe();
    const b = probe();
    release(1);
    expect(await Promise.all([a, b])).toEqual([1, 1]);
    clock = 9_999;
    expect(await probe()).toBe(1);
    expect(calls).toBe(1);
    clock = 10_000;
    const c = probe();
    release(2);
    expect(await c).toBe(2);
    expect(calls).toBe(2);
  });
});

describe('DockerClient', () => {
  let dir: string;
  const closers: Array<() => Promise<void>> = [];
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'scanopy-docker-client-'));
  });
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('bounds every call on a socket that accepts and never answers', async () => {
    const socketPath = path.join(dir, 'silent.sock');
    const held: net.Socket[] = [];
    const silent = net.createServer((s) => held.push(s));
    await new Promise<void>((resolve) => silent.listen(socketPath, resolve));
    closers.push(async () => {
      held.forEach((s) => s.destroy());
      await new Promise((resolve) => silent.close(resolve));
    });
    const docker = new DockerClient({ kind: 'socket', socketPath }, { pingMs: 50, callMs: 50 });
    await expect(docker.ping()).rejects.toThrow('/_ping did not answer within 50 ms');
    await expect(docker.networks()).rejects.toThrow('/networks did not answer');
    await expect(docker.containers()).rejects.toThrow('/containers/json did not answer');
    await expect(docker.inspect('abc')).rejects.toThrow('/containers/abc/json did not answer');
    await expect(docker.exec('abc', ['true'], { timeoutMs: 50 })).rejects.toThrow('did not answer');
    expect(held.length).toBe(5);
  });

  it('gives up on an exec whose output never ends, and on a cancelled session at once', async () => {
    const socketPath = path.join(dir, 'docker.sock');
    const engine = http.createServer((req, res) => {
      req.resume();
      if (req.url?.endsWith('/exec')) {
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify({ Id: 'e1' }));
        return;
      }
      // exec start: some output, then nothing more.
      res.writeHead(200, { 'Content-Type': 'application/vnd.docker.multiplexed-stream' });
      res.write(frame(1, 'partial'));
    });
    await new Promise<void>((resolve) => engine.listen(socketPath, resolve));
    closers.push(
      () =>
        new Promise((resolve) => {
          engine.closeAllConnections();
          engine.close(() => resolve());
        }),
    );
    const docker = new DockerClient({ kind: 'socket', socketPath });
    await expect(docker.exec('c1', ['sleep', '99'], { timeoutMs: 100 })).rejects.toThrow(
      'Docker exec did not finish within',
    );
    const controller = new AbortController();
    const pending = docker.exec('c1', ['sleep', '99'], { signal: controller.signal });
    controller.abort(new Error('session cancelled'));
    await expect(pending).rejects.toThrow('session cancelled');
  });

  it('runs a command through an upgraded connection and reports its exit code', async () => {
    const socketPath = path.join(dir, 'docker.sock');
    const seen: string[] = [];
    const engine = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push(`${req.method} ${req.url} ${Buffer.concat(chunks).toString()}`);
        res.setHeader('Content-Type', 'application/json');
        if (req.url === '/containers/c1/exec') res.end(JSON.stringify({ Id: 'e1' }));
        else if (req.url === '/exec/e1/json') res.end(JSON.stringify({ Running: false, ExitCode: 3 }));
        else if (req.url === '/containers/gone/exec') {
          res.statusCode = 404;
          res.end(JSON.stringify({ message: 'No such container: gone' }));
        }
      });
    });
    engine.on('upgrade', (req: http.IncomingMessage, socket: net.Socket) => {
      seen.push(`${req.method} ${req.url} upgrade=${req.headers.upgrade}`);
      socket.write(
        'HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n',
      );
      socket.end(Buffer.concat([frame(1, 'out '), frame(2, 'err')]));
    });
    await new Promise<void>((resolve) => engine.listen(socketPath, resolve));
    closers.push(
      () =>
        new Promise((resolve) => {
          engine.closeAllConnections();
          engine.close(() => resolve());
        }),
    );
    const docker = new DockerClient({ kind: 'socket', socketPath });
    const out = await docker.exec('c1', ['sh', '-c', 'echo out; echo err >&2; exit 3']);
    expect(out).toEqual({
      stdout: 'out ',
      stderr: 'err',
      combined: 'out err',
      truncated: false,
      exitCode: 3,
    });
    expect(seen[0]).toContain('"Cmd":["sh","-c","echo out; echo err >&2; exit 3"]');
    expect(seen[1]).toBe('POST /exec/e1/start upgrade=tcp');
    const err = await docker.exec('gone', ['true']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DockerApiError);
    expect((err as DockerApiError).status).toBe(404);
    expect((err as Error).message).toContain('No such container: gone');
  });
});
