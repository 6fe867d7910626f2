import { parseArgs } from './cli.ts';
import { defaultConfig, isNullable, SPEC_BY_KEY, type ConfigKey, type DaemonConfig } from './keys.ts';
import { ConfigError, parseValue } from './parse.ts';
import { envLayer, readConfigFile, resolveConfigPath, type Env } from './sources.ts';

/**
 * Daemon configuration (daemon.md §1). Layers, low → high: built-in defaults, the JSON config file,
 * legacy NETVISOR_* env, SCANOPY_* env (or SCANOPY_<KEY>_FILE), CLI flags.
 * This folder is the only code that reads process.env: keys.ts (the key table and defaults), parse.ts (one value),
 * cli.ts (flags), sources.ts (file and env), help.ts (--help and the docs rows), store.ts (persisting runtime
 * fields). This file layers them and is the public API.
 */

export { parseArgs, type CliArgs } from './cli.ts';
export { helpText, keyDocs, type KeyDoc } from './help.ts';
export {
  DEFAULT_DAEMON_PORT,
  DEFAULT_NAME,
  defaultConfig,
  envName,
  KEY_SPECS,
  UINT32_MAX,
  type Capabilities,
  type ConfigKey,
  type DaemonConfig,
  type DaemonMode,
  type LogLevel,
} from './keys.ts';
export { ConfigError, isIpv4, isUuid } from './parse.ts';
export { configPathFor, defaultConfigDir } from './sources.ts';

export interface LoadOptions {
  argv?: readonly string[];
  env?: Env;
  platform?: NodeJS.Platform;
}

export interface LoadedConfig {
  config: DaemonConfig;
  configPath: string;
  /** The file as read (empty when absent); the store keeps unknown keys when it rewrites it. */
  fileContents: Record<string, unknown>;
  /** Which layer supplied each non-default key, for the startup banner. */
  sources: Partial<Record<ConfigKey, string>>;
  warnings: string[];
  help: boolean;
  version: boolean;
}

export function loadConfig(options: LoadOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const problems: string[] = [];
  const warnings: string[] = [];
  const cli = parseArgs(options.argv ?? []);
  const configPath = resolveConfigPath(cli, env, platform, problems);
  const fileContents = readConfigFile(configPath, problems);
  const config = defaultConfig();
  const sources: Partial<Record<ConfigKey, string>> = {};
  const target = config as unknown as Record<ConfigKey, unknown>;

  const apply = (key: ConfigKey, raw: unknown, source: string) => {
    const spec = SPEC_BY_KEY.get(key);
    if (!spec) return;
    const parsed = parseValue(spec, raw);
    if (!parsed.ok) {
      problems.push(`${source}: ${parsed.error}`);
      return;
    }
    // An empty value means "not set" so templated env files can leave keys blank.
    if (parsed.value === null && !isNullable(key)) return;
    target[key] = parsed.value;
    sources[key] = source;
  };

  for (const [key, raw] of Object.entries(fileContents)) {
    if (!SPEC_BY_KEY.has(key as ConfigKey)) {
      warnings.push(`config file ${configPath}: unknown key "${key}" ignored`);
      continue;
    }
    apply(key as ConfigKey, raw, `config file key ${key}`);
  }
  const fromEnv = envLayer(env);
  problems.push(...fromEnv.problems);
  if (fromEnv.legacyNames.length) {
    warnings.push(
      `NETVISOR_* variables are deprecated; rename them to SCANOPY_*: ${fromEnv.legacyNames.join(', ')}`,
    );
  }
  for (const [key, v] of Object.entries(fromEnv.values)) apply(key as ConfigKey, v.raw, v.source);
  for (const [key, raw] of Object.entries(cli.values)) {
    const spec = SPEC_BY_KEY.get(key as ConfigKey);
    apply(key as ConfigKey, raw, `flag --${spec?.flag ?? key}`);
  }

  if (config.mode === 'daemon_poll' && !config.server_url && !(config.server_target && config.server_port)) {
    if (!cli.help && !cli.version) warnings.push('server_url is not set; the daemon cannot reach a server');
  }
  if (problems.length && !cli.help && !cli.version) throw new ConfigError(problems);
  return { config, configPath, fileContents, sources, warnings, help: cli.help, version: cli.version };
}

/** The legacy server_target + server_port pair wins over server_url when both are set. */
export function serverUrlOf(config: DaemonConfig): string | null {
  if (config.server_target && config.server_port !== null) {
    const target = /^https?:\/\//.test(config.server_target)
      ? config.server_target
      : `http://${config.server_target}`;
    return `${target.replace(/\/+$/, '')}:${config.server_port}`;
  }
  return config.server_url;
}

/**
 * Node's global fetch has no per-request TLS option without an extra dependency, so
 * allow_self_signed_certs is applied process-wide; the daemon makes no other TLS calls that need
 * verification (scan probes accept invalid certificates by default anyway).
 */
export function applyProcessTlsSetting(config: DaemonConfig): void {
  if (config.allow_self_signed_certs) process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
}
