import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_DEFINITIONS } from '@scanopy/contracts';
import { repoRoot } from '../src/config.ts';
import { errorRegistry } from '../src/http/errors.ts';

const srcDir = path.join(repoRoot, 'apps/server/src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

describe('error registry', () => {
  it('is the one defined in @scanopy/contracts', () => {
    expect(errorRegistry).toBe(ERROR_DEFINITIONS);
  });

  // The types already refuse an unknown code; this also catches a code built at run time or cast past the types.
  it('defines every code the server throws', () => {
    const thrown = new Set<string>();
    for (const file of sources(srcDir)) {
      for (const m of readFileSync(file, 'utf8').matchAll(/new AppError\(\s*'(\w+)'/g)) thrown.add(m[1]);
    }
    expect(thrown.size).toBeGreaterThan(30);
    expect([...thrown].filter((code) => !(code in errorRegistry))).toEqual([]);
  });

  it('gives the errors the central handler renders itself the registry status', () => {
    const handler = readFileSync(path.join(srcDir, 'http/error-handler.ts'), 'utf8');
    const rendered = [...handler.matchAll(/status: (\d+),\s*code: '(\w+)'/g)].map((m): [string, number] => [
      m[2],
      Number(m[1]),
    ]);
    expect(rendered.length).toBeGreaterThan(5);
    for (const [code, status] of rendered) {
      expect(code in errorRegistry, `${code} is not in the registry`).toBe(true);
      expect(errorRegistry[code as keyof typeof errorRegistry].status, code).toBe(status);
    }
  });
});
