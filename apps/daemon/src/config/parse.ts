import { EnvValueError, parseBoolean, parseInteger, parseList } from '@scanopy/env';
import { UINT32_MAX, type Capabilities, type KeySpec } from './keys.ts';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const IPV4_RE = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isUuid(value: string): boolean {
  return UUID_RE.test(value);
}

export function isIpv4(value: string): boolean {
  return IPV4_RE.test(value);
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

/** Runs one of @scanopy/env's parsers; the caller prefixes the reason with where the value came from. */
function shared(parse: () => unknown): Parsed {
  try {
    return { ok: true, value: parse() };
  } catch (err) {
    if (err instanceof EnvValueError) return fail(err.reason);
    throw err;
  }
}

/**
 * Parses one value strictly. Env and CLI values arrive as strings; file values arrive as JSON,
 * so a number or boolean is taken as-is but still range-checked.
 */
export function parseValue(spec: KeySpec, raw: unknown): Parsed {
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
      if (typeof raw !== 'number' && typeof raw !== 'string')
        return fail(`"${String(raw)}" is not a non-negative integer`);
      const min = spec.min ?? 0;
      const max = spec.kind === 'port' ? 65535 : (spec.max ?? UINT32_MAX);
      return shared(() => parseInteger(String(raw), spec.key, { min, max }));
    }
    case 'bool': {
      if (typeof raw === 'boolean') return { ok: true, value: raw };
      if (typeof raw !== 'string') return fail(`${JSON.stringify(raw)} is not a boolean (use true or false)`);
      return shared(() => parseBoolean(raw, spec.key));
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
      return { ok: true, value: parseList(raw) };
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
