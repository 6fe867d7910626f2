import { DEFAULT_NAME, defaultOf, envName, KEY_SPECS, type ConfigKey } from './keys.ts';
import { configPathFor } from './sources.ts';

/** `--help` and the rows of docs/configuration.md's Daemon table, both from the key table. */

function defaultShown(key: ConfigKey): string {
  if (key === 'id') return 'random UUID, persisted';
  const value = defaultOf(key);
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
