import { describe, expect, it } from 'vitest';
import { SERVER_VERSION } from '../version.ts';
import { daemonVersionStatus, MINIMUM_DAEMON_VERSION } from './daemon-version.ts';

const bump = (v: string, part: 0 | 1 | 2, by: number) => {
  const p = v.split('.').map(Number);
  p[part] = p[part]! + by;
  return p.join('.');
};

describe('daemon version skew', () => {
  it('is Current without a warning for the server’s own version', () => {
    expect(daemonVersionStatus(SERVER_VERSION)).toEqual({
      status: 'Current',
      version: SERVER_VERSION,
      warnings: [],
    });
  });

  it('flags a daemon below the minimum as Deprecated, critically', () => {
    const status = daemonVersionStatus('0.0.1');
    expect(status.status).toBe('Deprecated');
    expect(status.warnings).toEqual([
      { message: `Daemon 0.0.1 is older than the minimum ${MINIMUM_DAEMON_VERSION}`, severity: 'Critical' },
    ]);
  });

  it('keeps a newer daemon Current but says the server should be upgraded', () => {
    const newer = bump(SERVER_VERSION, 1, 1);
    expect(daemonVersionStatus(newer)).toEqual({
      status: 'Current',
      version: newer,
      warnings: [
        {
          message: `Daemon ${newer} is newer than the server ${SERVER_VERSION}; upgrade the server`,
          severity: 'Info',
        },
      ],
    });
  });

  it('treats a missing or malformed version as Outdated with a warning, never silently', () => {
    for (const v of [null, '', 'dev']) {
      const status = daemonVersionStatus(v);
      expect(status.status).toBe('Outdated');
      expect(status.warnings[0]!.message).toBe('Daemon version is unknown');
    }
  });
});
