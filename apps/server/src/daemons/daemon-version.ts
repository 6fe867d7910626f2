import { SERVER_VERSION } from '../version.ts';

export const MINIMUM_DAEMON_VERSION = '0.1.0';

function cmp(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

/**
 * Below the minimum: Deprecated; below the server's own version or unknown: Outdated; else Current (with a notice
 * when newer than the server).
 */
export function daemonVersionStatus(version: string | null) {
  if (!version || !/^\d+\.\d+\.\d+/.test(version)) {
    return {
      status: 'Outdated' as const,
      warnings: [{ message: 'Daemon version is unknown', severity: 'Warning' as const }],
    };
  }
  if (cmp(version, MINIMUM_DAEMON_VERSION) < 0) {
    return {
      status: 'Deprecated' as const,
      version,
      warnings: [
        {
          message: `Daemon ${version} is older than the minimum ${MINIMUM_DAEMON_VERSION}`,
          severity: 'Critical' as const,
        },
      ],
    };
  }
  if (cmp(version, SERVER_VERSION) < 0) {
    return {
      status: 'Outdated' as const,
      version,
      warnings: [
        {
          message: `Daemon ${version} is older than the server ${SERVER_VERSION}`,
          severity: 'Warning' as const,
        },
      ],
    };
  }
  // The reference's statuses have no word for it, so a newer daemon stays Current with a notice: it may send what
  // this server does not know yet (upgrade the server first, docs/deployment.md).
  if (cmp(version, SERVER_VERSION) > 0) {
    return {
      status: 'Current' as const,
      version,
      warnings: [
        {
          message: `Daemon ${version} is newer than the server ${SERVER_VERSION}; upgrade the server`,
          severity: 'Info' as const,
        },
      ],
    };
  }
  return { status: 'Current' as const, version, warnings: [] };
}

/** What the server tells a daemon about itself (registration, startup, server_poll first contact). */
export const serverCapabilities = () => ({
  server_version: SERVER_VERSION,
  minimum_daemon_version: MINIMUM_DAEMON_VERSION,
  deprecation_warnings: [],
});

/** The reference accepts the v0.13 names as aliases. */
export function normalizeMode(mode: string): 'daemon_poll' | 'server_poll' {
  const m = mode.toLowerCase();
  if (m === 'server_poll' || m === 'push') return 'server_poll';
  return 'daemon_poll';
}
