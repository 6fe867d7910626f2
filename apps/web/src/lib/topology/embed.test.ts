import { describe, expect, it } from 'vitest';
import { embedAllowedBy } from './embed.ts';

describe('embedAllowedBy', () => {
  it('allows any parent without an allow-list and none when embedding is off', () => {
    expect(embedAllowedBy('frame-ancestors *', 'https://evil.test')).toBe(true);
    expect(embedAllowedBy(null, 'https://evil.test')).toBe(true);
    expect(embedAllowedBy("frame-ancestors 'none'", 'https://wiki.example.com')).toBe(false);
  });

  it('matches listed hosts, ports and wildcards (which also match the bare domain)', () => {
    const policy = 'frame-ancestors wiki.example.com *.example.org intranet:8080';
    expect(embedAllowedBy(policy, 'https://wiki.example.com')).toBe(true);
    expect(embedAllowedBy(policy, 'https://docs.example.org')).toBe(true);
    expect(embedAllowedBy(policy, 'https://example.org')).toBe(true);
    expect(embedAllowedBy(policy, 'http://intranet:8080')).toBe(true);
    expect(embedAllowedBy(policy, 'http://intranet:9090')).toBe(false);
    expect(embedAllowedBy(policy, 'https://evil.test')).toBe(false);
    expect(embedAllowedBy(policy, 'https://notexample.org')).toBe(false);
    expect(embedAllowedBy(policy, null)).toBe(false);
    // Without a port a source means the scheme's default one.
    expect(embedAllowedBy(policy, 'https://wiki.example.com:8443')).toBe(false);
  });

  it('reads the any-port sources the server sends for an allow-list', () => {
    const policy = 'frame-ancestors wiki.example.com:* *.example.org:* example.org:*';
    expect(embedAllowedBy(policy, 'http://wiki.example.com:3000')).toBe(true);
    expect(embedAllowedBy(policy, 'https://wiki.example.com')).toBe(true);
    expect(embedAllowedBy(policy, 'https://docs.example.org:8443')).toBe(true);
    expect(embedAllowedBy(policy, 'https://example.org')).toBe(true);
    expect(embedAllowedBy(policy, 'https://evil.test:3000')).toBe(false);
    expect(embedAllowedBy(policy, 'https://wiki.example.com.evil.test')).toBe(false);
  });
});
