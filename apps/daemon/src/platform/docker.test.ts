import http from 'node:http';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dockerEndpointOf, probeDocker } from './docker.ts';

let dir: string;
const closers: Array<() => Promise<void>> = [];

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'scanopy-docker-'));
});
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
  rmSync(dir, { recursive: true, force: true });
});

function listen(server: net.Server, socketPath: string): Promise<void> {
  closers.push(
    () =>
      new Promise((resolve) => {
        if (server instanceof http.Server) server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return new Promise((resolve) => server.listen(socketPath, resolve));
}

describe('probeDocker', () => {
  it('gives up on a socket that accepts connections but never answers', async () => {
    const socketPath = path.join(dir, 'silent.sock');
    const held: net.Socket[] = [];
    const silent = net.createServer((socket) => held.push(socket));
    await listen(silent, socketPath);
    closers.push(async () => held.forEach((s) => s.destroy()));

    const errors: string[] = [];
    const result = await probeDocker({ kind: 'socket', socketPath }, undefined, (stage, err) =>
      errors.push(`${stage}: ${err.message}`),
    );
    expect(result).toEqual({ available: false, networkCidrs: [] });
    expect(held.length).toBe(1);
    expect(errors).toEqual(['ping: Docker API /_ping did not answer within 5000 ms']);
  });

  it('reports no Docker when the socket does not exist', async () => {
    const result = await probeDocker(
      dockerEndpointOf({
        docker_socket: path.join(dir, 'missing.sock'),
        docker_proxy: null,
        docker_proxy_ssl_cert: null,
        docker_proxy_ssl_key: null,
        docker_proxy_ssl_chain: null,
      }),
    );
    expect(result.available).toBe(false);
  });

  it('lists the IPv4 network CIDRs of a Docker Engine that answers', async () => {
    const socketPath = path.join(dir, 'docker.sock');
    const seen: string[] = [];
    const engine = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      if (req.url === '/_ping') {
        res.end('OK');
        return;
      }
      res.setHeader('Content-Type', 'application/json');
      res.end(
        JSON.stringify([
          { Name: 'bridge', IPAM: { Config: [{ Subnet: '172.17.0.0/16', Gateway: '172.17.0.1' }] } },
          { Name: 'app', IPAM: { Config: [{ Subnet: '172.20.5.9/24' }, { Subnet: 'fd00::/64' }] } },
          { Name: 'host', IPAM: { Config: [] } },
          { Name: 'none', IPAM: { Config: null } },
        ]),
      );
    });
    await listen(engine, socketPath);
    const result = await probeDocker({ kind: 'socket', socketPath });
    expect(result).toEqual({ available: true, networkCidrs: ['172.17.0.0/16', '172.20.5.0/24'] });
    expect(seen).toEqual(['GET /_ping', 'GET /networks']);
  });
});
