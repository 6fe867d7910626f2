import { describe, expect, it } from 'vitest';
import { localDay } from './format.ts';

describe('localDay', () => {
  it('is the local calendar day of an instant, which the API key form round-trips through its date field', () => {
    // What the form stores for a chosen day: the end of that local day.
    const stored = new Date('2026-12-05T23:59:59').toISOString();
    expect(localDay(stored)).toBe('2026-12-05');
    expect(localDay(new Date(2027, 0, 9, 0, 0, 1).toISOString())).toBe('2027-01-09');
  });
});
