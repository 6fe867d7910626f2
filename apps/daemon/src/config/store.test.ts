import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from './index.ts';
import { ConfigStore } from './store.ts';

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
