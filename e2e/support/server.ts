import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const webBuild = path.join(repoRoot, 'apps/web/build');

/** A port the kernel just handed out on loopback; free again by the time the server binds it. */
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

/** The root test script builds the web app first; a direct run of this suite builds it once if it is missing. */
export function ensureWebBuild(): void {
  if (existsSync(path.join(webBuild, 'index.html'))) return;
  execFileSync('npm', ['run', 'build', '-w', 'apps/web'], {
    cwd: repoRoot,
    stdio: 'inherit',
    timeout: 300_000,
  });
}

export interface RunningServer {
  baseUrl: string;
  dataDir: string;
  /** The last part of the server's (and its daemon's) output, for failure messages. */
  logTail(): string;
  /**
   * Stops the server (and its daemon) but keeps the data, then, when `resume` resolves, starts it again on the same
   * port and data dir: for tests of a UI that must recover when the server goes away and comes back.
   */
  restart(resume?: () => Promise<void>): Promise<void>;
  stop(): Promise<void>;
}

const LOG_LIMIT = 64 * 1024;

/**
 * Starts `npx tsx apps/server/src/main.ts` on a fresh data dir and waits for its "listening" line. It runs in its
 * own process group so stop() also ends the integrated daemon the server spawned, even if the server hangs.
 * `extraEnv` may depend on the server's base URL (e.g. SCANOPY_PUBLIC_URL for mailed links).
 */
export async function startServer(
  extraEnv: Record<string, string> | ((baseUrl: string) => Record<string, string>) = {},
): Promise<RunningServer> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'scanopy-e2e-'));
  const port = await freePort();
  const daemonPort = await freePort();
  const env = {
    ...process.env,
    SCANOPY_DATA_DIR: dataDir,
    SCANOPY_SERVER_PORT: String(port),
    SCANOPY_BIND_ADDRESS: '127.0.0.1',
    SCANOPY_WEB_DIR: webBuild,
    SCANOPY_INTEGRATED_DAEMON: 'true',
    SCANOPY_INTEGRATED_DAEMON_PORT: String(daemonPort),
    SCANOPY_DAEMON_HEARTBEAT_INTERVAL: '2',
    ...(typeof extraEnv === 'function' ? extraEnv(`http://127.0.0.1:${port}`) : extraEnv),
  };

  let log = '';
  const append = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-LOG_LIMIT);
  };

  let child: ChildProcess;
  let exited: Promise<void>;
  const launch = async () => {
    child = spawn('npx', ['tsx', 'apps/server/src/main.ts'], {
      cwd: repoRoot,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env,
    });
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    const proc = child;
    exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    const listening = `Scanopy server listening on http://127.0.0.1:${port}`;
    return Promise.race([
      new Promise<boolean>((resolve) => {
        // The log starts empty at each launch (restart clears it), so an earlier run's line never counts.
        const check = () => {
          if (log.includes(listening)) {
            proc.stdout?.off('data', check);
            resolve(true);
          }
        };
        proc.stdout?.on('data', check);
      }),
      exited.then(() => false),
      delay(120_000).then(() => false),
    ]);
  };

  const halt = async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid) {
      killGroup(child.pid, 'SIGTERM');
      const done = await Promise.race([exited.then(() => true), delay(15_000).then(() => false)]);
      if (!done) killGroup(child.pid, 'SIGKILL');
    }
    // The server may have exited while its daemon lingers in the group.
    if (child.pid) killGroup(child.pid, 'SIGKILL');
  };

  const stop = async () => {
    await halt();
    rmSync(dataDir, { recursive: true, force: true });
  };

  const restart = async (resume?: () => Promise<void>) => {
    await halt();
    log = '';
    await resume?.();
    if (!(await launch()))
      throw new Error(`the server did not restart on port ${port}; its output:\n${log.slice(-4000)}`);
  };

  if (!(await launch())) {
    await stop();
    throw new Error(`the server did not start listening on port ${port}; its output:\n${log.slice(-4000)}`);
  }
  return { baseUrl: `http://127.0.0.1:${port}`, dataDir, logTail: () => log.slice(-4000), restart, stop };
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
