import { readFileSync } from 'node:fs';
import { Value } from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, ERROR_DEFINITIONS, ErrorCode, REFERENCE_ONLY_ERROR_CODES } from './errors.ts';
import { referencePath } from './test-fixtures.ts';

/** The code list of api-model.md §4.1 ("Error codes (string `code`): a, b, c; d, …"). */
function referenceCodes(): string[] {
  const model = readFileSync(referencePath.replace(/reference-openapi-v1\.json$/, 'api-model.md'), 'utf8');
  const list = /Error codes \(string `code`\): ([^.]+)\./.exec(model)?.[1];
  if (!list) throw new Error('api-model.md no longer lists the error codes where this test looks');
  return list.split(/[,;]\s*/).map((code) => code.replace(/\s*\(v\d+\)$/, '').trim());
}

describe('error codes', () => {
  it('include every code of the reference API', () => {
    const codes = referenceCodes();
    expect(codes.length).toBeGreaterThan(50);
    expect(codes.filter((code) => !(ERROR_CODES as readonly string[]).includes(code))).toEqual([]);
  });

  it('list each code once, either with our definition or as a reference-only code', () => {
    expect(new Set(ERROR_CODES).size).toBe(ERROR_CODES.length);
    for (const code of REFERENCE_ONLY_ERROR_CODES) expect(ERROR_DEFINITIONS).not.toHaveProperty(code);
    for (const code of ERROR_CODES) expect(Value.Check(ErrorCode, code), code).toBe(true);
    expect(Value.Check(ErrorCode, 'no_such_code')).toBe(false);
  });

  it.each(Object.entries(ERROR_DEFINITIONS))('%s has an error status and a message', (_code, def) => {
    expect(Number.isInteger(def.status) && def.status >= 400 && def.status < 600).toBe(true);
    expect(def.message.trim()).not.toBe('');
  });
});
