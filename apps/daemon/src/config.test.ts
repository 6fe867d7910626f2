import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, helpText, KEY_SPECS, keyDocs, loadConfig, serverUrlOf } from './config.ts';
import { ConfigStore } from './config-store.ts';

const NETWORK = '6f1c2f0e-8d4b-4c1e-9a53-0b7d8f6a1c20';
const OTHER_NETWORK = '0d6f2a44-3b1e-4f0a-8c55-5e2a7b9c1d33';

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

  it('reads SCANOPY_<KEY>_FILE for secrets and drops the trailing newline', () => {
    const secret = writeFile(path.join(dir, 'key.txt'), 'scp_d_abcdefghijklmnopqrstuvwxyz012345\n');
    const { config } = loadConfig({
      env: { ...env, SCANOPY_DAEMON_API_KEY_FILE: secret },
      platform: 'linux',
    });
    expect(config.daemon_api_key).toBe('scp_d_abcdefghijklmnopqrstuvwxyz012345');
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

  it('parses booleans strictly and accepts a bare boolean flag', () => {
    expect(loadConfig({ env: { ...env, SCANOPY_USE_NPCAP_ARP: '1' } }).config.use_npcap_arp).toBe(true);
    expect(
      loadConfig({ env: { ...env, SCANOPY_ACCEPT_INVALID_SCAN_CERTS: 'FALSE' } }).config
        .accept_invalid_scan_certs,
    ).toBe(false);
    expect(loadConfig({ env, argv: ['--allow-self-signed-certs'] }).config.allow_self_signed_certs).toBe(
      true,
    );
    expect(
      loadConfig({ env, argv: ['--allow-self-signed-certs', 'false'] }).config.allow_self_signed_certs,
    ).toBe(false);
    expect(problemsOf(() => loadConfig({ env: { ...env, SCANOPY_USE_NPCAP_ARP: 'yes' } }))).toEqual([
      'env SCANOPY_USE_NPCAP_ARP: "yes" is not a boolean (use true, false, 1 or 0)',
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

describe('config persistence', () => {
  it('keeps the daemon id stable across restarts and writes atomically', async () => {
    const first = loadConfig({ env: { ...env, SCANOPY_NAME: 'persist' }, platform: 'linux' });
    const store = new ConfigStore(first);
    expect(await store.persistIfChanged()).toBe(true);
    const second = loadConfig({ env: { ...env, SCANOPY_NAME: 'persist' }, platform: 'linux' });
    expect(second.configPath).toBe(first.configPath);
    expect(second.config.id).toBe(first.config.id);
    expect(await new ConfigStore(second).persistIfChanged()).toBe(false);
    expect(readdirSync(path.dirname(first.configPath))).toEqual(['config.json']);
    expect(statSync(first.configPath).mode & 0o777).toBe(0o600);
  });

  it('persists runtime fields, keeps user keys, and does not bake env values into the file', async () => {
    const file = writeFile(path.join(dir, 'xdg', 'daemon', 'config.json'), {
      log_level: 'warn',
      custom_note: 'kept',
    });
    const loaded = loadConfig({
      env: {
        ...env,
        SCANOPY_NETWORK_ID: NETWORK,
        SCANOPY_DAEMON_API_KEY: 'scp_d_x',
        SCANOPY_DAEMON_PORT: '1234',
      },
      platform: 'linux',
    });
    const store = new ConfigStore(loaded);
    await store.persistIfChanged();
    await store.update({
      capabilities: { has_docker_socket: true, interfaced_subnet_ids: [OTHER_NETWORK] },
      network_id: NETWORK,
    });
    const saved = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect(saved).toMatchObject({
      log_level: 'warn',
      custom_note: 'kept',
      id: loaded.config.id,
      network_id: NETWORK,
      daemon_api_key: 'scp_d_x',
      capabilities: { has_docker_socket: true, interfaced_subnet_ids: [OTHER_NETWORK] },
    });
    expect(saved).not.toHaveProperty('daemon_port');
    // The next start reads the key and network back even without the env.
    const again = loadConfig({ env, platform: 'linux' });
    expect(again.config.network_id).toBe(NETWORK);
    expect(again.config.daemon_api_key).toBe('scp_d_x');
    expect(again.warnings).toContain(`config file ${file}: unknown key "custom_note" ignored`);
  });

  it('reports a failed save without throwing, and keeps the values in memory', async () => {
    const blocker = writeFile(path.join(dir, 'not-a-dir'), 'x');
    const loaded = loadConfig({ env, argv: ['--config', path.join(blocker, 'config.json')] });
    const errors: string[] = [];
    const store = new ConfigStore(loaded, (err) => errors.push(err.message));
    await expect(store.persistIfChanged()).rejects.toThrow(/ENOTDIR|EEXIST/);
    await store.update({ network_id: NETWORK });
    expect(store.config.network_id).toBe(NETWORK);
    expect(errors).toHaveLength(1);
  });
});

describe('--help', () => {
  it('lists every key with its env var, flag and default', () => {
    const text = helpText('9.9.9');
    for (const doc of keyDocs()) {
      expect(text).toContain(`  ${doc.key}\n`);
      if (doc.env) expect(text).toContain(`env ${doc.env}`);
      if (doc.flag) expect(text).toContain(`flag ${doc.flag}`);
    }
    expect(text).toContain('flag -d, --daemon-port  env SCANOPY_DAEMON_PORT  default: 60073');
    expect(text).toContain('flag --heartbeat-interval  env SCANOPY_HEARTBEAT_INTERVAL  default: 30');
    expect(keyDocs().map((d) => d.key)).toEqual(KEY_SPECS.map((s) => s.key));
  });

  it('is printed even when other values are invalid', () => {
    const loaded = loadConfig({ env: { ...env, SCANOPY_DAEMON_PORT: 'x' }, argv: ['--help'] });
    expect(loaded.help).toBe(true);
  });
});

describe('docs/configuration.md', () => {
  it('documents every daemon key with its env var, flag and default', () => {
    const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
    const doc = readFileSync(path.join(repoRoot, 'docs/configuration.md'), 'utf8');
    const section = doc.slice(doc.indexOf('## Daemon'));
    for (const d of keyDocs()) {
      const row = section.split('\n').find((l) => l.startsWith(`| \`${d.key}\` `));
      expect(row, `${d.key} missing from the Daemon section`).toBeDefined();
      const cells = row!.split('|').map((c) => c.trim());
      expect(cells[2]).toBe(d.env ? `\`${d.env}\`` : '—');
      expect(cells[3]).toBe(d.flag ? `\`${d.flag}\`` : '—');
      const shown =
        d.default === '(none)' ? 'unset' : d.default === '(all)' ? 'empty (all)' : `\`${d.default}\``;
      expect(cells[4]).toBe(shown);
    }
  });
});
