import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EnvValueError, parseBoolean, parseInteger, readVariable } from '@scanopy/env';
import { oidcProviders } from './auth/oidc.settings.ts';

/** Thrown at boot when a SCANOPY_* variable is invalid; main.ts prints it and exits. */
export class ConfigError extends Error {}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

type Kind = 'string' | 'int' | 'bool' | 'url' | 'level';
interface Setting {
  env: string;
  kind: Kind;
  default: string | number | boolean | undefined;
  doc: string;
  secret?: boolean;
  min?: number;
  max?: number;
}

/**
 * Every server setting. docs/configuration.md lists the same table; a test keeps them in step.
 * Defaults are strings as a user would type them, so the docs table can print them verbatim.
 */
export const serverSettings = {
  serverPort: {
    env: 'SCANOPY_SERVER_PORT',
    kind: 'int',
    default: 60072,
    min: 0,
    max: 65535,
    doc: 'HTTP listen port.',
  },
  bindAddress: {
    env: 'SCANOPY_BIND_ADDRESS',
    kind: 'string',
    default: '0.0.0.0',
    doc: 'Address the HTTP server binds to.',
  },
  dataDir: {
    env: 'SCANOPY_DATA_DIR',
    kind: 'string',
    default: './data',
    doc: 'Directory for the embedded database (`<dir>/pglite`) and the integrated daemon config (`<dir>/daemon`).',
  },
  databaseUrl: {
    env: 'SCANOPY_DATABASE_URL',
    kind: 'url',
    default: undefined,
    secret: true,
    doc: 'PostgreSQL connection URL. When set, it is used instead of the embedded database; same migrations.',
  },
  databasePassword: {
    env: 'SCANOPY_DATABASE_PASSWORD',
    kind: 'string',
    default: undefined,
    secret: true,
    doc: 'Password for `SCANOPY_DATABASE_URL`, replacing any in the URL (e.g. `SCANOPY_DATABASE_PASSWORD_FILE=/run/secrets/db`).',
  },
  publicUrl: {
    env: 'SCANOPY_PUBLIC_URL',
    kind: 'url',
    default: 'http://localhost:60072',
    doc: 'URL users reach the server at; used in links.',
  },
  logLevel: {
    env: 'SCANOPY_LOG_LEVEL',
    kind: 'level',
    default: 'info',
    doc: 'trace, debug, info, warn, error or fatal.',
  },
  webDir: {
    env: 'SCANOPY_WEB_DIR',
    kind: 'string',
    default: 'apps/web/build',
    doc: 'Directory of the built web UI (relative paths resolve from the repository root). Missing = API only.',
  },
  useSecureSessionCookies: {
    env: 'SCANOPY_USE_SECURE_SESSION_COOKIES',
    kind: 'bool',
    default: false,
    doc: 'Mark the session cookie Secure and send HSTS (enable behind HTTPS).',
  },
  disableRegistration: {
    env: 'SCANOPY_DISABLE_REGISTRATION',
    kind: 'bool',
    default: false,
    doc: 'Refuse new registrations once the first account exists.',
  },
  sessionTtlHours: {
    env: 'SCANOPY_SESSION_TTL_HOURS',
    kind: 'int',
    default: 168,
    min: 1,
    max: 8760,
    doc: 'Sliding session lifetime in hours of inactivity (7 days).',
  },
  bodyLimitBytes: {
    env: 'SCANOPY_BODY_LIMIT_BYTES',
    kind: 'int',
    default: 2097152,
    min: 1024,
    max: 104857600,
    doc: 'Largest accepted request body; larger bodies get 413.',
  },
  topologyAutoRebuild: {
    env: 'SCANOPY_TOPOLOGY_AUTO_REBUILD',
    kind: 'bool',
    default: true,
    doc: 'Rebuild unlocked topologies by themselves (coalesced per network) when their inventory changes; off = they only turn stale until someone refreshes or rebuilds them.',
  },
  integratedDaemon: {
    env: 'SCANOPY_INTEGRATED_DAEMON',
    kind: 'bool',
    default: true,
    doc: 'Run the integrated daemon as a child process once the first account exists.',
  },
  integratedDaemonPort: {
    env: 'SCANOPY_INTEGRATED_DAEMON_PORT',
    kind: 'int',
    default: 60073,
    min: 0,
    max: 65535,
    doc: 'HTTP port of the integrated daemon (bound to 127.0.0.1).',
  },
  integratedDaemonHeartbeat: {
    env: 'SCANOPY_DAEMON_HEARTBEAT_INTERVAL',
    kind: 'int',
    default: 30,
    min: 1,
    max: 3600,
    doc: 'Heartbeat (work poll) interval in seconds passed to the integrated daemon.',
  },
  metricsToken: {
    env: 'SCANOPY_METRICS_TOKEN',
    kind: 'string',
    default: undefined,
    secret: true,
    doc: 'Enables `GET /metrics` (and `/api/metrics`) for scrapers sending `Authorization: Bearer <token>`.',
  },
  metricsAllowedIps: {
    env: 'SCANOPY_EXTERNAL_SERVICE_PROMETHEUS_ALLOWED_IPS',
    kind: 'string',
    default: undefined,
    doc: 'Comma-separated IPs or CIDRs allowed to scrape metrics (others get 403). Unset = any address with the token.',
  },
  rateLimitPerMinute: {
    env: 'SCANOPY_RATE_LIMIT_PER_MINUTE',
    kind: 'int',
    default: 300,
    min: 0,
    max: 1000000,
    doc: 'Sustained API requests per minute per principal (user, API key or anonymous IP); 0 disables rate limiting.',
  },
  rateLimitBurst: {
    env: 'SCANOPY_RATE_LIMIT_BURST',
    kind: 'int',
    default: 150,
    min: 1,
    max: 1000000,
    doc: 'Requests a principal may make at once before the per-minute rate applies.',
  },
  sseKeepAliveSeconds: {
    env: 'SCANOPY_SSE_KEEPALIVE_SECONDS',
    kind: 'int',
    default: 15,
    min: 1,
    max: 3600,
    doc: 'Interval of keep-alive comments on the event streams (discovery and topology SSE).',
  },
  schedulerIntervalSeconds: {
    env: 'SCANOPY_SCHEDULER_INTERVAL_SECONDS',
    kind: 'int',
    default: 10,
    min: 1,
    max: 3600,
    doc: 'How often the discovery loop runs: due scheduled discoveries, the stall sweep, and polling `server_poll` daemons.',
  },
  discoveryStallSeconds: {
    env: 'SCANOPY_DISCOVERY_STALL_SECONDS',
    kind: 'int',
    default: 300,
    min: 10,
    max: 86400,
    doc: 'A running discovery session whose daemon sends no update for this long is marked Failed.',
  },
  trustProxy: {
    env: 'SCANOPY_TRUST_PROXY',
    kind: 'bool',
    default: false,
    doc: 'Take the client IP from X-Forwarded-For (enable only behind a reverse proxy you control).',
  },
  smtpHost: {
    env: 'SCANOPY_SMTP_HOST',
    kind: 'string',
    default: undefined,
    doc: 'SMTP server for outgoing mail. Email (verification, password reset, invites) is on when this and `SCANOPY_SMTP_FROM` are set.',
  },
  smtpPort: {
    env: 'SCANOPY_SMTP_PORT',
    kind: 'int',
    default: 587,
    min: 1,
    max: 65535,
    doc: 'SMTP server port.',
  },
  smtpUsername: {
    env: 'SCANOPY_SMTP_USERNAME',
    kind: 'string',
    default: undefined,
    doc: 'SMTP login; unset = send without authentication.',
  },
  smtpPassword: {
    env: 'SCANOPY_SMTP_PASSWORD',
    kind: 'string',
    default: undefined,
    secret: true,
    doc: 'SMTP password.',
  },
  smtpFrom: {
    env: 'SCANOPY_SMTP_FROM',
    kind: 'string',
    default: undefined,
    doc: 'Sender of outgoing mail, e.g. `Scanopy <scanopy@example.com>`.',
  },
  smtpSecure: {
    env: 'SCANOPY_SMTP_SECURE',
    kind: 'bool',
    default: false,
    doc: 'Use implicit TLS (usually port 465). When false, STARTTLS is used if the server offers it.',
  },
  oidcProviders: {
    env: 'SCANOPY_OIDC_PROVIDERS',
    kind: 'string',
    default: undefined,
    secret: true,
    doc: 'OIDC providers as a JSON list of `{name, slug, logo?, issuer_url, client_id, client_secret}`; see OIDC sign-in below.',
  },
  oidcConfigPath: {
    env: 'SCANOPY_OIDC_CONFIG',
    kind: 'string',
    default: undefined,
    doc: 'Path of an `oidc.toml` with `[[oidc_providers]]` tables of the same fields; used when `SCANOPY_OIDC_PROVIDERS` is unset.',
  },
} satisfies Record<string, Setting>;

type Settings = typeof serverSettings;
type ValueOf<S extends Setting> = S['kind'] extends 'int'
  ? number
  : S['kind'] extends 'bool'
    ? boolean
    : S['default'] extends undefined
      ? string | undefined
      : string;

export type ServerConfig = { [K in keyof Settings]: ValueOf<Settings[K]> };

const levels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** Runs a reader or parser of @scanopy/env, turning its error into the server's ConfigError. */
function shared<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof EnvValueError) throw new ConfigError(err.message);
    throw err;
  }
}

function parse(name: string, s: Setting, raw: string): string | number | boolean {
  switch (s.kind) {
    case 'int':
      return shared(() => parseInteger(raw, name, { min: s.min, max: s.max }));
    case 'bool':
      return shared(() => parseBoolean(raw, name));
    case 'url': {
      try {
        new URL(raw);
      } catch {
        throw new ConfigError(`${name} must be a URL, got "${raw.replace(/\/\/[^@]*@/, '//***@')}"`);
      }
      return raw;
    }
    case 'level':
      if (!levels.includes(raw)) throw new ConfigError(`${name} must be one of ${levels.join(', ')}`);
      return raw;
    case 'string':
      return raw;
  }
}

/** The only reader of process.env in the server. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const out: Record<string, unknown> = {};
  for (const [key, s] of Object.entries(serverSettings) as [string, Setting][]) {
    const raw = shared(() => readVariable(env, s.env))?.value;
    out[key] = raw === undefined ? s.default : parse(s.env, s, raw);
  }
  const cfg = out as ServerConfig;
  cfg.dataDir = path.resolve(cfg.dataDir);
  if (cfg.databasePassword !== undefined) {
    if (!cfg.databaseUrl) throw new ConfigError('SCANOPY_DATABASE_PASSWORD needs SCANOPY_DATABASE_URL');
    const url = new URL(cfg.databaseUrl);
    url.password = encodeURIComponent(cfg.databasePassword);
    cfg.databaseUrl = url.toString();
  }
  cfg.webDir = path.isAbsolute(cfg.webDir) ? cfg.webDir : path.join(repoRoot, cfg.webDir);
  try {
    oidcProviders(cfg);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  return cfg;
}

/** Config for tests: defaults plus overrides, never reading the real environment. */
export function testConfig(overrides: Partial<ServerConfig> = {}): ServerConfig {
  // Rate limiting is off unless a test turns it on: suites fire hundreds of requests as one principal.
  return {
    ...loadConfig({}),
    integratedDaemon: false,
    logLevel: 'silent',
    rateLimitPerMinute: 0,
    ...overrides,
  };
}

export { repoRoot };
