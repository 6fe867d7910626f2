import { describe, expect, it } from 'vitest';
import { unmetPasswordRules } from './password.ts';

describe('unmetPasswordRules', () => {
  it('accepts a password the server accepts', () => {
    expect(unmetPasswordRules('Sup3rSecretPw')).toEqual([]);
  });
  it('lists every unmet rule', () => {
    expect(unmetPasswordRules('')).toEqual(['length', 'upper', 'lower', 'digit']);
    expect(unmetPasswordRules('alllowercase1')).toEqual(['upper']);
    expect(unmetPasswordRules('Short1a')).toEqual(['length']);
  });
});
