import type { DaemonMode } from '@scanopy/contracts';

/**
 * The run commands the create-daemon wizard shows, matching deploy/ (docs/deployment.md): the single-file bundle
 * built by deploy/bundle.ts, the daemon image of deploy/docker/daemon.Dockerfile and its state volume. Kept here, in
 * one small module, so the packaging can change in one place. Every value comes from the server's provisioning
 * answer or the wizard's fields.
 */
export const DAEMON_BUNDLE = 'scanopy-daemon.mjs';
export const DAEMON_IMAGE = 'scanopy/daemon:latest';
export const SERVER_IMAGE = 'scanopy/server:latest';
/** Where the server image keeps the daemon bundle (it runs it as the integrated daemon). */
export const BUNDLE_IN_SERVER_IMAGE = '/app/apps/daemon/dist/scanopy-daemon.mjs';
/** The daemon image keeps its id and key here (SCANOPY_CONFIG_PATH). */
const DAEMON_STATE = '/var/lib/scanopy-daemon';
export const DEFAULT_DAEMON_PORT = 60073;

/** The operating system of the machine the daemon will run on; it picks the shell and the ways to run it. */
export type DaemonOs = 'linux' | 'macos' | 'windows';

/** The guess for the machine in front of the user (the wizard's first choice; the daemon often runs elsewhere). */
export function guessOs(userAgent: string): DaemonOs {
  if (/Windows/i.test(userAgent)) return 'windows';
  if (/Mac OS X|Macintosh/i.test(userAgent) && !/iPhone|iPad/i.test(userAgent)) return 'macos';
  return 'linux';
}

export type InstallVariant = 'docker' | 'compose' | 'binary';

/**
 * How the daemon can run on each OS. Docker with host networking (the daemon must see the LAN) exists only on Linux:
 * Docker Desktop on macOS and Windows runs containers in a VM whose network is not the LAN, so there the bundle runs
 * on the machine itself.
 */
export function installVariants(os: DaemonOs): InstallVariant[] {
  return os === 'linux' ? ['docker', 'compose', 'binary'] : ['binary'];
}

/** Optional daemon settings of the wizard's Advanced section; only valid values that differ from the default go out. */
export interface AdvancedSettings {
  logLevel?: string;
  heartbeatInterval?: number;
  scanRatePps?: number;
  /** Comma-separated interface names. */
  interfaces?: string;
}

/** The daemon's defaults (apps/daemon config keys) and accepted ranges, for the Advanced fields. */
export const ADVANCED_DEFAULTS = {
  logLevel: 'info',
  heartbeatInterval: 30,
  scanRatePps: 500,
  interfaces: '',
};
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export const HEARTBEAT_RANGE = { min: 1, max: 86_400 };
export const SCAN_RATE_RANGE = { min: 0, max: 1_000_000 };

export interface InstallParams {
  serverUrl: string;
  networkId: string;
  apiKey: string;
  name: string;
  mode: DaemonMode;
  /** server_poll only: the port the daemon listens on for the server. */
  daemonPort?: number;
  /** Linux when omitted. */
  os?: DaemonOs;
  advanced?: AdvancedSettings;
}

/** Single-quoted for POSIX shells (a name with spaces or quotes stays one argument). */
export function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

function settings(p: InstallParams): [flag: string, env: string, value: string][] {
  const out: [string, string, string][] = [
    ['--server-url', 'SCANOPY_SERVER_URL', p.serverUrl],
    ['--network-id', 'SCANOPY_NETWORK_ID', p.networkId],
    ['--daemon-api-key', 'SCANOPY_DAEMON_API_KEY', p.apiKey],
    ['--name', 'SCANOPY_NAME', p.name],
    ['--mode', 'SCANOPY_MODE', p.mode],
  ];
  if (p.mode === 'server_poll') {
    out.push(['--daemon-port', 'SCANOPY_DAEMON_PORT', String(p.daemonPort ?? DEFAULT_DAEMON_PORT)]);
  }
  const a = p.advanced ?? {};
  const inRange = (n: number | undefined, r: { min: number; max: number }) =>
    n !== undefined && Number.isInteger(n) && n >= r.min && n <= r.max;
  if (a.logLevel && a.logLevel !== ADVANCED_DEFAULTS.logLevel && LOG_LEVELS.some((l) => l === a.logLevel)) {
    out.push(['--log-level', 'SCANOPY_LOG_LEVEL', a.logLevel]);
  }
  if (
    inRange(a.heartbeatInterval, HEARTBEAT_RANGE) &&
    a.heartbeatInterval !== ADVANCED_DEFAULTS.heartbeatInterval
  ) {
    out.push(['--heartbeat-interval', 'SCANOPY_HEARTBEAT_INTERVAL', String(a.heartbeatInterval)]);
  }
  if (inRange(a.scanRatePps, SCAN_RATE_RANGE) && a.scanRatePps !== ADVANCED_DEFAULTS.scanRatePps) {
    out.push(['--scan-rate-pps', 'SCANOPY_SCAN_RATE_PPS', String(a.scanRatePps)]);
  }
  const interfaces = interfaceList(a.interfaces ?? '');
  if (interfaces.length) out.push(['--interfaces', 'SCANOPY_INTERFACES', interfaces.join(',')]);
  return out;
}

/** Interface names of the Advanced field (comma-separated, blanks dropped). */
export function interfaceList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Why an interface list is not valid, or null (names as `ip link`, `ifconfig` and Windows show them). */
export function interfacesProblem(text: string): string | null {
  const bad = interfaceList(text).find((n) => !/^[\w .@:()-]{1,64}$/.test(n));
  return bad ? `“${bad}” is not an interface name (e.g. eth0, en0, Ethernet 2).` : null;
}

/** Single-quoted for PowerShell (a quote inside is doubled). */
export function powershellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, "''")}'`;
}

/** Where the Windows instructions put the bundle. */
export const WINDOWS_BUNDLE_PATH = '$env:LOCALAPPDATA\\Scanopy\\scanopy-daemon.mjs';

/**
 * Two ways to get the bundle: out of the server image, or built from a clone of the repository. PowerShell gets
 * `docker cp` (its `>` re-encodes the file as UTF-16 in Windows PowerShell 5.1).
 */
export function bundleFetchCommands(os: DaemonOs = 'linux'): string {
  const build = `npm ci && node --import tsx deploy/bundle.ts daemon  (→ apps/daemon/dist/${DAEMON_BUNDLE})`;
  if (os === 'windows') {
    return [
      `New-Item -ItemType Directory -Force "$env:LOCALAPPDATA\\Scanopy" | Out-Null`,
      `docker create --name scanopy-bundle ${SERVER_IMAGE}`,
      `docker cp "scanopy-bundle:${BUNDLE_IN_SERVER_IMAGE}" "${WINDOWS_BUNDLE_PATH}"`,
      'docker rm scanopy-bundle',
      `# or, in a clone: ${build}`,
    ].join('\n');
  }
  return [
    `docker run --rm --entrypoint cat ${SERVER_IMAGE} ${BUNDLE_IN_SERVER_IMAGE} > ${DAEMON_BUNDLE}`,
    `# or, in a clone: ${build}`,
  ].join('\n');
}

/**
 * Runs the single-file bundle with Node.js 20+ (nothing else needed, no root): a POSIX shell command on Linux and
 * macOS, a PowerShell one (backtick line continuations) on Windows.
 */
export function binaryCommand(p: InstallParams): string {
  if (p.os === 'windows') {
    const flags = settings(p).map(([flag, , value]) => `  ${flag} ${powershellQuote(value)}`);
    return [`node "${WINDOWS_BUNDLE_PATH}"`, ...flags].join(' `\n');
  }
  const flags = settings(p).map(([flag, , value]) => `  ${flag} ${shellQuote(value)}`);
  return [`node ${DAEMON_BUNDLE}`, ...flags].join(' \\\n');
}

/**
 * Host networking and the Docker socket (read-only) let it see the LAN and the containers; discovery needs no
 * capabilities (the image runs the daemon unprivileged).
 */
export function dockerRunCommand(p: InstallParams): string {
  return [
    'docker run -d --name scanopy-daemon --restart unless-stopped',
    '  --network host',
    `  -v scanopy-daemon-config:${DAEMON_STATE}`,
    '  -v /var/run/docker.sock:/var/run/docker.sock:ro',
    ...settings(p).map(([, env, value]) => `  -e ${env}=${shellQuote(value)}`),
    `  ${DAEMON_IMAGE}`,
  ].join(' \\\n');
}

function yamlString(value: string): string {
  return JSON.stringify(value);
}

export function composeSnippet(p: InstallParams): string {
  return [
    'services:',
    '  scanopy-daemon:',
    `    image: ${DAEMON_IMAGE}`,
    '    restart: unless-stopped',
    '    network_mode: host',
    '    environment:',
    ...settings(p).map(([, env, value]) => `      ${env}: ${yamlString(value)}`),
    '    volumes:',
    `      - scanopy-daemon-config:${DAEMON_STATE}`,
    '      - /var/run/docker.sock:/var/run/docker.sock:ro',
    'volumes:',
    '  scanopy-daemon-config:',
  ].join('\n');
}
