import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

/**
 * Network-namespace lab (ARCHITECTURE.md §9). Every name carries a per-run prefix
 * (`sc<pid base36>_<n>`) so parallel runs never collide and leftovers of a crashed run can be found;
 * every address must lie in 10.77.0.0/16 so a test can never touch a real network.
 */

export const LAB_RANGE = '10.77.0.0/16';
/** Linux interface names are at most 15 bytes (IFNAMSIZ − 1). */
const IFNAME_MAX = 15;

export class LabError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LabError';
  }
}

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion and collects its output; never rejects on a non-zero exit. */
export function runCommand(
  cmd: string,
  args: readonly string[],
  options: SpawnOptions = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `ip …`, throwing with iproute2's message on failure. */
export async function ip(...args: string[]): Promise<string> {
  const res = await runCommand('ip', args);
  if (res.code !== 0)
    throw new LabError(`ip ${args.join(' ')} failed: ${res.stderr.trim() || `exit ${res.code}`}`);
  return res.stdout;
}

/** Whether this process can create network namespaces (root or CAP_SYS_ADMIN, iproute2 present). */
export async function netnsAvailable(): Promise<{ ok: true } | { ok: false; reason: string }> {
  if (process.platform !== 'linux') return { ok: false, reason: 'network namespaces need Linux' };
  const probe = `scprobe${process.pid.toString(36)}`;
  try {
    await ip('netns', 'add', probe);
  } catch (err) {
    return {
      ok: false,
      reason: `cannot create a network namespace (need root and iproute2): ${(err as Error).message}`,
    };
  }
  await ip('netns', 'del', probe).catch(() => undefined);
  return { ok: true };
}

function ipv4ToInt(addr: string): number {
  const parts = addr.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new LabError(`"${addr}" is not an IPv4 address`);
  }
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

/** Throws unless `cidr` (a.b.c.d/n) lies entirely inside 10.77.0.0/16. */
export function assertLabAddress(cidr: string): void {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(cidr);
  if (!m) throw new LabError(`"${cidr}" must be written as address/prefix`);
  const prefix = Number(m[2]);
  const inRange = (ipv4ToInt(m[1]) & 0xffff0000) >>> 0 === ipv4ToInt('10.77.0.0');
  if (!inRange || prefix < 16 || prefix > 32)
    throw new LabError(`${cidr} is outside the lab range ${LAB_RANGE}`);
}

let labCounter = 0;

export function uniquePrefix(): string {
  return `sc${process.pid.toString(36)}_${(labCounter++).toString(36)}`;
}

interface VethSpec {
  /** Namespace (full name, from addNamespace) that receives one end. */
  ns: string;
  /** Interface name inside the namespace, e.g. eth0. */
  nsIfname: string;
  /** Address of the namespace end, e.g. 10.77.1.2/24. */
  nsAddress?: string;
  /** Short suffix for the host end; the host end is named `<prefix><suffix>`. */
  hostSuffix: string;
  /** Address of the host (root namespace) end, or a bridge to enslave it to. */
  hostAddress?: string;
  bridge?: string;
}

/** A set of namespaces, links and processes owned by one test run; teardown() removes them all. */
export class NetnsLab {
  private readonly namespaces = new Set<string>();
  private readonly rootLinks = new Set<string>();
  private readonly children = new Set<ChildProcess>();

  constructor(readonly prefix: string = uniquePrefix()) {}

  /** `<prefix><suffix>`, checked against the kernel's interface-name limit. */
  name(suffix: string): string {
    const full = `${this.prefix}${suffix}`;
    if (full.length > IFNAME_MAX)
      throw new LabError(`lab name "${full}" is longer than ${IFNAME_MAX} characters`);
    return full;
  }

  async addNamespace(suffix: string): Promise<string> {
    const ns = this.name(suffix);
    await ip('netns', 'add', ns);
    this.namespaces.add(ns);
    await ip('-n', ns, 'link', 'set', 'lo', 'up');
    return ns;
  }

  /** A Linux bridge in the root namespace, optionally with an address. */
  async addBridge(suffix: string, address?: string): Promise<string> {
    if (address) assertLabAddress(address);
    const br = this.name(suffix);
    await ip('link', 'add', br, 'type', 'bridge');
    this.rootLinks.add(br);
    if (address) await ip('addr', 'add', address, 'dev', br);
    await ip('link', 'set', br, 'up');
    return br;
  }

  /** A veth pair from the root namespace into `spec.ns`, both ends up and addressed. */
  async addVeth(spec: VethSpec): Promise<{ hostIfname: string; nsIfname: string }> {
    if (spec.nsAddress) assertLabAddress(spec.nsAddress);
    if (spec.hostAddress) assertLabAddress(spec.hostAddress);
    const hostIfname = this.name(spec.hostSuffix);
    await ip('link', 'add', hostIfname, 'type', 'veth', 'peer', 'name', spec.nsIfname, 'netns', spec.ns);
    this.rootLinks.add(hostIfname);
    if (spec.nsAddress) await ip('-n', spec.ns, 'addr', 'add', spec.nsAddress, 'dev', spec.nsIfname);
    await ip('-n', spec.ns, 'link', 'set', spec.nsIfname, 'up');
    if (spec.bridge) await ip('link', 'set', hostIfname, 'master', spec.bridge);
    if (spec.hostAddress) await ip('addr', 'add', spec.hostAddress, 'dev', hostIfname);
    await ip('link', 'set', hostIfname, 'up');
    return { hostIfname, nsIfname: spec.nsIfname };
  }

  /** Adds an address (inside the lab range) to an interface of a namespace, or of the root namespace. */
  async addAddress(ifname: string, cidr: string, ns?: string): Promise<void> {
    assertLabAddress(cidr);
    await ip(...(ns ? ['-n', ns] : []), 'addr', 'add', cidr, 'dev', ifname);
  }

  /** Starts `cmd` inside the namespace; the process is killed at teardown if still running. */
  spawnIn(ns: string, cmd: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
    this.assertOwned(ns);
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], options);
    this.children.add(child);
    child.on('exit', () => this.children.delete(child));
    return child;
  }

  /** Runs `cmd` inside the namespace to completion. */
  runIn(
    ns: string,
    cmd: string,
    args: readonly string[],
    options: SpawnOptions = {},
  ): Promise<CommandResult> {
    this.assertOwned(ns);
    return runCommand('ip', ['netns', 'exec', ns, cmd, ...args], options);
  }

  /** Removes everything this lab created. Safe to call twice, or after a partial setup. */
  async teardown(): Promise<void> {
    await Promise.all([...this.children].map((child) => stopChild(child)));
    this.children.clear();
    // Deleting a namespace destroys the veth ends inside it, and with them their root-side peers.
    for (const ns of this.namespaces) await ip('netns', 'del', ns).catch(() => undefined);
    this.namespaces.clear();
    for (const link of this.rootLinks) {
      if (await linkExists(link)) await ip('link', 'del', link).catch(() => undefined);
    }
    this.rootLinks.clear();
  }

  private assertOwned(ns: string): void {
    if (!this.namespaces.has(ns)) throw new LabError(`namespace ${ns} does not belong to this lab`);
  }
}

async function linkExists(name: string): Promise<boolean> {
  return (await runCommand('ip', ['link', 'show', 'dev', name])).code === 0;
}

/** SIGTERM, then SIGKILL if the process is still alive after `graceMs`. */
export function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes namespaces and root links left by lab runs whose process has died (a crashed or killed
 * test never reached its teardown). Names of live processes are left alone.
 */
export async function sweepStaleLabs(): Promise<string[]> {
  const removed: string[] = [];
  const owner = (name: string): number | null => {
    const m = /^sc([0-9a-z]+)_/.exec(name);
    return m ? parseInt(m[1], 36) : null;
  };
  const stale = (name: string) => {
    const pid = owner(name);
    return pid !== null && pid !== process.pid && !pidAlive(pid);
  };
  const nsList = (await runCommand('ip', ['netns', 'list'])).stdout;
  for (const line of nsList.split('\n')) {
    const ns = line.split(' ')[0];
    if (ns && stale(ns) && (await runCommand('ip', ['netns', 'del', ns])).code === 0) removed.push(ns);
  }
  const links = (await runCommand('ip', ['-o', 'link', 'show'])).stdout;
  for (const line of links.split('\n')) {
    const name = /^\d+:\s+([^:@\s]+)/.exec(line)?.[1];
    if (name && stale(name) && (await runCommand('ip', ['link', 'del', name])).code === 0) removed.push(name);
  }
  return removed;
}
