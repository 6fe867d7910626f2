import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, repoRoot, serverSettings } from '../src/config.ts';

describe('server configuration', () => {
  it('uses the documented defaults', () => {
    const c = loadConfig({});
    expect(c.serverPort).toBe(60072);
    expect(c.integratedDaemon).toBe(true);
    expect(c.databaseUrl).toBeUndefined();
    expect(c.dataDir).toBe(path.resolve('./data'));
  });

  it('reads values and *_FILE secrets from the environment', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'scanopy-cfg-'));
    const file = path.join(dir, 'db-url');
    writeFileSync(file, 'postgresql://u:p@db:5432/scanopy\n');
    const c = loadConfig({
      SCANOPY_SERVER_PORT: '8080',
      SCANOPY_DATABASE_URL_FILE: file,
      SCANOPY_INTEGRATED_DAEMON: 'false',
    });
    expect(c.serverPort).toBe(8080);
    expect(c.databaseUrl).toBe('postgresql://u:p@db:5432/scanopy');
    expect(c.integratedDaemon).toBe(false);
  });

  it('puts SCANOPY_DATABASE_PASSWORD(_FILE) into the database URL (one secret for PostgreSQL and the server)', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'scanopy-cfg-'));
    const file = path.join(dir, 'postgres_password');
    writeFileSync(file, 'p@ss:w/rd\n');
    const c = loadConfig({
      SCANOPY_DATABASE_URL: 'postgresql://scanopy:old@postgres:5432/scanopy',
      SCANOPY_DATABASE_PASSWORD_FILE: file,
    });
    const url = new URL(c.databaseUrl!);
    expect(decodeURIComponent(url.password)).toBe('p@ss:w/rd');
    expect(url.username).toBe('scanopy');
    expect(url.host).toBe('postgres:5432');
    expect(() => loadConfig({ SCANOPY_DATABASE_PASSWORD: 'x' })).toThrow(ConfigError);
  });

  it('trims only trailing whitespace of *_FILE contents, and reads every boolean word', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'scanopy-cfg-'));
    const file = path.join(dir, 'smtp-password');
    writeFileSync(file, '  pass word \r\n\n');
    expect(loadConfig({ SCANOPY_SMTP_PASSWORD_FILE: file }).smtpPassword).toBe('  pass word');
    for (const word of ['true', '1', 'YES', 'On'])
      expect(loadConfig({ SCANOPY_TRUST_PROXY: word }).trustProxy).toBe(true);
    for (const word of ['false', '0', 'No', 'OFF']) {
      expect(loadConfig({ SCANOPY_INTEGRATED_DAEMON: word }).integratedDaemon).toBe(false);
    }
  });

  it.each([
    ['SCANOPY_SERVER_PORT', 'eighty'],
    ['SCANOPY_SERVER_PORT', '70000'],
    ['SCANOPY_INTEGRATED_DAEMON', 'maybe'],
    ['SCANOPY_DATABASE_URL', 'not a url'],
    ['SCANOPY_LOG_LEVEL', 'loud'],
    ['SCANOPY_DATABASE_URL_FILE', '/nonexistent/secret'],
  ])('rejects %s=%s at boot with a message naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(name.replace(/_FILE$/, '')));
  });

  it('is documented: docs/configuration.md lists every server variable with its default', () => {
    const doc = readFileSync(path.join(repoRoot, 'docs/configuration.md'), 'utf8');
    for (const s of Object.values(serverSettings)) {
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${s.env}\``));
      expect(row, `${s.env} missing from docs/configuration.md`).toBeDefined();
      expect(row).toContain(s.default === undefined ? 'unset' : `\`${String(s.default)}\``);
    }
  });
});
