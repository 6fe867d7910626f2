import { describe, expect, it } from 'vitest';
import {
  binaryCommand,
  BUNDLE_IN_SERVER_IMAGE,
  bundleFetchCommands,
  composeSnippet,
  dockerRunCommand,
  shellQuote,
} from './commands.ts';

const params = {
  serverUrl: 'http://scanopy.lan:60072',
  networkId: '0b3c7f0e-2f0a-4f51-9d1d-3c2a1b0e9f11',
  apiKey: 'scp_d_abc123',
  name: "Bob's rack",
  mode: 'daemon_poll' as const,
};

describe('daemon run commands', () => {
  it('fills the server URL, network, key and name into every variant', () => {
    for (const text of [binaryCommand(params), dockerRunCommand(params), composeSnippet(params)]) {
      expect(text).toContain('http://scanopy.lan:60072');
      expect(text).toContain(params.networkId);
      expect(text).toContain('scp_d_abc123');
      expect(text).toContain('daemon_poll');
    }
    expect(binaryCommand(params)).toMatch(/^node scanopy-daemon\.mjs \\\n {2}--server-url /);
    expect(dockerRunCommand(params)).toContain('-e SCANOPY_DAEMON_API_KEY=scp_d_abc123');
    expect(composeSnippet(params)).toContain('SCANOPY_NAME: "Bob\'s rack"');
  });

  it("runs the images and bundle of deploy/: unprivileged, host network, state in the image's volume", () => {
    for (const text of [dockerRunCommand(params), composeSnippet(params)]) {
      expect(text).not.toMatch(/cap[-_]add|privileged/);
      expect(text).toContain('scanopy-daemon-config:/var/lib/scanopy-daemon');
      expect(text).toContain('scanopy/daemon:latest');
    }
    expect(dockerRunCommand(params)).toContain('--network host');
    expect(composeSnippet(params)).toContain('network_mode: host');
    expect(bundleFetchCommands()).toContain(`${BUNDLE_IN_SERVER_IMAGE} > scanopy-daemon.mjs`);
    expect(bundleFetchCommands()).toContain('deploy/bundle.ts daemon');
  });

  it('quotes values for the shell', () => {
    expect(shellQuote('plain-value_1.2')).toBe('plain-value_1.2');
    expect(shellQuote("Bob's rack")).toBe(`'Bob'\\''s rack'`);
    expect(binaryCommand(params)).toContain(`--name 'Bob'\\''s rack'`);
  });

  it('adds the listen port in server_poll mode only', () => {
    expect(binaryCommand(params)).not.toContain('--daemon-port');
    const sp = { ...params, mode: 'server_poll' as const, daemonPort: 61000 };
    expect(binaryCommand(sp)).toContain('--daemon-port 61000');
    expect(composeSnippet(sp)).toContain('SCANOPY_DAEMON_PORT: "61000"');
  });
});
