import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../src/config.ts';
import { generateOpenApi } from '../src/openapi.ts';

describe('OpenAPI document', () => {
  it('is committed up to date (run `npm run openapi -w apps/server` after changing routes)', async () => {
    const generated = await generateOpenApi();
    const committed = readFileSync(path.join(repoRoot, 'docs/openapi.json'), 'utf8');
    expect(committed).toBe(generated);
  });

  it('gives every operation an operationId, tags and a success (200 or 201) response schema', async () => {
    const doc = JSON.parse(await generateOpenApi()) as {
      paths: Record<
        string,
        Record<string, { operationId?: string; tags?: string[]; responses?: Record<string, unknown> }>
      >;
    };
    const ops = Object.entries(doc.paths).flatMap(([p, methods]) =>
      Object.entries(methods).map(([m, op]) => ({ id: `${m} ${p}`, op })),
    );
    expect(ops.length).toBeGreaterThan(40);
    const ids = new Set<string>();
    for (const { id, op } of ops) {
      expect(op.operationId, id).toBeTruthy();
      expect(ids.has(op.operationId!), `duplicate operationId ${op.operationId}`).toBe(false);
      ids.add(op.operationId!);
      expect(op.tags?.length, id).toBeGreaterThan(0);
      expect(op.responses?.['200'] ?? op.responses?.['201'], id).toBeDefined();
    }
  });
});
