import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import type { DaemonConfig } from '../config.ts';
import { formatCidr, parseCidr } from './ipv4.ts';

/** Where the Docker Engine API is reached: a unix socket or an http(s) proxy. */
export type DockerEndpoint =
  | { kind: 'socket'; socketPath: string }
  | { kind: 'proxy'; url: string; tls?: { cert: Buffer; key: Buffer; ca: Buffer } };

export interface DockerProbe {
  available: boolean;
  /** IPv4 CIDRs of Docker networks (IPAM config); empty when Docker is unavailable. */
  networkCidrs: string[];
}

/** The reference bounds every Docker connection check by a 5 s ping timeout. */
export const DOCKER_TIMEOUT_MS = 5000;

export function dockerEndpointOf(
  config: Pick<
    DaemonConfig,
    | 'docker_proxy'
    | 'docker_proxy_ssl_cert'
    | 'docker_proxy_ssl_key'
    | 'docker_proxy_ssl_chain'
    | 'docker_socket'
  >,
): DockerEndpoint {
  if (!config.docker_proxy) return { kind: 'socket', socketPath: config.docker_socket };
  const { docker_proxy_ssl_cert: cert, docker_proxy_ssl_key: key, docker_proxy_ssl_chain: ca } = config;
  // As in the reference, client TLS is used only for an https proxy with all three files set.
  if (config.docker_proxy.startsWith('https://') && cert && key && ca) {
    return {
      kind: 'proxy',
      url: config.docker_proxy,
      tls: { cert: readFileSync(cert), key: readFileSync(key), ca: readFileSync(ca) },
    };
  }
  return { kind: 'proxy', url: config.docker_proxy };
}

/**
 * GET one Docker API path. The deadline covers connect, headers and body: a socket that accepts
 * and never answers must not hold up self-report (the reference's "subnet race" bug).
 */
export function dockerGet(
  endpoint: DockerEndpoint,
  apiPath: string,
  timeoutMs = DOCKER_TIMEOUT_MS,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    let req: http.ClientRequest;
    if (endpoint.kind === 'socket') {
      req = http.request({
        socketPath: endpoint.socketPath,
        path: apiPath,
        method: 'GET',
        host: 'localhost',
      });
    } else {
      const url = new URL(
        apiPath.replace(/^\//, ''),
        endpoint.url.endsWith('/') ? endpoint.url : `${endpoint.url}/`,
      );
      req =
        url.protocol === 'https:'
          ? https.request(url, { method: 'GET', ...(endpoint.tls ?? {}) })
          : http.request(url, { method: 'GET' });
    }
    const timer = setTimeout(() => {
      req.destroy(new Error(`Docker API ${apiPath} did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end();
  });
}

interface DockerNetwork {
  Name?: string;
  IPAM?: { Config?: Array<{ Subnet?: string }> | null };
}

/** Pings Docker and, when it answers, lists its IPv4 network CIDRs. Never throws. */
export async function probeDocker(
  endpoint: DockerEndpoint,
  timeoutMs = DOCKER_TIMEOUT_MS,
  onError: (stage: string, err: Error) => void = () => {},
): Promise<DockerProbe> {
  try {
    const ping = await dockerGet(endpoint, '/_ping', timeoutMs);
    if (ping.status !== 200) throw new Error(`ping returned HTTP ${ping.status}`);
  } catch (err) {
    onError('ping', err as Error);
    return { available: false, networkCidrs: [] };
  }
  try {
    const res = await dockerGet(endpoint, '/networks', timeoutMs);
    if (res.status !== 200) throw new Error(`/networks returned HTTP ${res.status}`);
    const networks = JSON.parse(res.body) as DockerNetwork[];
    const cidrs = new Set<string>();
    for (const n of networks) {
      for (const c of n.IPAM?.Config ?? []) {
        const parsed = c.Subnet ? parseCidr(c.Subnet) : null;
        if (parsed) cidrs.add(formatCidr(parsed));
      }
    }
    return { available: true, networkCidrs: [...cidrs] };
  } catch (err) {
    // Docker answered the ping, so the socket is usable even if listing networks failed.
    onError('networks', err as Error);
    return { available: true, networkCidrs: [] };
  }
}
