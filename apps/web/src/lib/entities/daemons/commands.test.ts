import { describe, expect, it } from 'vitest';
import { binaryCommand, composeSnippet, dockerRunCommand, shellQuote } from './commands.ts';

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
    expect(binaryCommand(params)).toMatch(/^node scanopy-daemon\.cjs \\\n {2}--server-url /);
    expect(dockerRunCommand(params)).toContain('-e SCANOPY_DAEMON_API_KEY=scp_d_abc123');
    expect(composeSnippet(params)).toContain('SCANOPY_NAME: "Bob\'s rack"');
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
