import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, serverUrlOf } from './index.ts';

let dir: string;
let env: Record<string, string>;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'scanopy-daemon-config-'));
  env = { HOME: dir, XDG_CONFIG_HOME: path.join(dir, 'xdg') };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function writeFile(file: string, value: unknown): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
}

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('config layering', () => {
  it('uses the reference defaults when nothing is set', () => {
    const { config, configPath } = loadConfig({ env, argv: [], platform: 'linux' });
    expect(config).toMatchObject({
      daemon_port: 60073,
      bind_address: '0.0.0.0',
      name: 'scanopy-daemon',
      log_level: 'info',
      heartbeat_interval: 30,
      concurrent_scans: 15,
      mode: 'daemon_poll',
      allow_self_signed_certs: false,
      accept_invalid_scan_certs: true,
      arp_retries: 2,
      arp_rate_pps: 50,
      scan_rate_pps: 500,
      port_scan_batch_size: 200,
      scan_workers: 0,
      interfaces: [],
      server_url: null,
      capabilities: { has_docker_socket: false, interfaced_subnet_ids: [] },
    });
    expect(config.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(configPath).toBe(path.join(dir, 'xdg', 'daemon', 'config.json'));
  });

  it('lets the file override defaults, env override the file and flags override env', () => {
    const file = writeFile(path.join(dir, 'xdg', 'daemon', 'config.json'), {
      daemon_port: 1111,
      heartbeat_interval: 5,
      log_level: 'debug',
      name: 'scanopy-daemon',
    });
    const loaded = loadConfig({
      env: { ...env, SCANOPY_DAEMON_PORT: '2222', SCANOPY_HEARTBEAT_INTERVAL: '7' },
      argv: ['--daemon-port', '3333'],
      platform: 'linux',
    });
    expect(loaded.configPath).toBe(file);
    expect(loaded.config.daemon_port).toBe(3333);
    expect(loaded.config.heartbeat_interval).toBe(7);
    expect(loaded.config.log_level).toBe('debug');
    expect(loaded.sources).toMatchObject({
      daemon_port: 'flag --daemon-port',
      heartbeat_interval: 'env SCANOPY_HEARTBEAT_INTERVAL',
      log_level: 'config file key log_level',
    });
  });

  it('reads SCANOPY_<KEY>_FILE for secrets and drops trailing whitespace and newlines', () => {
    const secret = writeFile(path.join(dir, 'key.txt'), 'scp_d_abcdefghijklmnopqrstuvwxyz012345\r\n\n');
    const { config, sources } = loadConfig({
      env: { ...env, SCANOPY_DAEMON_API_KEY_FILE: secret },
      platform: 'linux',
    });
    expect(config.daemon_api_key).toBe('scp_d_abcdefghijklmnopqrstuvwxyz012345');
    expect(sources.daemon_api_key).toBe(`env SCANOPY_DAEMON_API_KEY_FILE (${secret})`);
    const missing = path.join(dir, 'missing.txt');
    expect(problemsOf(() => loadConfig({ env: { ...env, SCANOPY_DAEMON_API_KEY_FILE: missing } }))).toEqual([
      expect.stringMatching(new RegExp(`^SCANOPY_DAEMON_API_KEY_FILE: cannot read ${missing}: ENOENT`)),
    ]);
  });

  it('accepts legacy NETVISOR_* below SCANOPY_* with a deprecation warning', () => {
    const loaded = loadConfig({
      env: { ...env, NETVISOR_NAME: 'old', NETVISOR_DAEMON_PORT: '1000', SCANOPY_DAEMON_PORT: '2000' },
      platform: 'linux',
    });
    expect(loaded.config.name).toBe('old');
    expect(loaded.config.daemon_port).toBe(2000);
    expect(loaded.warnings.join('\n')).toMatch(/NETVISOR_\* variables are deprecated.*NETVISOR_NAME/);
  });

  it('splits SCANOPY_INTERFACES on commas, trimming and dropping empty parts', () => {
    const { config } = loadConfig({
      env: { ...env, SCANOPY_INTERFACES: ' eth0, ,wlan0 ,' },
      platform: 'linux',
    });
    expect(config.interfaces).toEqual(['eth0', 'wlan0']);
    const fromFlag = loadConfig({ env, argv: ['--interfaces=eth1,eth2'], platform: 'linux' });
    expect(fromFlag.config.interfaces).toEqual(['eth1', 'eth2']);
  });

  it('parses booleans strictly (true/false, 1/0, yes/no, on/off) and accepts a bare boolean flag', () => {
    expect(loadConfig({ env: { ...env, SCANOPY_USE_NPCAP_ARP: '1' } }).config.use_npcap_arp).toBe(true);
    expect(loadConfig({ env: { ...env, SCANOPY_USE_NPCAP_ARP: 'Yes' } }).config.use_npcap_arp).toBe(true);
    expect(
      loadConfig({ env: { ...env, SCANOPY_ACCEPT_INVALID_SCAN_CERTS: 'FALSE' } }).config
        .accept_invalid_scan_certs,
    ).toBe(false);
    expect(
      loadConfig({ env: { ...env, SCANOPY_ACCEPT_INVALID_SCAN_CERTS: 'off' } }).config
        .accept_invalid_scan_certs,
    ).toBe(false);
    expect(loadConfig({ env, argv: ['--allow-self-signed-certs'] }).config.allow_self_signed_certs).toBe(
      true,
    );
    expect(
      loadConfig({ env, argv: ['--allow-self-signed-certs', 'false'] }).config.allow_self_signed_certs,
    ).toBe(false);
    expect(
      loadConfig({ env, argv: ['--allow-self-signed-certs', 'no'] }).config.allow_self_signed_certs,
    ).toBe(false);
    expect(problemsOf(() => loadConfig({ env: { ...env, SCANOPY_USE_NPCAP_ARP: 'maybe' } }))).toEqual([
      'env SCANOPY_USE_NPCAP_ARP: "maybe" is not a boolean (use true/false, 1/0, yes/no or on/off)',
    ]);
  });

  it('maps the v0.13 mode aliases', () => {
    expect(loadConfig({ env, argv: ['--mode', 'Pull'] }).config.mode).toBe('daemon_poll');
    expect(loadConfig({ env, argv: ['--mode', 'push'] }).config.mode).toBe('server_poll');
  });

  it('lets the legacy server_target + server_port pair override server_url', () => {
    const { config } = loadConfig({
      env: {
        ...env,
        SCANOPY_SERVER_URL: 'http://a.example:1',
        SCANOPY_SERVER_TARGET: '10.0.0.5',
        SCANOPY_SERVER_PORT: '60072',
      },
    });
    expect(serverUrlOf(config)).toBe('http://10.0.0.5:60072');
    expect(serverUrlOf({ ...config, server_port: null })).toBe('http://a.example:1');
  });
});

describe('config validation', () => {
  it('reports every bad value with where it came from', () => {
    writeFile(path.join(dir, 'xdg', 'daemon', 'config.json'), { heartbeat_interval: 0 });
    const problems = problemsOf(() =>
      loadConfig({
        env: { ...env, SCANOPY_DAEMON_PORT: '70000', SCANOPY_NETWORK_ID: 'not-a-uuid' },
        argv: [
          '--mode',
          'sideways',
          '--server-url',
          'ftp://x',
          '--bind-address',
          '1.2.3',
          '--concurrent-scans',
          '-1',
        ],
        platform: 'linux',
      }),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        'config file key heartbeat_interval: 0 is out of range 1–86400',
        'env SCANOPY_DAEMON_PORT: 70000 is out of range 0–65535',
        'env SCANOPY_NETWORK_ID: "not-a-uuid" is not a UUID',
        'flag --mode: "sideways" is not a mode (daemon_poll or server_poll)',
        'flag --server-url: URL must start with http:// or https://',
        'flag --bind-address: "1.2.3" is not an IPv4 address',
        'flag --concurrent-scans: "-1" is not a non-negative integer',
      ]),
    );
  });

  it('rejects integers with junk and unknown flags', () => {
    expect(problemsOf(() => loadConfig({ env: { ...env, SCANOPY_ARP_RETRIES: '3abc' } }))).toEqual([
      'env SCANOPY_ARP_RETRIES: "3abc" is not a non-negative integer',
    ]);
    expect(problemsOf(() => loadConfig({ env, argv: ['--interface=eth0'] }))).toEqual([
      'unknown option "--interface=eth0" (see --help)',
    ]);
  });

  it('rejects a malformed config file', () => {
    writeFile(path.join(dir, 'xdg', 'daemon', 'config.json'), '{ not json');
    expect(problemsOf(() => loadConfig({ env, platform: 'linux' }))[0]).toMatch(
      /^config file .*config\.json: /,
    );
  });

  it('accepts daemon_port 0 and a heartbeat of one second for tests', () => {
    const { config } = loadConfig({ env, argv: ['-d', '0', '--heartbeat-interval=1'] });
    expect(config.daemon_port).toBe(0);
    expect(config.heartbeat_interval).toBe(1);
  });
});

describe('config file location', () => {
  it('namespaces the path by the name from env as well as from flags', () => {
    const viaEnv = loadConfig({ env: { ...env, SCANOPY_NAME: 'lab1' }, platform: 'linux' });
    expect(viaEnv.configPath).toBe(path.join(dir, 'xdg', 'daemon', 'lab1', 'config.json'));
    const viaFlag = loadConfig({
      env: { ...env, SCANOPY_NAME: 'lab1' },
      argv: ['--name', 'lab2'],
      platform: 'linux',
    });
    expect(viaFlag.configPath).toBe(path.join(dir, 'xdg', 'daemon', 'lab2', 'config.json'));
  });

  it('honours --config and SCANOPY_CONFIG_PATH, and a directory means <dir>/config.json', () => {
    const explicit = path.join(dir, 'custom.json');
    expect(loadConfig({ env: { ...env, SCANOPY_CONFIG_PATH: explicit } }).configPath).toBe(explicit);
    mkdirSync(path.join(dir, 'confdir'));
    expect(loadConfig({ env, argv: ['--config', path.join(dir, 'confdir')] }).configPath).toBe(
      path.join(dir, 'confdir', 'config.json'),
    );
  });

  it('uses the per-OS directories of the reference', () => {
    expect(loadConfig({ env: { HOME: '/home/u' }, platform: 'darwin' }).configPath).toBe(
      '/home/u/Library/Application Support/com.scanopy.daemon/config.json',
    );
    expect(loadConfig({ env: { HOME: '/home/u' }, platform: 'linux' }).configPath).toBe(
      '/home/u/.config/daemon/config.json',
    );
  });

  it('refuses a name that would escape the config directory', () => {
    expect(problemsOf(() => loadConfig({ env, argv: ['--name', '../evil'] }))[0]).toMatch(/path separators/);
  });
});

describe('--help', () => {
  it('is printed even when other values are invalid', () => {
    const loaded = loadConfig({ env: { ...env, SCANOPY_DAEMON_PORT: 'x' }, argv: ['--help'] });
    expect(loaded.help).toBe(true);
  });
});
