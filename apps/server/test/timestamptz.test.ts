import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { genericTimestamptz as generic, parseTimestamptz } from '../src/db/timestamptz.ts';
import { freshDb } from './harness.ts';

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

describe('timestamptz parser', () => {
  it('gives the same instant as the generic parser for UTC values with 0–6 fraction digits', () => {
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let i = 0; i < 20_000; i++) {
      const digits = rand(7);
      const frac = digits ? `.${String(rand(10 ** digits)).padStart(digits, '0')}` : '';
      const text =
        `${pad(1000 + rand(9000), 4)}-${pad(1 + rand(12))}-${pad(1 + rand(28))} ` +
        `${pad(rand(24))}:${pad(rand(60))}:${pad(rand(60))}${frac}+00`;
      expect(parseTimestamptz(text).getTime(), text).toBe(generic(text).getTime());
    }
  });

  it('leaves other offsets, years, BC and infinity to the generic parser', () => {
    for (const text of [
      '2026-12-06 03:11:57.5+01',
      '2026-12-06 07:41:57.123456+05:30',
      '0099-01-01 00:00:00+00',
      '0044-03-15 12:00:00+00 BC',
      '12026-01-01 00:00:00+00',
      'infinity',
      '-infinity',
    ]) {
      const ours = parseTimestamptz(text);
      const theirs = generic(text);
      expect(Number(ours), text).toBe(Number(theirs));
    }
  });

  it('reads what PostgreSQL sends back exactly as written', async () => {
    const { db, drop } = await freshDb('postgres');
    try {
      const values = ['2026-12-06T02:11:57.123Z', '1999-12-31T23:59:59.999Z', '2026-01-01T00:00:00.000Z'];
      for (const v of values) {
        const { rows } = await sql<{ t: Date }>`select ${v}::timestamptz as t`.execute(db.kysely);
        expect(rows[0].t).toBeInstanceOf(Date);
        expect(rows[0].t.toISOString()).toBe(v);
      }
      const { rows } = await sql<{
        t: Date;
      }>`select '2026-12-06 02:11:57.123456+00'::timestamptz as t`.execute(db.kysely);
      expect(rows[0].t.getTime()).toBe(generic('2026-12-06 02:11:57.123456+00').getTime());
    } finally {
      await drop();
    }
  });
});
