import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const benchDir = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.dirname(benchDir);
export const backends = ['pglite', 'postgres'] as const;
export type Backend = (typeof backends)[number];

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
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(benchDir, 'server-child.ts')], {
    cwd: repoRoot,
    env: { ...process.env, BENCH_ARGS: JSON.stringify(args) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
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
