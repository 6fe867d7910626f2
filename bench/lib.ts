import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const benchDir = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.dirname(benchDir);
const allBackends = ['pglite', 'postgres'] as const;
export type Backend = (typeof allBackends)[number];
/** Both database backends, or the ones named in BENCH_BACKENDS (comma-separated), e.g. `BENCH_BACKENDS=postgres`. */
export const backends: readonly Backend[] = process.env.BENCH_BACKENDS
  ? allBackends.filter((b) => process.env.BENCH_BACKENDS!.split(',').includes(b))
  : allBackends;

/** What the server child answers once it listens. */
export interface Ready {
  port: number;
  key: string;
  seedSeconds: number;
}

/**
 * Runs bench/server-child.ts in its own process (so its RSS and event loop are its own) and waits until it
 * listens on 127.0.0.1.
 */
export async function startChild(args: Record<string, string | number | boolean>) {
  // BENCH_CPU_PROF=<dir>: the server child writes a V8 CPU profile there when it stops (node --cpu-prof).
  const prof = process.env.BENCH_CPU_PROF
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
    : [];
  const child = spawn(
    process.execPath,
    [...prof, '--import', 'tsx', path.join(benchDir, 'server-child.ts')],
    {
      cwd: repoRoot,
      env: { ...process.env, BENCH_ARGS: JSON.stringify(args) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const ready = await new Promise<Ready>((resolve, reject) => {
    child.once('message', (m) => resolve(m as Ready));
    child.once('exit', (code) => reject(new Error(`server child exited with ${code}`)));
  });
  return { child, ...ready, stop: () => stopChild(child) };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.send('stop');
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}

/** Resident set of a process from /proc, in bytes: current (VmRSS) and peak since start (VmHWM). */
export function rss(pid: number): { now: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { now: kb('VmRSS'), peak: kb('VmHWM') };
}

/**
 * CPU time a process has used so far (user + system, all threads), in ms, from /proc/<pid>/stat. Read before and after
 * a load run, it gives CPU per request: a figure that moves far less with other load on a shared machine than req/s.
 */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of stat (11 and 12 after the command name), in clock ticks of 10 ms.
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

export const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
export const today = () => new Date().toISOString().slice(0, 10);

/**
 * Writes bench/results/<name>-<date>.json and adds one row per result to the results table in docs/benchmarks.md,
 * right after its last row (the table is followed by prose, so appending to the file would break it).
 */
export function record(name: string, result: unknown, tableRows: string[]): string {
  const dir = path.join(benchDir, 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}-${today()}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  const doc = path.join(repoRoot, 'docs/benchmarks.md');
  if (existsSync(doc) && tableRows.length) {
    writeFileSync(doc, insertTableRows(readFileSync(doc, 'utf8'), tableRows));
    // The table's columns are aligned by Prettier, which `npm run lint` checks: keep the file formatted.
    execFileSync('npx', ['prettier', '--write', doc, file], { cwd: repoRoot, stdio: 'ignore' });
  }
  return file;
}

/** `markdown` with `rows` inserted after the last row of the first table under "## Results". */
export function insertTableRows(markdown: string, rows: readonly string[]): string {
  const lines = markdown.split('\n');
  const heading = lines.findIndex((l) => /^## Results\b/.test(l));
  const header = lines.findIndex((l, i) => i > heading && l.startsWith('|'));
  if (heading < 0 || header < 0) throw new Error('docs/benchmarks.md has no table under "## Results"');
  let last = header;
  while (last + 1 < lines.length && lines[last + 1].startsWith('|')) last++;
  lines.splice(last + 1, 0, ...rows);
  return lines.join('\n');
}
