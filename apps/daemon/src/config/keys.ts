import { randomUUID } from 'node:crypto';

/**
 * The daemon's settings (daemon.md §1.2): every key with its kind, flag, env and doc, and the built-in defaults.
 * --help and docs/configuration.md are generated from this table; a new key is added here first.
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
  scan_workers: number;
  interfaces: string[];
  scan_allow: string[];
  id: string;
  capabilities: Capabilities;
  host_id: string | null;
  last_heartbeat: string | null;
}

export type ConfigKey = keyof DaemonConfig;

export type Kind =
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

export interface KeySpec {
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
    key: 'scan_workers',
    kind: 'uint',
    flag: 'scan-workers',
    env: true,
    max: 256,
    doc: 'Worker threads that run the port scan connects: 0 = one per CPU core, 1 = all in the main thread.',
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

export const SPEC_BY_KEY = new Map(KEY_SPECS.map((s) => [s.key, s]));

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
    scan_workers: 0,
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

const DEFAULTS = defaultConfig();

/** The built-in default of `key` (the `id` default is a fresh random UUID made at import). */
export function defaultOf<K extends ConfigKey>(key: K): DaemonConfig[K] {
  return DEFAULTS[key];
}

/** Keys whose default is null accept an explicit null (or an empty value) to unset them. */
export function isNullable(key: ConfigKey): boolean {
  return DEFAULTS[key] === null;
}
