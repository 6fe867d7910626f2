import { spawn } from 'node:child_process';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** Helpers shared by the namespace tests that run a real server and real daemons. */

/** Polls `probe` until it returns a value; gives up with the last observation after `limitMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  limitMs: number,
): Promise<T> {
  const deadline = Date.now() + limitMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last error: ${String(last)}`);
    await sleep(250);
  }
}

export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Environment without the caller's SCANOPY_* settings, so only what a test sets applies. */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('SCANOPY_') && !k.startsWith('NETVISOR_')) env[k] = v;
  }
  return { ...env, ...extra };
}

/** Collects a child's output (the last `keep` characters) for failure messages and log assertions. */
export function capture(child: ChildProcess, keep = 200_000): { text: () => string } {
  let out = '';
  const add = (c: Buffer) => {
    out += c.toString();
    if (out.length > keep * 2) out = out.slice(-keep);
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  return { text: () => out.slice(-keep) };
}

/** A cookie-keeping client of the server's JSON API. */
export class Api {
  cookie = '';
  constructor(readonly base: string) {}

  /**
   * One request; a 429 is waited out (Retry-After, a few times) as a well-behaved client does. Without that, a test
   * polling three endpoints faster than the server's sustained rate livelocks once its burst is spent: each poll gets
   * one token and the next call of the same poll is refused, so no poll ever completes.
   */
  async call<T>(method: string, route: string, body?: unknown): Promise<T> {
    let res: Response;
    for (let attempt = 0; ; attempt++) {
      res = await fetch(this.base + route, {
        method,
        headers: {
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
          Cookie: this.cookie,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (res.status !== 429 || attempt >= 5) break;
      await res.arrayBuffer();
      const wait = Math.min(10, Number(res.headers.get('retry-after')) || 1);
      await sleep(wait * 1000);
    }
    const setCookie = res.headers.get('set-cookie');
    if (setCookie) this.cookie = setCookie.split(';')[0];
    const json = (await res.json()) as { success: boolean; data: T; error?: string };
    if (!json.success) throw new Error(`${method} ${route} → ${res.status} ${json.error}`);
    return json.data;
  }
}

export interface LabServer {
  child: ChildProcess;
  api: Api;
  log: { text: () => string };
}

/**
 * A real Scanopy server (API only, embedded database, no integrated daemon) bound to `bindIp` in the root
 * namespace, with a first account signed in on `api`. Fails fast with the server's output if it exits while starting.
 */
export async function startLabServer(opts: {
  repoRoot: string;
  bindIp: string;
  dataDir: string;
  email: string;
  env?: Record<string, string>;
  keepLog?: number;
}): Promise<LabServer> {
  const port = await freePort(opts.bindIp);
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(opts.repoRoot, 'apps/server/src/main.ts')],
    {
      cwd: opts.repoRoot,
      env: cleanEnv({
        SCANOPY_DATA_DIR: path.join(opts.dataDir, 'server-data'),
        SCANOPY_INTEGRATED_DAEMON: 'false',
        SCANOPY_BIND_ADDRESS: opts.bindIp,
        SCANOPY_SERVER_PORT: String(port),
        SCANOPY_LOG_LEVEL: 'warn',
        // API only: the tests need no web UI, and a missing build must not matter.
        SCANOPY_WEB_DIR: path.join(opts.dataDir, 'no-web'),
        ...opts.env,
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const log = capture(child, opts.keepLog);
  const api = new Api(`http://${opts.bindIp}:${port}`);
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${log.text()}`))),
  );
  // Only the race below cares; a later exit (at teardown) must not count as an unhandled rejection.
  exited.catch(() => undefined);
  await Promise.race([
    exited,
    waitFor(
      'the server to answer /api/health',
      () => api.call('GET', '/api/health').then(() => true),
      180_000,
    ),
  ]);
  await api.call('POST', '/api/auth/register', {
    email: opts.email,
    password: 'LabPassw0rd!',
    terms_accepted: true,
  });
  return { child, api, log };
}
