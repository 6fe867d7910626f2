import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { generateDbTypes, schemaFile } from '../scripts/db-types.ts';
import { freshDb } from './harness.ts';

describe('generated table types', () => {
  it('src/db/schema.ts matches the migrated schema (run `npm run db-types -w apps/server` after a migration)', async () => {
    const { db, drop } = await freshDb('pglite', { migrated: true });
    try {
      expect(await generateDbTypes(db)).toBe(await readFile(schemaFile, 'utf8'));
    } finally {
      await drop();
    }
  });
});
