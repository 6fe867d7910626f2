/**
 * The server's side of server_poll mode (daemon.md §2.5): calls to a daemon's own HTTP API, authenticated with the
 * daemon's key. Only server-poll.service.ts uses it.
 */

/** `transport` = no usable answer (refused, timed out, 5xx): worth retrying; anything else is the daemon's verdict. */
export class DaemonCallError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly transport: boolean,
  ) {
    super(message);
    this.name = 'DaemonCallError';
  }
}

export interface DaemonStatus {
  name?: string;
  mode?: string;
  version?: string | null;
  capabilities?: { has_docker_socket?: boolean; interfaced_subnet_ids?: string[] };
}

export interface DaemonPoll {
  progress: Record<string, unknown> | null;
  entities: { hosts: Record<string, unknown>[]; subnets: Record<string, unknown>[] };
}

export interface EntitiesCreated {
  subnets: [string, unknown][];
  hosts: [string, unknown][];
}

/** A daemon answering with more than this is refused rather than buffered (poll carries whole hosts). */
const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

export class DaemonClient {
  private readonly base: string;

  constructor(
    baseUrl: string,
    private readonly apiKey: string,
    private readonly timeoutMs: number,
  ) {
    this.base = baseUrl.replace(/\/+$/, '');
  }

  status(): Promise<DaemonStatus> {
    return this.call('GET', '/api/status');
  }

  firstContact(daemonId: string, serverCapabilities: unknown): Promise<DaemonStatus> {
    return this.call('POST', '/api/first-contact', {
      daemon_id: daemonId,
      server_capabilities: serverCapabilities,
    });
  }

  async poll(): Promise<DaemonPoll> {
    const data = await this.call<Partial<DaemonPoll> | null>('GET', '/api/poll');
    const entities = data?.entities;
    return {
      progress: data?.progress && typeof data.progress === 'object' ? data.progress : null,
      entities: {
        hosts: Array.isArray(entities?.hosts) ? entities.hosts : [],
        subnets: Array.isArray(entities?.subnets) ? entities.subnets : [],
      },
    };
  }

  async entitiesCreated(body: EntitiesCreated): Promise<void> {
    await this.call('POST', '/api/discovery/entities-created', body);
  }

  async initiate(sessionId: string, discoveryType: unknown): Promise<void> {
    await this.call('POST', '/api/discovery/initiate', {
      session_id: sessionId,
      discovery_type: discoveryType,
    });
  }

  async cancel(sessionId: string): Promise<void> {
    await this.call('POST', '/api/discovery/cancel', sessionId);
  }

  private async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const what = `${method} ${this.base}${path}`;
    let res: Response;
    let text: string;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.apiKey}`,
          accept: 'application/json',
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
        // A daemon URL that redirects elsewhere would carry the key there.
        redirect: 'error',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await readLimited(res);
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      throw new DaemonCallError(`${what}: ${cause ?? (err as Error).message}`, undefined, true);
    }
    if (!res.ok) {
      throw new DaemonCallError(
        `${what} → ${res.status}: ${text.slice(0, 200)}`,
        res.status,
        res.status >= 500,
      );
    }
    let envelope: { success?: boolean; data?: T };
    try {
      envelope = JSON.parse(text) as { success?: boolean; data?: T };
    } catch {
      throw new DaemonCallError(`${what}: the answer is not JSON`, res.status, false);
    }
    if (envelope.success !== true)
      throw new DaemonCallError(`${what}: ${text.slice(0, 200)}`, res.status, false);
    return envelope.data as T;
  }
}

async function readLimited(res: Response): Promise<string> {
  if (!res.body) return '';
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > MAX_RESPONSE_BYTES) throw new Error(`answer larger than ${MAX_RESPONSE_BYTES} bytes`);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks).toString('utf8');
}
