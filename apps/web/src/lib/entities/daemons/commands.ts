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

export interface InstallParams {
  serverUrl: string;
  networkId: string;
  apiKey: string;
  name: string;
  mode: DaemonMode;
  /** server_poll only: the port the daemon listens on for the server. */
  daemonPort?: number;
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
  return out;
}

/** Two ways to get the bundle: out of the server image, or built from a clone of the repository. */
export function bundleFetchCommands(): string {
  return [
    `docker run --rm --entrypoint cat ${SERVER_IMAGE} ${BUNDLE_IN_SERVER_IMAGE} > ${DAEMON_BUNDLE}`,
    `# or, in a clone: npm ci && node --import tsx deploy/bundle.ts daemon  (→ apps/daemon/dist/${DAEMON_BUNDLE})`,
  ].join('\n');
}

/** Runs the single-file bundle with Node.js 20+ (nothing else needed, no root). */
export function binaryCommand(p: InstallParams): string {
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
