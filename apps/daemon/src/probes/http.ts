import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { runPool } from './exchange.ts';
import { ALWAYS_TLS_PORTS } from './tcp-banner.ts';

/**
 * HTTP(S) endpoint probes (daemon.md §4.4, service-detection.md §6). node:http/https directly, not
 * fetch, so certificate checks, TLS versions, sockets and redirects are all under our control.
 *
 * - Each (port, path) is requested over http and https; https first when the port looked like TLS.
 * - A response of any status wins, except that a 400 is held back while the other scheme remains
 *   (TLS servers answer plain HTTP with 400, which says nothing about the application).
 * - Timing as in the reference: 800 ms to get the final response headers (connect, TLS, redirects),
 *   then up to 800 ms more for the body; a body cut short by the deadline or the 64 KiB cap is kept.
 * - Redirects (301/302/303/307/308) are followed up to 10 times, but only to the scanned address
 *   itself (any port, either scheme): a redirect elsewhere is never followed, so a scan can never send
 *   a request outside its target. The 3xx response is then the result.
 * - `acceptInvalidCerts` (default true, `accept_invalid_scan_certs`) also allows TLS 1.0/1.1 and
 *   weak ciphers, because the devices with self-signed certificates are often the old ones.
 */

export const HTTP_TIMEOUT_MS = 800;
export const HTTP_BODY_MAX_BYTES = 64 * 1024;
export const HTTP_MAX_REDIRECTS = 10;
/** Raw printer ports (JetDirect): anything sent there may be printed ("ghost printing"). */
export const RAW_SOCKET_PORTS = { from: 9100, to: 9107 } as const;

export interface HttpEndpoint {
  port: number;
  /** Starts with "/", may include a query string. */
  path: string;
}

export type HttpScheme = 'http' | 'https';

export interface HttpProbeResult {
  /** The endpoint that was asked for (not where redirects led). */
  endpoint: HttpEndpoint;
  /** The scheme of the first request. */
  scheme: HttpScheme;
  /** The URL of the final response. */
  url: string;
  status: number;
  /** Header names lowercased; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** The body as UTF-8 (invalid bytes replaced), at most HTTP_BODY_MAX_BYTES bytes of it. */
  body: string;
}

export interface HttpProbeOptions {
  /** Accept self-signed, expired or mismatched certificates (and legacy TLS). Default true. */
  acceptInvalidCerts?: boolean;
  /** Try https before http. */
  httpsFirst?: boolean;
  timeoutMs?: number;
  maxBodyBytes?: number;
  maxRedirects?: number;
  signal?: AbortSignal;
  /**
   * Awaited before each request's connection (not counted against its timeout), e.g. the scan's per-host rate
   * limiter, so endpoint probes never send a host more connection attempts per second than the port scan may.
   */
  pace?: () => Promise<void>;
}

interface Fetched {
  url: URL;
  status: number;
  headers: Record<string, string>;
  body: string;
}

function hostFor(ip: string): string {
  return net.isIPv6(ip) ? `[${ip}]` : ip;
}

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

function lowerHeaders(res: http.IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
    const name = res.rawHeaders[i].toLowerCase();
    const value = res.rawHeaders[i + 1];
    out[name] = name in out ? `${out[name]}, ${value}` : value;
  }
  return out;
}

/**
 * The connection was refused (RST to the SYN): nothing listens on the port, so no scheme or path there can answer.
 */
const REFUSED = 'refused';
type Refused = typeof REFUSED;

/** One request; resolves the response (headers received), `REFUSED`, or null. Never rejects. */
function requestHead(
  url: URL,
  opts: Required<Pick<HttpProbeOptions, 'acceptInvalidCerts'>>,
  signal: AbortSignal,
): Promise<http.IncomingMessage | Refused | null> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve(null);
      return;
    }
    const isHttps = url.protocol === 'https:';
    const options: https.RequestOptions = {
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port ? Number(url.port) : isHttps ? 443 : 80,
      path: `${url.pathname}${url.search}`,
      method: 'GET',
      headers: { Accept: '*/*', Connection: 'close' },
      agent: false,
      // Embedded web servers send headers Node's strict parser rejects; we only read them.
      insecureHTTPParser: true,
    };
    if (isHttps) {
      options.rejectUnauthorized = !opts.acceptInvalidCerts;
      if (opts.acceptInvalidCerts) {
        options.minVersion = 'TLSv1';
        options.ciphers = 'DEFAULT:@SECLEVEL=0';
      }
    }
    let settled = false;
    const settle = (res: http.IncomingMessage | Refused | null) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      resolve(res);
    };
    const req = (isHttps ? https : http).request(options, (res) => settle(res));
    const onAbort = () => {
      req.destroy();
      settle(null);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    req.on('error', (err: NodeJS.ErrnoException) => settle(err.code === 'ECONNREFUSED' ? REFUSED : null));
    req.end();
  });
}

/** Reads up to `maxBytes` of the body until `signal` aborts or the body ends; keeps what arrived. */
function readBody(res: http.IncomingMessage, maxBytes: number, signal: AbortSignal): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      signal.removeEventListener('abort', finish);
      res.destroy();
      resolve(Buffer.concat(chunks).subarray(0, maxBytes));
    };
    if (signal.aborted) {
      finish();
      return;
    }
    signal.addEventListener('abort', finish, { once: true });
    res.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= maxBytes) finish();
    });
    res.on('end', finish);
    res.on('error', finish);
    res.on('close', finish);
  });
}

/** A timeout signal that also follows `parent`; `dispose` clears the timer. */
function deadline(ms: number, parent?: AbortSignal): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const abort = () => controller.abort();
  const timer = setTimeout(abort, ms);
  if (parent?.aborted) controller.abort();
  parent?.addEventListener('abort', abort, { once: true });
  return {
    signal: controller.signal,
    dispose: () => {
      clearTimeout(timer);
      parent?.removeEventListener('abort', abort);
    },
  };
}

/**
 * GET `start`, following same-host redirects; null when no response arrived in time, `REFUSED` when the first
 * connection was refused.
 */
async function fetchFollowing(
  ip: string,
  start: URL,
  opts: HttpProbeOptions,
): Promise<Fetched | Refused | null> {
  const timeoutMs = opts.timeoutMs ?? HTTP_TIMEOUT_MS;
  const maxRedirects = opts.maxRedirects ?? HTTP_MAX_REDIRECTS;
  const tls = { acceptInvalidCerts: opts.acceptInvalidCerts ?? true };
  const ownHost = new URL(`http://${hostFor(ip)}/`).hostname;
  await opts.pace?.();
  if (opts.signal?.aborted) return null;
  const head = deadline(timeoutMs, opts.signal);
  try {
    let url = start;
    for (let hop = 0; ; hop++) {
      const res = await requestHead(url, tls, head.signal);
      if (res === REFUSED) return hop === 0 ? REFUSED : null;
      if (!res) return null;
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      let next: URL | null = null;
      if (isRedirect(status) && location && hop < maxRedirects) {
        try {
          const target = new URL(location, url);
          const sameHost = target.hostname === ownHost;
          if (sameHost && (target.protocol === 'http:' || target.protocol === 'https:')) next = target;
        } catch {
          next = null;
        }
      }
      if (next) {
        res.destroy();
        url = next;
        continue;
      }
      head.dispose();
      const bodyDeadline = deadline(timeoutMs, opts.signal);
      try {
        const body = await readBody(res, opts.maxBodyBytes ?? HTTP_BODY_MAX_BYTES, bodyDeadline.signal);
        return { url, status, headers: lowerHeaders(res), body: body.toString('utf8') };
      } finally {
        bodyDeadline.dispose();
      }
    }
  } finally {
    head.dispose();
  }
}

/** Probes one endpoint over both schemes; null when neither answered. */
export async function probeHttpEndpoint(
  ip: string,
  endpoint: HttpEndpoint,
  opts: HttpProbeOptions = {},
): Promise<HttpProbeResult | null> {
  const got = await probeEndpoint(ip, endpoint, opts);
  return got === REFUSED ? null : got;
}

/**
 * `probeHttpEndpoint`, or `REFUSED` when the first scheme's connection was refused: the port is closed, so the
 * other scheme is not tried (it would only be refused again).
 */
async function probeEndpoint(
  ip: string,
  endpoint: HttpEndpoint,
  opts: HttpProbeOptions,
): Promise<HttpProbeResult | Refused | null> {
  const schemes: HttpScheme[] = opts.httpsFirst ? ['https', 'http'] : ['http', 'https'];
  const path = endpoint.path.startsWith('/') ? endpoint.path : `/${endpoint.path}`;
  let heldBack: HttpProbeResult | null = null;
  for (const [i, scheme] of schemes.entries()) {
    if (opts.signal?.aborted) break;
    const start = new URL(`${scheme}://${hostFor(ip)}:${endpoint.port}${path}`);
    const got = await fetchFollowing(ip, start, opts);
    if (got === REFUSED && i === 0) return REFUSED;
    if (!got || got === REFUSED) continue;
    const result: HttpProbeResult = {
      endpoint,
      scheme,
      url: got.url.href,
      status: got.status,
      headers: got.headers,
      body: got.body,
    };
    if (got.status === 400 && heldBack === null && i + 1 < schemes.length) {
      heldBack = result;
      continue;
    }
    return result;
  }
  return heldBack;
}

export function isRawSocketPort(port: number): boolean {
  return port >= RAW_SOCKET_PORTS.from && port <= RAW_SOCKET_PORTS.to;
}

/**
 * The endpoints worth requesting: de-duplicated by (port, path), restricted to `ports` when given
 * (open ports plus endpoint-only ports), raw printer ports dropped unless `probeRawSocketPorts`.
 */
export function selectEndpoints(
  endpoints: Iterable<HttpEndpoint>,
  opts: { ports?: ReadonlySet<number>; probeRawSocketPorts?: boolean } = {},
): HttpEndpoint[] {
  const seen = new Map<string, HttpEndpoint>();
  for (const e of endpoints) {
    if (opts.ports && !opts.ports.has(e.port)) continue;
    if (!opts.probeRawSocketPorts && isRawSocketPort(e.port)) continue;
    const key = `${e.port} ${e.path}`;
    if (!seen.has(key)) seen.set(key, { port: e.port, path: e.path });
  }
  return [...seen.values()];
}

export interface HttpScanOptions extends Omit<HttpProbeOptions, 'httpsFirst'> {
  /** `port_scan_batch_size`; concurrency is min(batch ÷ 2, 50). */
  batchSize: number;
  /** Ports the TCP peek flagged "likely TLS": https goes first there and on 443, 8443, 9443, 10443. */
  tlsPorts?: ReadonlySet<number>;
  /** Restrict to these ports (open plus endpoint-only). */
  ports?: ReadonlySet<number>;
  /** `probe_raw_socket_ports`: also probe 9100–9107. Default false. */
  probeRawSocketPorts?: boolean;
  /** Filled with the ports whose connection was refused (closed: none of their endpoints was asked further). */
  refused?: Set<number>;
}

/** Concurrency of the endpoint probes of one host. */
export function httpConcurrency(batchSize: number): number {
  return Math.max(1, Math.min(Math.floor(batchSize / 2), 50));
}

/**
 * Connections in flight to one port of a host: an appliance's web server often serves one request at a time from a
 * short listen queue (8 on many), and a queue of probes there would lock out its real users.
 */
export const HTTP_PER_PORT_CONCURRENCY = 4;

/**
 * Probes every selected endpoint of one host, min(batch ÷ 2, 50) at a time overall and at most
 * `HTTP_PER_PORT_CONCURRENCY` per port, each port's root page first and alone: when its connection is refused,
 * the port is closed and none of its other paths (or the other scheme) is asked, so a closed endpoint-only port
 * costs one connection attempt instead of two per path. Results in endpoint order; on abort, returns what answered
 * so far.
 */
export async function scanHttpEndpoints(
  ip: string,
  endpoints: Iterable<HttpEndpoint>,
  opts: HttpScanOptions,
): Promise<HttpProbeResult[]> {
  const selected = selectEndpoints(endpoints, opts);
  const byPort = new Map<number, number[]>();
  for (const [i, e] of selected.entries()) {
    const list = byPort.get(e.port) ?? [];
    if (e.path === '/') list.unshift(i);
    else list.push(i);
    byPort.set(e.port, list);
  }
  const results = new Array<HttpProbeResult | null | undefined>(selected.length);
  const perPort = Math.min(HTTP_PER_PORT_CONCURRENCY, httpConcurrency(opts.batchSize));
  await runPool(
    [...byPort.values()],
    { concurrency: Math.max(1, Math.floor(httpConcurrency(opts.batchSize) / perPort)), signal: opts.signal },
    async (indexes) => {
      const probe = (i: number) =>
        probeEndpoint(ip, selected[i], {
          ...opts,
          httpsFirst: ALWAYS_TLS_PORTS.has(selected[i].port) || opts.tlsPorts?.has(selected[i].port),
        });
      const [head, ...rest] = indexes;
      const first = await probe(head);
      if (first === REFUSED) {
        opts.refused?.add(selected[head].port);
        return;
      }
      results[head] = first;
      const got = await runPool(rest, { concurrency: perPort, signal: opts.signal }, async (i) => {
        const r = await probe(i);
        return r === REFUSED ? null : r;
      });
      for (const [k, i] of rest.entries()) results[i] = got[k];
    },
  );
  return results.filter((r): r is HttpProbeResult => r !== undefined && r !== null);
}

/** A path no application serves: "/scanopy-" and 16 random hex digits, new for every call. */
export function randomProbePath(): string {
  return `/scanopy-${randomBytes(8).toString('hex')}`;
}

/**
 * Catch-all check (service-detection: "this path exists" rules): for every port that answered a path other than
 * "/", the response to a random path that cannot exist. Many appliances and single-page apps answer every path with
 * 200 and the same page; the matcher then treats an endpoint rule that this response would satisfy as not matching.
 * One request per such port, over the scheme that port answered with, under the same pacing as the endpoints.
 */
export async function scanCatchAll(
  ip: string,
  answered: readonly HttpProbeResult[],
  opts: Omit<HttpProbeOptions, 'httpsFirst'> & { batchSize: number },
): Promise<HttpProbeResult[]> {
  const schemeOf = new Map<number, HttpScheme>();
  for (const r of answered) if (r.endpoint.path !== '/') schemeOf.set(r.endpoint.port, r.scheme);
  const results = await runPool(
    [...schemeOf],
    { concurrency: httpConcurrency(opts.batchSize), signal: opts.signal },
    ([port, scheme]) =>
      probeHttpEndpoint(ip, { port, path: randomProbePath() }, { ...opts, httpsFirst: scheme === 'https' }),
  );
  return results.filter((r): r is HttpProbeResult => r !== undefined && r !== null);
}
