import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
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

/** The daemon's Docker settings (config keys of the same names); platform code depends on no other layer. */
export interface DockerSettings {
  docker_proxy: string | null;
  docker_proxy_ssl_cert: string | null;
  docker_proxy_ssl_key: string | null;
  docker_proxy_ssl_chain: string | null;
  docker_socket: string;
}

export function dockerEndpointOf(config: DockerSettings): DockerEndpoint {
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

/** Bounds for one Docker API call. */
export interface DockerCallOptions {
  /** Deadline for the whole call (connect, headers and body). */
  timeoutMs?: number;
  /** Aborts the call (the discovery session was cancelled). */
  signal?: AbortSignal;
}

function openRequest(
  endpoint: DockerEndpoint,
  method: string,
  apiPath: string,
  headers: http.OutgoingHttpHeaders,
): http.ClientRequest {
  if (endpoint.kind === 'socket') {
    return http.request({
      socketPath: endpoint.socketPath,
      path: apiPath,
      method,
      host: 'localhost',
      headers,
    });
  }
  const url = new URL(
    apiPath.replace(/^\//, ''),
    endpoint.url.endsWith('/') ? endpoint.url : `${endpoint.url}/`,
  );
  return url.protocol === 'https:'
    ? https.request(url, { method, headers, ...(endpoint.tls ?? {}) })
    : http.request(url, { method, headers });
}

/**
 * One Docker API request. The deadline covers connect, headers and body: a socket that accepts and
 * never answers must not hold up self-report (the reference's "subnet race" bug) or a discovery.
 */
export function dockerRequest(
  endpoint: DockerEndpoint,
  method: 'GET' | 'POST',
  apiPath: string,
  body?: unknown,
  opts: DockerCallOptions = {},
): Promise<{ status: number; body: string }> {
  const timeoutMs = opts.timeoutMs ?? DOCKER_TIMEOUT_MS;
  const { signal } = opts;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const payload = body === undefined ? null : JSON.stringify(body);
    const req = openRequest(
      endpoint,
      method,
      apiPath,
      payload === null
        ? {}
        : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) },
    );
    const onAbort = () => req.destroy(signal?.reason as Error);
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const timer = setTimeout(() => {
      req.destroy(new Error(`Docker API ${apiPath} did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        done();
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', (err) => {
        done();
        reject(err);
      });
    });
    req.on('error', (err) => {
      done();
      reject(err);
    });
    req.end(payload ?? undefined);
  });
}

/** GET one Docker API path within `timeoutMs`. */
export function dockerGet(
  endpoint: DockerEndpoint,
  apiPath: string,
  timeoutMs = DOCKER_TIMEOUT_MS,
): Promise<{ status: number; body: string }> {
  return dockerRequest(endpoint, 'GET', apiPath, undefined, { timeoutMs });
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

/** How long a Docker probe result is reused (see sharedProbe). */
export const DOCKER_PROBE_REUSE_MS = 10_000;

/**
 * Shares one probe between callers close together in time. At first start the daemon asks at
 * registration and again in the self-report that follows at once; against a socket that accepts and
 * never answers that was two 5 s waits in a row before the first subnets appeared. A probe still
 * running is joined, and a result younger than `maxAgeMs` is reused.
 */
export function sharedProbe<T>(
  probe: () => Promise<T>,
  maxAgeMs: number,
  now: () => number = Date.now,
): () => Promise<T> {
  let current: { value: Promise<T>; settledAt: number | null } | null = null;
  return () => {
    if (current && (current.settledAt === null || now() - current.settledAt < maxAgeMs)) return current.value;
    const entry: { value: Promise<T>; settledAt: number | null } = { value: probe(), settledAt: null };
    current = entry;
    entry.value.then(
      () => {
        entry.settledAt = now();
      },
      () => {
        // A failed probe is not reused.
        if (current === entry) current = null;
      },
    );
    return entry.value;
  };
}

/** Deadlines of the calls Docker discovery makes (daemon.md §6: every call is bounded). */
export const DOCKER_CALL_TIMEOUT_MS = 10_000;
/** One in-container probe: the whole curl → wget → python3 → bash chain, each step bounded by 1 s. */
export const DOCKER_EXEC_TIMEOUT_MS = 12_000;
/** Output kept from one exec; a probe only needs the head of one HTTP response. */
export const DOCKER_EXEC_MAX_BYTES = 256 * 1024;

/** A non-2xx answer of the Docker API, with Docker's own message. */
export class DockerApiError extends Error {
  constructor(
    readonly status: number,
    readonly apiPath: string,
    message: string,
  ) {
    super(`Docker API ${apiPath} returned HTTP ${status}: ${message}`);
    this.name = 'DockerApiError';
  }
}

export interface DockerIpamConfig {
  Subnet?: string;
  Gateway?: string;
}

/** GET /networks entries: only the fields discovery reads. */
export interface DockerNetworkInfo {
  Id: string;
  Name: string;
  Driver?: string;
  IPAM?: { Config?: DockerIpamConfig[] | null } | null;
}

export interface DockerEndpointSettings {
  NetworkID?: string;
  IPAddress?: string;
  IPPrefixLen?: number;
  MacAddress?: string;
  Gateway?: string;
}

/** A published or exposed port of a container summary: `IP`/`PublicPort` only when published. */
export interface DockerPortSummary {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type: string;
}

/** GET /containers/json entries. */
export interface DockerContainerSummary {
  Id: string;
  Names?: string[] | null;
  Image?: string;
  State?: string;
  Ports?: DockerPortSummary[] | null;
  HostConfig?: { NetworkMode?: string } | null;
  NetworkSettings?: { Networks?: Record<string, DockerEndpointSettings> | null } | null;
}

/** GET /containers/{id}/json: network mode, exposed ports, per-network IP and MAC, name and id. */
export interface DockerContainerDetails {
  Id: string;
  Name?: string;
  Config?: { ExposedPorts?: Record<string, unknown> | null; Image?: string } | null;
  HostConfig?: { NetworkMode?: string } | null;
  NetworkSettings?: { Networks?: Record<string, DockerEndpointSettings> | null } | null;
}

export interface ExecOutput {
  stdout: string;
  stderr: string;
  /** stdout and stderr in arrival order, as the reference parses it. */
  combined: string;
  /** null when Docker did not report it (exec inspect failed). */
  exitCode: number | null;
  /** More than DOCKER_EXEC_MAX_BYTES arrived; the rest was dropped. */
  truncated: boolean;
}

/**
 * Splits Docker's multiplexed attach stream (no TTY): frames of an 8-byte header — stream type
 * (0 stdin, 1 stdout, 2 stderr), three zero bytes, big-endian payload length — then the payload.
 * A stream that does not start with such a header is a raw TTY stream and counts as stdout.
 */
export class AttachStreamDemuxer {
  private pending: Buffer = Buffer.alloc(0);
  private raw: boolean | null = null;
  private size = 0;
  private readonly parts: Array<{ stream: 1 | 2; data: Buffer }> = [];
  truncated = false;

  constructor(private readonly maxBytes = DOCKER_EXEC_MAX_BYTES) {}

  push(chunk: Buffer): void {
    if (this.raw === null && chunk.length > 0) {
      this.raw = !(
        chunk[0] <= 2 &&
        (chunk.length < 4 || (chunk[1] === 0 && chunk[2] === 0 && chunk[3] === 0))
      );
    }
    if (this.raw) {
      this.keep(1, chunk);
      return;
    }
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (this.pending.length >= 8) {
      const length = this.pending.readUInt32BE(4);
      if (this.pending.length < 8 + length) break;
      const type = this.pending[0];
      const data = this.pending.subarray(8, 8 + length);
      this.pending = this.pending.subarray(8 + length);
      if (type === 1 || type === 2) this.keep(type, data);
    }
  }

  private keep(stream: 1 | 2, data: Buffer): void {
    const room = this.maxBytes - this.size;
    if (room <= 0) {
      if (data.length) this.truncated = true;
      return;
    }
    const kept = data.length > room ? data.subarray(0, room) : data;
    if (kept.length < data.length) this.truncated = true;
    this.size += kept.length;
    this.parts.push({ stream, data: Buffer.from(kept) });
  }

  result(): Omit<ExecOutput, 'exitCode'> {
    const of = (stream?: 1 | 2) =>
      Buffer.concat(
        this.parts.filter((p) => stream === undefined || p.stream === stream).map((p) => p.data),
      ).toString('utf8');
    return { stdout: of(1), stderr: of(2), combined: of(), truncated: this.truncated };
  }
}

/**
 * The Docker Engine API calls discovery needs, each bounded by a deadline and the session's
 * AbortSignal. Paths are unversioned, so the engine's own API version applies.
 */
export class DockerClient {
  constructor(
    readonly endpoint: DockerEndpoint,
    private readonly timeouts: { pingMs: number; callMs: number } = {
      pingMs: DOCKER_TIMEOUT_MS,
      callMs: DOCKER_CALL_TIMEOUT_MS,
    },
  ) {}

  /** Throws unless Docker answers /_ping within 5 s. */
  async ping(signal?: AbortSignal): Promise<void> {
    const res = await dockerRequest(this.endpoint, 'GET', '/_ping', undefined, {
      timeoutMs: this.timeouts.pingMs,
      signal,
    });
    if (res.status !== 200) throw new DockerApiError(res.status, '/_ping', res.body.trim() || 'no body');
  }

  networks(signal?: AbortSignal): Promise<DockerNetworkInfo[]> {
    return this.json('GET', '/networks', undefined, signal);
  }

  /** Running containers (the API default), as summaries with their ports. */
  containers(signal?: AbortSignal): Promise<DockerContainerSummary[]> {
    return this.json('GET', '/containers/json', undefined, signal);
  }

  inspect(containerId: string, signal?: AbortSignal): Promise<DockerContainerDetails> {
    return this.json('GET', `/containers/${encodeURIComponent(containerId)}/json`, undefined, signal);
  }

  /**
   * Runs `cmd` in a running container and collects its output: exec create, exec start with the
   * attach stream hijacked from the HTTP connection, then exec inspect for the exit code. The
   * deadline covers the whole run; a process still running at the deadline is left to finish on its
   * own (the Engine API cannot kill an exec), and the call fails.
   */
  async exec(
    containerId: string,
    cmd: readonly string[],
    opts: DockerCallOptions & { maxBytes?: number } = {},
  ): Promise<ExecOutput> {
    const timeoutMs = opts.timeoutMs ?? DOCKER_EXEC_TIMEOUT_MS;
    const deadline = Date.now() + timeoutMs;
    const left = () => Math.max(1, deadline - Date.now());
    const created = await this.json<{ Id: string }>(
      'POST',
      `/containers/${encodeURIComponent(containerId)}/exec`,
      { AttachStdin: false, AttachStdout: true, AttachStderr: true, Tty: false, Cmd: cmd },
      opts.signal,
      Math.min(left(), this.timeouts.callMs),
    );
    const output = await this.startExec(created.Id, left(), opts.signal, opts.maxBytes);
    let exitCode: number | null = null;
    try {
      const info = await this.json<{ ExitCode?: number | null; Running?: boolean }>(
        'GET',
        `/exec/${encodeURIComponent(created.Id)}/json`,
        undefined,
        opts.signal,
        Math.min(left(), this.timeouts.callMs),
      );
      exitCode = info.Running ? null : (info.ExitCode ?? null);
    } catch (err) {
      if (opts.signal?.aborted) throw err;
    }
    return { ...output, exitCode };
  }

  private async json<T>(
    method: 'GET' | 'POST',
    apiPath: string,
    body: unknown,
    signal: AbortSignal | undefined,
    timeoutMs = this.timeouts.callMs,
  ): Promise<T> {
    const res = await dockerRequest(this.endpoint, method, apiPath, body, { timeoutMs, signal });
    if (res.status < 200 || res.status >= 300)
      throw new DockerApiError(res.status, apiPath, apiMessage(res.body));
    try {
      return JSON.parse(res.body) as T;
    } catch {
      throw new DockerApiError(res.status, apiPath, 'the answer is not JSON');
    }
  }

  /**
   * POST /exec/{id}/start asking for a connection upgrade: Docker answers 101 and streams the
   * process output on the raw socket until the process exits. Engines that ignore the upgrade
   * answer 200 and stream the same frames as the response body; both are handled.
   */
  private startExec(
    execId: string,
    timeoutMs: number,
    signal: AbortSignal | undefined,
    maxBytes = DOCKER_EXEC_MAX_BYTES,
  ): Promise<Omit<ExecOutput, 'exitCode'>> {
    const apiPath = `/exec/${encodeURIComponent(execId)}/start`;
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason as Error);
        return;
      }
      const payload = JSON.stringify({ Detach: false, Tty: false });
      const req = openRequest(this.endpoint, 'POST', apiPath, {
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(payload),
        Connection: 'Upgrade',
        Upgrade: 'tcp',
      });
      const demux = new AttachStreamDemuxer(maxBytes);
      let stream: (NodeJS.ReadableStream & { destroy(err?: Error): void }) | null = null;
      let settled = false;
      const settle = (err: Error | null) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (err) {
          stream?.destroy();
          req.destroy();
          reject(err);
        } else resolve(demux.result());
      };
      const onAbort = () => settle(signal?.reason as Error);
      const timer = setTimeout(
        () => settle(new Error(`Docker exec did not finish within ${timeoutMs} ms`)),
        timeoutMs,
      );
      signal?.addEventListener('abort', onAbort, { once: true });
      const follow = (s: NodeJS.ReadableStream & { destroy(err?: Error): void }) => {
        stream = s;
        s.on('data', (c: Buffer) => demux.push(c));
        s.on('end', () => settle(null));
        s.on('close', () => settle(null));
        s.on('error', (err: Error) => settle(err));
      };
      req.on('upgrade', (_res, socket, head) => {
        if (head.length) demux.push(head);
        follow(socket);
      });
      req.on('response', (res) => {
        if (res.statusCode !== 200) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            settle(
              new DockerApiError(
                res.statusCode ?? 0,
                apiPath,
                apiMessage(Buffer.concat(chunks).toString('utf8')),
              ),
            ),
          );
          res.on('error', (err) => settle(err));
          return;
        }
        follow(res);
      });
      req.on('error', (err) => settle(err));
      req.end(payload);
    });
  }
}

function apiMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // Not JSON: Docker's plain-text answers (and proxies') are shown as they are.
  }
  return body.trim().slice(0, 200) || 'no message';
}
