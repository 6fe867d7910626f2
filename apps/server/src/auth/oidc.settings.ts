import { readFileSync } from 'node:fs';

/** One OpenID Connect provider users may sign in with (api-model.md §3.5). */
export interface OidcProviderConfig {
  name: string;
  /** URL-safe id: `/api/auth/oidc/<slug>/…` and the value stored in `users.oidc_provider`. */
  slug: string;
  logo?: string;
  issuer_url: string;
  client_id: string;
  client_secret: string;
}

const SLUG_RE = /^[a-z0-9][a-z0-9_-]{0,49}$/;
const fields = new Set(['name', 'slug', 'logo', 'issuer_url', 'client_id', 'client_secret']);

/**
 * The configured providers: `SCANOPY_OIDC_PROVIDERS` (JSON) when set, else the `[[oidc_providers]]` tables of the
 * file at `SCANOPY_OIDC_CONFIG`, else none. Throws with a message naming the source and the entry when invalid.
 */
export function oidcProviders(cfg: {
  oidcProviders?: string;
  oidcConfigPath?: string;
}): OidcProviderConfig[] {
  if (cfg.oidcProviders !== undefined) {
    let raw: unknown;
    try {
      raw = JSON.parse(cfg.oidcProviders);
    } catch (err) {
      throw new Error(`SCANOPY_OIDC_PROVIDERS is not valid JSON: ${(err as Error).message}`);
    }
    return validate('SCANOPY_OIDC_PROVIDERS', raw);
  }
  if (cfg.oidcConfigPath !== undefined) {
    let text: string;
    try {
      text = readFileSync(cfg.oidcConfigPath, 'utf8');
    } catch (err) {
      throw new Error(`SCANOPY_OIDC_CONFIG: cannot read ${cfg.oidcConfigPath}: ${(err as Error).message}`);
    }
    const source = `SCANOPY_OIDC_CONFIG (${cfg.oidcConfigPath})`;
    let tables: Record<string, string>[];
    try {
      tables = parseProviderToml(text);
    } catch (err) {
      throw new Error(`${source}: ${(err as Error).message}`);
    }
    return validate(source, tables);
  }
  return [];
}

function validate(source: string, raw: unknown): OidcProviderConfig[] {
  if (!Array.isArray(raw)) throw new Error(`${source} must be a list of providers`);
  const slugs = new Set<string>();
  return raw.map((entry: unknown, i) => {
    const where = `${source}: provider ${i + 1}`;
    if (!entry || typeof entry !== 'object' || Array.isArray(entry))
      throw new Error(`${where} must be an object`);
    const e = entry as Record<string, unknown>;
    for (const k of Object.keys(e)) if (!fields.has(k)) throw new Error(`${where} has unknown field "${k}"`);
    for (const k of ['name', 'slug', 'issuer_url', 'client_id', 'client_secret']) {
      if (typeof e[k] !== 'string' || !(e[k] as string).trim()) throw new Error(`${where} needs a "${k}"`);
    }
    if (e.logo !== undefined && typeof e.logo !== 'string')
      throw new Error(`${where}: "logo" must be a string`);
    const p = e as unknown as OidcProviderConfig;
    if (!SLUG_RE.test(p.slug)) {
      throw new Error(
        `${where}: slug "${p.slug}" must be lower-case letters, digits, "-" or "_" (at most 50)`,
      );
    }
    if (slugs.has(p.slug)) throw new Error(`${where}: slug "${p.slug}" is used twice`);
    slugs.add(p.slug);
    let url: URL;
    try {
      url = new URL(p.issuer_url);
    } catch {
      throw new Error(`${where}: issuer_url "${p.issuer_url}" is not a URL`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new Error(`${where}: issuer_url must be http(s)`);
    }
    return {
      name: p.name,
      slug: p.slug,
      ...(p.logo ? { logo: p.logo } : {}),
      issuer_url: p.issuer_url,
      client_id: p.client_id,
      client_secret: p.client_secret,
    };
  });
}

const TABLE_RE = /^\[\[\s*oidc_providers\s*\]\]\s*(#.*)?$/;
const PAIR_RE = /^([A-Za-z0-9_-]+)\s*=\s*("(?:[^"\\]|\\.)*"|'[^']*')\s*(#.*)?$/;

/**
 * Reads the part of TOML that an oidc.toml uses: `[[oidc_providers]]` tables of `key = "string"` pairs, comments
 * and blank lines. Anything else is refused with its line number rather than guessed at, so a file that needs a
 * full TOML parser fails at boot instead of losing settings.
 */
export function parseProviderToml(text: string): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  let current: Record<string, string> | undefined;
  text.split(/\r?\n/).forEach((line, i) => {
    const l = line.trim();
    if (!l || l.startsWith('#')) return;
    if (TABLE_RE.test(l)) {
      current = {};
      out.push(current);
      return;
    }
    const m = PAIR_RE.exec(l);
    if (!m || !current) {
      throw new Error(
        `line ${i + 1}: expected [[oidc_providers]] or key = "string" inside one (got "${l.slice(0, 40)}")`,
      );
    }
    const [, key, value] = m;
    if (key in current) throw new Error(`line ${i + 1}: "${key}" is set twice in one provider`);
    try {
      current[key] = value.startsWith("'") ? value.slice(1, -1) : (JSON.parse(value) as string);
    } catch {
      throw new Error(`line ${i + 1}: invalid escape in the string of "${key}"`);
    }
  });
  return out;
}
