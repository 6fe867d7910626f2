import { existsSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EnvValueError, readVariable, type Env } from '@scanopy/env';
import type { CliArgs } from './cli.ts';
import { DEFAULT_NAME, envName, KEY_SPECS, type ConfigKey } from './keys.ts';

/**
 * Where raw values come from: the JSON config file and the environment (SCANOPY_*, legacy NETVISOR_*, and
 * <NAME>_FILE). Values stay unparsed here; index.ts applies them layer by layer.
 */

export type { Env };

export interface EnvLayer {
  values: Partial<Record<ConfigKey, { raw: string; source: string }>>;
  legacyNames: string[];
  problems: string[];
}

/** One variable or its _FILE (rules of @scanopy/env); an unreadable file is a problem, not "unset". */
function readEnvValue(
  env: Env,
  name: string,
  problems: string[],
): { raw: string; source: string } | undefined {
  try {
    const read = readVariable(env, name);
    if (!read) return undefined;
    return { raw: read.value, source: read.file ? `env ${read.variable} (${read.file})` : `env ${name}` };
  } catch (err) {
    if (!(err instanceof EnvValueError)) throw err;
    problems.push(err.message);
    return undefined;
  }
}

export function envLayer(env: Env): EnvLayer {
  const layer: EnvLayer = { values: {}, legacyNames: [], problems: [] };
  for (const spec of KEY_SPECS) {
    if (!spec.env) continue;
    const legacy = readEnvValue(env, envName(spec.key, 'NETVISOR_'), layer.problems);
    if (legacy) {
      layer.legacyNames.push(envName(spec.key, 'NETVISOR_'));
      layer.values[spec.key] = legacy;
    }
    const current = readEnvValue(env, envName(spec.key), layer.problems);
    if (current) layer.values[spec.key] = current;
  }
  return layer;
}

/** Per-OS config directory of the reference (project dirs com/scanopy/daemon). */
export function defaultConfigDir(
  env: Env = process.env,
  platform: NodeJS.Platform = process.platform,
): string {
  const home = env.HOME || os.homedir();
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'com.scanopy.daemon');
  if (platform === 'win32') {
    return path.join(env.APPDATA || path.join(home, 'AppData', 'Roaming'), 'scanopy', 'daemon', 'config');
  }
  return path.join(env.XDG_CONFIG_HOME || path.join(home, '.config'), 'daemon');
}

/** The default name keeps the legacy un-namespaced path so existing installs keep their id. */
export function configPathFor(name: string, configDir: string): string {
  return name === DEFAULT_NAME
    ? path.join(configDir, 'config.json')
    : path.join(configDir, name, 'config.json');
}

export function resolveConfigPath(
  cli: CliArgs,
  env: Env,
  platform: NodeJS.Platform,
  problems: string[],
): string {
  const explicit = cli.configPath ?? (env.SCANOPY_CONFIG_PATH || undefined);
  if (explicit) {
    const p = path.resolve(explicit);
    return existsSync(p) && statSync(p).isDirectory() ? path.join(p, 'config.json') : p;
  }
  // The name that selects the path comes from CLI, then env, then the default: the same name
  // is used for reading and writing (the reference read by CLI name and wrote by final name).
  const rawName = cli.values.name ?? env.SCANOPY_NAME ?? env.NETVISOR_NAME ?? DEFAULT_NAME;
  const name = rawName.trim() || DEFAULT_NAME;
  if (name === '.' || name === '..' || /[/\\]/.test(name)) {
    problems.push(`name "${name}" cannot contain path separators or be "." / ".."`);
    return configPathFor(DEFAULT_NAME, defaultConfigDir(env, platform));
  }
  return configPathFor(name, defaultConfigDir(env, platform));
}

export function readConfigFile(file: string, problems: string[]): Record<string, unknown> {
  if (!existsSync(file)) return {};
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      problems.push(`config file ${file}: expected a JSON object`);
      return {};
    }
    return parsed as Record<string, unknown>;
  } catch (err) {
    problems.push(`config file ${file}: ${(err as Error).message}`);
    return {};
  }
}
