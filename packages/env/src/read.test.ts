import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EnvValueError, readVariable } from './index.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'scanopy-env-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function secret(contents: string): string {
  const file = path.join(dir, `secret-${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, contents);
  return file;
}

describe('readVariable', () => {
  it('returns the variable as set, untouched', () => {
    expect(readVariable({ SCANOPY_X: '  padded  ' }, 'SCANOPY_X')).toEqual({
      value: '  padded  ',
      variable: 'SCANOPY_X',
    });
  });

  it('reads NAME_FILE when NAME is unset or empty, and prefers NAME when both are set', () => {
    const file = secret('from-file');
    expect(readVariable({ SCANOPY_X_FILE: file }, 'SCANOPY_X')).toEqual({
      value: 'from-file',
      variable: 'SCANOPY_X_FILE',
      file,
    });
    expect(readVariable({ SCANOPY_X: '', SCANOPY_X_FILE: file }, 'SCANOPY_X')?.value).toBe('from-file');
    expect(readVariable({ SCANOPY_X: 'direct', SCANOPY_X_FILE: file }, 'SCANOPY_X')?.value).toBe('direct');
  });

  it('trims trailing whitespace and newlines of a file, and only those', () => {
    expect(readVariable({ K_FILE: secret('scp_d_abc\n') }, 'K')?.value).toBe('scp_d_abc');
    expect(readVariable({ K_FILE: secret('scp_d_abc\r\n\n  \t') }, 'K')?.value).toBe('scp_d_abc');
    expect(readVariable({ K_FILE: secret('  two words \n') }, 'K')?.value).toBe('  two words');
    expect(readVariable({ K_FILE: secret('line one\nline two\n') }, 'K')?.value).toBe('line one\nline two');
  });

  it('is undefined when neither NAME nor NAME_FILE is set', () => {
    expect(readVariable({}, 'K')).toBeUndefined();
    expect(readVariable({ K: '', K_FILE: '' }, 'K')).toBeUndefined();
  });

  it('throws naming NAME_FILE when the file cannot be read', () => {
    const missing = path.join(dir, 'missing');
    let error: unknown;
    try {
      readVariable({ K_FILE: missing }, 'K');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(EnvValueError);
    expect(error).toMatchObject({ variable: 'K_FILE' });
    expect((error as Error).message).toMatch(new RegExp(`^K_FILE: cannot read ${missing}: ENOENT`));
  });
});
