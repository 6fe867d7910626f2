import { describe, expect, it } from 'vitest';
import {
  ADVANCED_DEFAULTS,
  binaryCommand,
  BUNDLE_IN_SERVER_IMAGE,
  bundleFetchCommands,
  composeSnippet,
  dockerRunCommand,
  guessOs,
  installVariants,
  interfacesProblem,
  shellQuote,
  WINDOWS_BUNDLE_PATH,
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

describe('run commands per operating system and advanced settings', () => {
  it('offers Docker only on Linux, where host networking reaches the LAN', () => {
    expect(installVariants('linux')).toEqual(['docker', 'compose', 'binary']);
    expect(installVariants('macos')).toEqual(['binary']);
    expect(installVariants('windows')).toEqual(['binary']);
  });

  it('guesses the OS from the user agent', () => {
    expect(guessOs('Mozilla/5.0 (Windows NT 10.0; Win64; x64)')).toBe('windows');
    expect(guessOs('Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5)')).toBe('macos');
    expect(guessOs('Mozilla/5.0 (X11; Linux x86_64)')).toBe('linux');
    expect(guessOs('Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X)')).toBe('linux');
  });

  it('writes PowerShell on Windows: its bundle path, backtick continuations, doubled quotes, docker cp', () => {
    const text = binaryCommand({ ...params, os: 'windows' });
    expect(text).toMatch(/^node "\$env:LOCALAPPDATA\\Scanopy\\scanopy-daemon\.mjs" `\n {2}--server-url /);
    expect(text).toContain(`--name 'Bob''s rack'`);
    expect(text).not.toContain('\\\n');
    const fetch = bundleFetchCommands('windows');
    expect(fetch).toContain(`docker cp "scanopy-bundle:${BUNDLE_IN_SERVER_IMAGE}" "${WINDOWS_BUNDLE_PATH}"`);
    expect(fetch).not.toContain(' > ');
    expect(binaryCommand({ ...params, os: 'macos' })).toMatch(/^node scanopy-daemon\.mjs \\\n/);
  });

  it('adds only valid advanced values that differ from the defaults, as flags and env vars', () => {
    const defaults = { ...params, advanced: { ...ADVANCED_DEFAULTS } };
    expect(binaryCommand(defaults)).toBe(binaryCommand(params));
    const tuned = {
      ...params,
      advanced: { logLevel: 'debug', heartbeatInterval: 10, scanRatePps: 100, interfaces: 'eth0, eth1 ,' },
    };
    const bin = binaryCommand(tuned);
    for (const flag of [
      '--log-level debug',
      '--heartbeat-interval 10',
      '--scan-rate-pps 100',
      '--interfaces eth0,eth1',
    ]) {
      expect(bin).toContain(flag);
    }
    expect(dockerRunCommand(tuned)).toContain('-e SCANOPY_SCAN_RATE_PPS=100');
    expect(composeSnippet(tuned)).toContain('SCANOPY_LOG_LEVEL: "debug"');
    const invalid = { ...params, advanced: { logLevel: 'loud', heartbeatInterval: 0, scanRatePps: 1.5 } };
    expect(binaryCommand(invalid)).toBe(binaryCommand(params));
    expect(interfacesProblem('eth0, Ethernet 2')).toBeNull();
    expect(interfacesProblem('eth0;rm')).toMatch(/not an interface name/);
  });
});
