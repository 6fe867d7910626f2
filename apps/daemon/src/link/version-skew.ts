/** What the server says about versions at registration and startup (ServerCapabilities). */
export interface ServerVersions {
  server_version: string;
  minimum_daemon_version: string;
}

function parts(v: string): number[] {
  return v.split(/[.-]/, 3).map((x) => Number.parseInt(x, 10) || 0);
}

function cmp(a: string, b: string): number {
  const pa = parts(a);
  const pb = parts(b);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

/**
 * The warning to log when this daemon and its server are of releases that should not be paired, or null. The daemon
 * keeps working either way (the protocol is unversioned); the Daemons page shows the same skew.
 */
export function versionSkewWarning(daemonVersion: string, server: ServerVersions): string | null {
  if (cmp(daemonVersion, server.minimum_daemon_version) < 0) {
    return `this daemon (${daemonVersion}) is older than the oldest the server ${server.server_version} supports (${server.minimum_daemon_version}): upgrade the daemon`;
  }
  if (cmp(daemonVersion, server.server_version) > 0) {
    return `this daemon (${daemonVersion}) is newer than the server (${server.server_version}): upgrade the server`;
  }
  return null;
}
