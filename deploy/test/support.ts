import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Real processes for the deploy tests: the server started the way a self-hoster starts it (its CLI, on loopback, a
 * fresh data directory), and an HTTP client that keeps the session cookie like a browser.
 */

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const serverMain = path.join(repoRoot, 'apps/server/src/main.ts');

export const unitsDir = path.join(repoRoot, 'deploy/systemd');

/** The `key=value` lines of a unit's [Service] section (a key may repeat). */
export function serviceLines(unit: string): [string, string][] {
  const text = readFileSync(path.join(unitsDir, unit), 'utf8');
  const section = text.split(/^\[Service\]$/m)[1]!.split(/^\[/m)[0]!;
  return section
    .split('\n')
    .filter((l) => /^\w+=/.test(l))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]);
}
export const execStart = (unit: string) =>
  serviceLines(unit)
    .find(([k]) => k === 'ExecStart')![1]
    .split(/\s+/);

export const OWNER = { email: 'owner@example.com', password: 'Correct-Horse-9' };

export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/** A port the kernel just handed out on loopback; free again by the time a server binds it. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export const tempDir = (prefix: string) => mkdtempSync(path.join(tmpdir(), `scanopy-deploy-${prefix}-`));

/** The environment without this shell's SCANOPY_* settings, plus `extra`. */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('SCANOPY_') && !k.startsWith('NETVISOR_')),
  );
  return { ...env, ...extra };
}

/** Runs the server CLI (`node --import tsx apps/server/src/main.ts …`) to completion. */
export function runServerCli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', serverMain, ...args], {
      cwd: repoRoot,
      env: cleanEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

export interface ServerProcess {
  base: string;
  dataDir: string;
  child: ChildProcess;
  log(): string;
  /** Resolves with the exit code and signal when the process ends. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL after 15 s; also ends the integrated daemon if it outlived the server. */
  stop(): Promise<void>;
}

/**
 * Starts `node --import tsx apps/server/src/main.ts` (node itself, not npx, so signals reach the server) on loopback
 * and waits for its "listening" line. The integrated daemon is off unless `env` turns it on. The server leads its
 * own process group, so stop() also ends an integrated daemon that outlived it.
 */
export async function startServer(
  dataDir: string,
  env: Record<string, string> = {},
  /** What node runs: the sources through tsx by default, or a bundle. */
  entry: string[] = ['--import', 'tsx', serverMain],
): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, entry, {
    cwd: repoRoot,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: cleanEnv({
      SCANOPY_DATA_DIR: dataDir,
      SCANOPY_SERVER_PORT: String(port),
      SCANOPY_BIND_ADDRESS: '127.0.0.1',
      SCANOPY_INTEGRATED_DAEMON: 'false',
      SCANOPY_WEB_DIR: path.join(dataDir, 'no-web'),
      SCANOPY_LOG_LEVEL: 'info',
      ...env,
    }),
  });
  let log = '';
  const append = (c: Buffer) => (log = (log + c.toString()).slice(-64 * 1024));
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // ESRCH: the group is gone.
    }
  };
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      if (!(await Promise.race([exited.then(() => true), delay(15_000).then(() => false)])))
        killGroup('SIGKILL');
    }
    killGroup('SIGKILL');
  };
  const listening = `Scanopy server listening on http://127.0.0.1:${port}`;
  const up = await Promise.race([
    (async () => {
      while (!log.includes(listening)) {
        if (child.exitCode !== null) return false;
        await delay(50);
      }
      return true;
    })(),
    exited.then(() => false),
    delay(90_000).then(() => false),
  ]);
  if (!up) {
    await stop();
    throw new Error(`the server did not start on port ${port}:\n${log.slice(-4000)}`);
  }
  return { base: `http://127.0.0.1:${port}`, dataDir, child, log: () => log, exited, stop };
}

/** The API with a session cookie (or a bearer key), unwrapping the `{ success, data }` envelope. */
export class Api {
  private cookie = '';
  constructor(
    readonly base: string,
    private readonly bearer?: string,
  ) {}

  async call<T = unknown>(method: string, url: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.base}${url}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(this.cookie ? { cookie: this.cookie } : {}),
        ...(this.bearer ? { authorization: `Bearer ${this.bearer}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const set = res.headers.getSetCookie().find((c) => c.startsWith('session_id='));
    if (set) this.cookie = set.split(';')[0]!;
    const text = await res.text();
    const json = (text ? JSON.parse(text) : undefined) as { success?: boolean; data: T } | undefined;
    if (!res.ok || json?.success === false) throw new Error(`${method} ${url} → ${res.status}: ${text}`);
    return json!.data;
  }

  /** Creates the first account (owner of a new organization) and returns its default network's id. */
  async createOwner(): Promise<string> {
    await this.call('POST', '/api/auth/register', { ...OWNER, terms_accepted: true });
    const networks = await this.call<{ id: string }[]>('GET', '/api/v1/networks');
    return networks[0]!.id;
  }

  async login(): Promise<void> {
    await this.call('POST', '/api/auth/login', OWNER);
  }
}

/** Polls `fn` until it returns a value other than undefined/false, or fails with `what` after `ms`. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  ms = 60_000,
): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    await delay(250);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}
