import { readFileSync } from 'node:fs';
import { EnvValueError } from './errors.ts';

/** An environment, e.g. `process.env`; tests pass a plain object. */
export type Env = Readonly<Record<string, string | undefined>>;

export interface EnvValue {
  value: string;
  /** The variable that supplied the value: `NAME`, or `NAME_FILE` when it came from a file. */
  variable: string;
  /** The file that was read, when the value came from `NAME_FILE`. */
  file?: string;
}

/**
 * The value of `NAME`, else the contents of the file `NAME_FILE` names (Docker and Kubernetes secrets), else
 * undefined. An empty `NAME` counts as unset. File contents lose their trailing whitespace, newlines included
 * (editors and `echo` end files with one; no setting ends in a space), and nothing else. An unreadable file is an
 * `EnvValueError` naming `NAME_FILE`, never silently "unset".
 */
export function readVariable(env: Env, name: string): EnvValue | undefined {
  const direct = env[name];
  if (direct !== undefined && direct !== '') return { value: direct, variable: name };
  const fileVariable = `${name}_FILE`;
  const file = env[fileVariable];
  if (file === undefined || file === '') return undefined;
  let contents: string;
  try {
    contents = readFileSync(file, 'utf8');
  } catch (err) {
    throw new EnvValueError(fileVariable, `cannot read ${file}: ${(err as Error).message}`);
  }
  return { value: contents.trimEnd(), variable: fileVariable, file };
}
