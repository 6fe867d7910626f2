import { isBooleanWord } from '@scanopy/env';
import { KEY_SPECS, type ConfigKey, type KeySpec } from './keys.ts';
import { ConfigError } from './parse.ts';

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
 * following boolean word (true/false, 1/0, yes/no, on/off) as its value (clap's
 * `--allow-self-signed-certs true` form keeps working).
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
        if (next !== undefined && isBooleanWord(next)) {
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
