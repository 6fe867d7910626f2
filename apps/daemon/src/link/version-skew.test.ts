import { describe, expect, it } from 'vitest';
import { versionSkewWarning } from './version-skew.ts';

describe('version skew between daemon and server', () => {
  const server = { server_version: '0.3.0', minimum_daemon_version: '0.2.0' };

  it('says nothing for a daemon between the minimum and the server', () => {
    expect(versionSkewWarning('0.2.0', server)).toBeNull();
    expect(versionSkewWarning('0.3.0', server)).toBeNull();
  });

  it('asks to upgrade a daemon below the minimum, naming the versions', () => {
    expect(versionSkewWarning('0.1.9', server)).toBe(
      'this daemon (0.1.9) is older than the oldest the server 0.3.0 supports (0.2.0): upgrade the daemon',
    );
  });

  it('asks to upgrade the server when the daemon is newer, comparing numbers not strings', () => {
    expect(versionSkewWarning('0.10.0', server)).toBe(
      'this daemon (0.10.0) is newer than the server (0.3.0): upgrade the server',
    );
  });
});
