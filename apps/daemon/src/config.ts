import { existsSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';

/**
 * Daemon configuration (daemon.md §1). Layers, low → high: built-in defaults, the JSON config file,
 * legacy NETVISOR_* env, SCANOPY_* env (or SCANOPY_<KEY>_FILE), CLI flags.
 * This is the only module that reads process.env.
 */

export type DaemonMode = 'daemon_poll' | 'server_poll';
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

export interface Capabilities {
  has_docker_socket: boolean;
  interfaced_subnet_ids: string[];
}

export interface DaemonConfig {
  server_url: string | null;
  network_id: string | null;
  server_target: string | null;
  server_port: number | null;
  daemon_port: number;
  bind_address: string;
  name: string;
  log_level: LogLevel;
  heartbeat_interval: number;
  concurrent_scans: number;
  daemon_api_key: string | null;
  user_id: string | null;
  docker_proxy: string | null;
  docker_proxy_ssl_cert: string | null;
  docker_proxy_ssl_key: string | null;
  docker_proxy_ssl_chain: string | null;
  docker_socket: string;
  mode: DaemonMode;
  allow_self_signed_certs: boolean;
  daemon_url: string | null;
  accept_invalid_scan_certs: boolean;
  use_npcap_arp: boolean;
  arp_retries: number;
  arp_rate_pps: number;
  scan_rate_pps: number;
  port_scan_batch_size: number;
  interfaces: string[];
  scan_allow: string[];
  id: string;
  capabilities: Capabilities;
  host_id: string | null;
  last_heartbeat: string | null;
}

export type ConfigKey = keyof DaemonConfig;

type Kind =
  | 'string'
  | 'path'
  | 'url'
  | 'uuid'
  | 'ipv4'
  | 'port'
  | 'uint'
  | 'bool'
  | 'mode'
  | 'level'
  | 'list'
  | 'capabilities'
  | 'datetime';

interface KeySpec {
  key: ConfigKey;
  kind: Kind;
  /** Shown in --help and docs; runtime-only keys have neither flag nor env. */
  doc: string;
  flag?: string;
  short?: string;
  env?: boolean;
  min?: number;
  max?: number;
  secret?: boolean;
}

export const DEFAULT_NAME = 'scanopy-daemon';
export const DEFAULT_DAEMON_PORT = 60073;
export const UINT32_MAX = 4294967295;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const IPV4_RE = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isUuid(value: string): boolean {
  return UUID_RE.test(value);
}

export function isIpv4(value: string): boolean {
  return IPV4_RE.test(value);
}

/** Every key of daemon.md §1.2 (plus docker_socket), in the order --help and the docs list them. */
export const KEY_SPECS: readonly KeySpec[] = [
  {
    key: 'server_url',
    kind: 'url',
    flag: 'server-url',
    env: true,
    doc: 'Base URL of the Scanopy server, e.g. http://host:60072.',
  },
  {
    key: 'network_id',
    kind: 'uuid',
    flag: 'network-id',
    env: true,
    doc: 'Network this daemon reports into. Discovery refuses to run without it.',
  },
  {
    key: 'daemon_api_key',
    kind: 'string',
    flag: 'daemon-api-key',
    env: true,
    secret: true,
    doc: 'Daemon API key (scp_d_…) created in the UI or with POST /api/v1/auth/daemon.',
  },
  {
    key: 'mode',
    kind: 'mode',
    flag: 'mode',
    env: true,
    doc: 'daemon_poll (the daemon polls the server) or server_poll (the server polls). Aliases: pull/push.',
  },
  {
    key: 'name',
    kind: 'string',
    flag: 'name',
    env: true,
    doc: 'Daemon name; also namespaces the config path.',
  },
  {
    key: 'daemon_port',
    kind: 'port',
    flag: 'daemon-port',
    short: 'd',
    env: true,
    doc: 'HTTP listen port of the daemon (0 = any free port).',
  },
  {
    key: 'bind_address',
    kind: 'ipv4',
    flag: 'bind-address',
    env: true,
    doc: 'IPv4 address the daemon HTTP server binds to.',
  },
  {
    key: 'heartbeat_interval',
    kind: 'uint',
    flag: 'heartbeat-interval',
    env: true,
    min: 1,
    max: 86400,
    doc: 'Seconds between work polls (request-work) in daemon_poll mode.',
  },
  {
    key: 'log_level',
    kind: 'level',
    flag: 'log-level',
    env: true,
    doc: 'trace, debug, info, warn, error, fatal or silent.',
  },
  {
    key: 'user_id',
    kind: 'uuid',
    flag: 'user-id',
    env: true,
    doc: 'User the daemon is attributed to at registration (default: the organization owner).',
  },
  {
    key: 'daemon_url',
    kind: 'url',
    flag: 'daemon-url',
    env: true,
    doc: 'URL the server can reach this daemon at (informational in daemon_poll mode).',
  },
  {
    key: 'allow_self_signed_certs',
    kind: 'bool',
    flag: 'allow-self-signed-certs',
    env: true,
    doc: 'Skip TLS certificate verification on daemon → server calls.',
  },
  {
    key: 'interfaces',
    kind: 'list',
    flag: 'interfaces',
    env: true,
    doc: 'Comma-separated interface names to use (exact match); empty = all.',
  },
  {
    key: 'concurrent_scans',
    kind: 'uint',
    flag: 'concurrent-scans',
    env: true,
    min: 1,
    max: 1000,
    doc: 'Parallel container scans; 15 means "auto".',
  },
  {
    key: 'accept_invalid_scan_certs',
    kind: 'bool',
    flag: 'accept-invalid-scan-certs',
    env: true,
    doc: 'Accept invalid TLS certificates when probing HTTP endpoints of scanned hosts.',
  },
  {
    key: 'arp_retries',
    kind: 'uint',
    flag: 'arp-retries',
    env: true,
    max: 100,
    doc: 'Extra ARP rounds for hosts that did not answer.',
  },
  {
    key: 'arp_rate_pps',
    kind: 'uint',
    flag: 'arp-rate-pps',
    env: true,
    min: 1,
    max: 100000,
    doc: 'ARP requests per second.',
  },
  {
    key: 'scan_rate_pps',
    kind: 'uint',
    flag: 'scan-rate-pps',
    env: true,
    max: 1000000,
    doc: 'Probe starts per second per scanned host (0 = unlimited).',
  },
  {
    key: 'port_scan_batch_size',
    kind: 'uint',
    flag: 'port-scan-batch-size',
    env: true,
    min: 16,
    max: 1000,
    doc: 'Concurrent TCP connects per scanned host (16–1000).',
  },
  {
    key: 'scan_allow',
    kind: 'list',
    flag: 'scan-allow',
    env: true,
    doc: 'Comma-separated CIDRs: when set, discovery never sends a packet to an address outside them.',
  },
  {
    key: 'use_npcap_arp',
    kind: 'bool',
    flag: 'use-npcap-arp',
    env: true,
    doc: 'Windows only: broadcast ARP through Npcap instead of SendARP.',
  },
  {
    key: 'docker_socket',
    kind: 'path',
    flag: 'docker-socket',
    env: true,
    doc: 'Docker Engine unix socket used when no docker_proxy is set.',
  },
  {
    key: 'docker_proxy',
    kind: 'url',
    flag: 'docker-proxy',
    env: true,
    doc: 'http(s):// Docker API proxy to use instead of the local socket.',
  },
  {
    key: 'docker_proxy_ssl_cert',
    kind: 'path',
    flag: 'docker-proxy-ssl-cert',
    env: true,
    doc: 'Client certificate for an https:// Docker proxy.',
  },
  {
    key: 'docker_proxy_ssl_key',
    kind: 'path',
    flag: 'docker-proxy-ssl-key',
    env: true,
    doc: 'Client key for an https:// Docker proxy.',
  },
  {
    key: 'docker_proxy_ssl_chain',
    kind: 'path',
    flag: 'docker-proxy-ssl-chain',
    env: true,
    doc: 'CA chain for an https:// Docker proxy.',
  },
  {
    key: 'server_target',
    kind: 'string',
    env: true,
    doc: 'Legacy: server host; with server_port it overrides server_url as target:port.',
  },
  {
    key: 'server_port',
    kind: 'port',
    env: true,
    doc: 'Legacy: server port, used only together with server_target.',
  },
  { key: 'id', kind: 'uuid', doc: 'Daemon id; generated on first start and persisted (runtime).' },
  { key: 'capabilities', kind: 'capabilities', doc: 'Last reported capabilities (runtime).' },
  { key: 'host_id', kind: 'uuid', doc: 'Host created for this daemon at registration (runtime).' },
  { key: 'last_heartbeat', kind: 'datetime', doc: 'Unused legacy field.' },
];

const SPEC_BY_KEY = new Map(KEY_SPECS.map((s) => [s.key, s]));

export function defaultConfig(): DaemonConfig {
  return {
    server_url: null,
    network_id: null,
    server_target: null,
    server_port: null,
    daemon_port: DEFAULT_DAEMON_PORT,
    bind_address: '0.0.0.0',
    name: DEFAULT_NAME,
    log_level: 'info',
    heartbeat_interval: 30,
    concurrent_scans: 15,
    daemon_api_key: null,
    user_id: null,
    docker_proxy: null,
    docker_proxy_ssl_cert: null,
    docker_proxy_ssl_key: null,
    docker_proxy_ssl_chain: null,
    docker_socket: '/var/run/docker.sock',
    mode: 'daemon_poll',
    allow_self_signed_certs: false,
    daemon_url: null,
    accept_invalid_scan_certs: true,
    use_npcap_arp: false,
    arp_retries: 2,
    arp_rate_pps: 50,
    scan_rate_pps: 500,
    port_scan_batch_size: 200,
    interfaces: [],
    scan_allow: [],
    id: randomUUID(),
    capabilities: { has_docker_socket: false, interfaced_subnet_ids: [] },
    host_id: null,
    last_heartbeat: null,
  };
}

export function envName(key: ConfigKey, prefix = 'SCANOPY_'): string {
  return prefix + key.toUpperCase();
}

/** Thrown for invalid configuration; main.ts prints every problem and exits with code 2. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid daemon configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Parsed = { ok: true; value: unknown } | { ok: false; error: string };

const fail = (error: string): Parsed => ({ ok: false, error });

/**
 * Parses one value strictly. Env and CLI values arrive as strings; file values arrive as JSON,
 * so a number or boolean is taken as-is but still range-checked.
 */
function parseValue(spec: KeySpec, raw: unknown): Parsed {
  if (raw === null) return { ok: true, value: null };
  switch (spec.kind) {
    case 'string':
    case 'path': {
      if (typeof raw !== 'string') return fail('expected a string');
      return { ok: true, value: raw.trim() === '' ? null : raw.trim() };
    }
    case 'url': {
      if (typeof raw !== 'string') return fail('expected a URL string');
      const value = raw.trim();
      if (value === '') return { ok: true, value: null };
      let url: URL;
      try {
        url = new URL(value);
      } catch {
        return fail(`"${value}" is not a valid URL`);
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:')
        return fail('URL must start with http:// or https://');
      return { ok: true, value: value.replace(/\/+$/, '') };
    }
    case 'uuid': {
      if (typeof raw !== 'string') return fail('expected a UUID string');
      const value = raw.trim();
      if (value === '') return { ok: true, value: null };
      return UUID_RE.test(value)
        ? { ok: true, value: value.toLowerCase() }
        : fail(`"${value}" is not a UUID`);
    }
    case 'ipv4': {
      if (raw === '') return { ok: true, value: null };
      if (typeof raw !== 'string' || !IPV4_RE.test(raw.trim()))
        return fail(`"${String(raw)}" is not an IPv4 address`);
      return { ok: true, value: raw.trim() };
    }
    case 'port':
    case 'uint': {
      let n: number;
      if (typeof raw === 'number') n = raw;
      else if (typeof raw === 'string' && /^\d+$/.test(raw.trim())) n = Number(raw.trim());
      else n = NaN;
      if (!Number.isSafeInteger(n) || n < 0) return fail(`"${String(raw)}" is not a non-negative integer`);
      const min = spec.min ?? 0;
      const max = spec.kind === 'port' ? 65535 : (spec.max ?? UINT32_MAX);
      if (n < min || n > max) return fail(`${n} is out of range ${min}–${max}`);
      return { ok: true, value: n };
    }
    case 'bool': {
      if (typeof raw === 'boolean') return { ok: true, value: raw };
      const s = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
      if (s === 'true' || s === '1') return { ok: true, value: true };
      if (s === 'false' || s === '0') return { ok: true, value: false };
      return fail(`"${String(raw)}" is not a boolean (use true, false, 1 or 0)`);
    }
    case 'mode': {
      const s = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
      if (s === 'daemon_poll' || s === 'pull') return { ok: true, value: 'daemon_poll' };
      if (s === 'server_poll' || s === 'push') return { ok: true, value: 'server_poll' };
      return fail(`"${String(raw)}" is not a mode (daemon_poll or server_poll)`);
    }
    case 'level': {
      const s = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
      const levels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];
      return levels.includes(s)
        ? { ok: true, value: s }
        : fail(`"${String(raw)}" is not one of ${levels.join(', ')}`);
    }
    case 'list': {
      if (Array.isArray(raw)) {
        if (!raw.every((x) => typeof x === 'string')) return fail('expected a list of strings');
        return { ok: true, value: raw.map((x: string) => x.trim()).filter(Boolean) };
      }
      if (typeof raw !== 'string') return fail('expected a comma-separated list');
      return {
        ok: true,
        value: raw
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean),
      };
    }
    case 'capabilities': {
      const c = raw as Partial<Capabilities>;
      if (
        typeof c !== 'object' ||
        typeof c.has_docker_socket !== 'boolean' ||
        !Array.isArray(c.interfaced_subnet_ids) ||
        !c.interfaced_subnet_ids.every((id) => typeof id === 'string' && UUID_RE.test(id))
      ) {
        return fail('expected {has_docker_socket: boolean, interfaced_subnet_ids: uuid[]}');
      }
      return {
        ok: true,
        value: { has_docker_socket: c.has_docker_socket, interfaced_subnet_ids: c.interfaced_subnet_ids },
      };
    }
    case 'datetime': {
      if (typeof raw !== 'string' || Number.isNaN(Date.parse(raw))) return fail('expected an ISO date-time');
      return { ok: true, value: raw };
    }
  }
}

export interface CliArgs {
  values: Partial<Record<ConfigKey, string>>;
  configPath?: string;
  help: boolean;
  version: boolean;
}

const FLAG_TO_SPEC = new Map<string, KeySpec>();
for (const spec of KEY_SPECS) {
  if (spec.flag) FLAG_TO_SPEC.set(spec.flag, spec);
  if (spec.short) FLAG_TO_SPEC.set(spec.short, spec);
}

/**
 * `--flag value`, `--flag=value` and `-d value`. A boolean flag alone means true, and takes a
 * following true/false/1/0 as its value (clap's `--allow-self-signed-certs true` form keeps working).
 */
export function parseArgs(argv: readonly string[]): CliArgs {
  const out: CliArgs = { values: {}, help: false, version: false };
  const problems: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-h' || arg === '--help') {
      out.help = true;
      continue;
    }
    if (arg === '-V' || arg === '--version') {
      out.version = true;
      continue;
    }
    const m = /^(?:--([a-z][a-z0-9-]*)|-([a-zA-Z]))(?:=(.*))?$/s.exec(arg);
    if (!m) {
      problems.push(`unexpected argument "${arg}"`);
      continue;
    }
    const name = m[1] ?? m[2];
    let value = m[3];
    const spec = name === 'config' ? undefined : FLAG_TO_SPEC.get(name);
    if (name !== 'config' && !spec) {
      problems.push(`unknown option "${arg}" (see --help)`);
      continue;
    }
    if (value === undefined) {
      const next = argv[i + 1];
      if (spec?.kind === 'bool') {
        if (next !== undefined && /^(true|false|1|0)$/i.test(next)) {
          value = next;
          i++;
        } else value = 'true';
      } else if (next === undefined) {
        problems.push(`option "${arg}" needs a value`);
        continue;
      } else {
        value = next;
        i++;
      }
    }
    if (spec) out.values[spec.key] = value;
    else out.configPath = value;
  }
  if (problems.length) throw new ConfigError(problems);
  return out;
}

type Env = Readonly<Record<string, string | undefined>>;

interface EnvLayer {
  values: Partial<Record<ConfigKey, { raw: string; source: string }>>;
  legacyNames: string[];
  problems: string[];
}

function readEnvValue(
  env: Env,
  name: string,
  problems: string[],
): { raw: string; source: string } | undefined {
  const direct = env[name];
  const file = env[`${name}_FILE`];
  if (direct !== undefined && direct !== '') return { raw: direct, source: `env ${name}` };
  if (file !== undefined && file !== '') {
    try {
      // Secrets files usually end with a newline that is not part of the value.
      return { raw: readFileSync(file, 'utf8').replace(/\r?\n$/, ''), source: `env ${name}_FILE (${file})` };
    } catch (err) {
      problems.push(`${name}_FILE: cannot read ${file}: ${(err as Error).message}`);
    }
  }
  return undefined;
}

function envLayer(env: Env): EnvLayer {
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

function resolveConfigPath(cli: CliArgs, env: Env, platform: NodeJS.Platform, problems: string[]): string {
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

function readConfigFile(file: string, problems: string[]): Record<string, unknown> {
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

const DEFAULTS = defaultConfig();

function isNullable(key: ConfigKey): boolean {
  return DEFAULTS[key] === null;
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

function defaultShown(key: ConfigKey): string {
  if (key === 'id') return 'random UUID, persisted';
  const value = DEFAULTS[key];
  if (value === null) return '(none)';
  if (Array.isArray(value)) return value.length ? value.join(',') : '(all)';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

export interface KeyDoc {
  key: ConfigKey;
  env: string | null;
  flag: string | null;
  default: string;
  doc: string;
}

/** One row per key; --help and docs/configuration.md are generated from the same list. */
export function keyDocs(): KeyDoc[] {
  return KEY_SPECS.map((s) => ({
    key: s.key,
    env: s.env ? envName(s.key) : null,
    flag: s.flag ? (s.short ? `-${s.short}, --${s.flag}` : `--${s.flag}`) : null,
    default: defaultShown(s.key),
    doc: s.doc,
  }));
}

export function helpText(version: string): string {
  const lines = [
    `scanopy-daemon ${version} — discovers your network and reports it to a Scanopy server`,
    '',
    'Usage: scanopy-daemon [options]',
    '',
    'Precedence (low → high): defaults < config file < SCANOPY_* env (or SCANOPY_<KEY>_FILE) < flags.',
    '',
    'General:',
    '  -h, --help             Show this help and exit',
    '  -V, --version          Print the version and exit',
    '  --config <path>        Config file (env SCANOPY_CONFIG_PATH; a directory means <dir>/config.json)',
    `                         default: ${configPathFor(DEFAULT_NAME, '<config dir>')}, or <config dir>/<name>/config.json`,
    '                         when name is not scanopy-daemon; <config dir> is $XDG_CONFIG_HOME/daemon or',
    '                         ~/.config/daemon on Linux',
    '',
    'Settings:',
  ];
  for (const d of keyDocs()) {
    lines.push(`  ${d.key}`);
    lines.push(`      ${d.doc}`);
    const where = [d.flag ? `flag ${d.flag}` : null, d.env ? `env ${d.env}` : null].filter(Boolean);
    lines.push(`      ${where.length ? where.join('  ') : 'config file only'}  default: ${d.default}`);
  }
  return lines.join('\n') + '\n';
}

/**
 * Node's global fetch has no per-request TLS option without an extra dependency, so
 * allow_self_signed_certs is applied process-wide; the daemon makes no other TLS calls that need
 * verification (scan probes accept invalid certificates by default anyway).
 */
export function applyProcessTlsSetting(config: DaemonConfig): void {
  if (config.allow_self_signed_certs) process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
}
