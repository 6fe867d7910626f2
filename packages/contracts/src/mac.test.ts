import { describe, expect, it } from 'vitest';
import { isMacAddress, normalizeMac } from './index.ts';

describe('normalizeMac', () => {
  it.each([
    ['aa:bb:cc:dd:ee:ff', 'aa:bb:cc:dd:ee:ff'],
    ['AA:BB:CC:DD:EE:FF', 'aa:bb:cc:dd:ee:ff'],
    ['aa-bb-cc-dd-ee-ff', 'aa:bb:cc:dd:ee:ff'],
    ['02-42-AC-11-00-02', '02:42:ac:11:00:02'],
    ['aabbccddeeff', 'aa:bb:cc:dd:ee:ff'],
    ['0242AC110002', '02:42:ac:11:00:02'],
    ['  aa:bb:cc:dd:ee:ff\n', 'aa:bb:cc:dd:ee:ff'],
  ])('stores %j as %j', (input, stored) => {
    expect(normalizeMac(input)).toBe(stored);
  });

  it.each([null, undefined, '', '   '])('is null for an absent MAC (%j)', (input) => {
    expect(normalizeMac(input)).toBeNull();
  });

  it.each(['00:00:00:00:00:00', '00-00-00-00-00-00', '000000000000'])(
    'is null for the all-zero MAC %j',
    (input) => {
      expect(normalizeMac(input)).toBeNull();
    },
  );

  it.each([
    'aa:bb:cc:dd:ee',
    'aa:bb:cc:dd:ee:ff:00',
    'aa:bb:cc:dd:ee:fg',
    'a:bb:cc:dd:ee:ff',
    'aabb.ccdd.eeff',
    'aa bb cc dd ee ff',
    'aabbccddeef',
    'aabbccddeeff00',
    'not a mac',
  ])('is null for %j, which is not a MAC in an accepted form', (input) => {
    expect(normalizeMac(input)).toBeNull();
  });
});

describe('isMacAddress', () => {
  it('accepts what normalizeMac stores and refuses the rest', () => {
    expect(isMacAddress('AA-BB-CC-DD-EE-FF')).toBe(true);
    expect(isMacAddress('aabbccddeeff')).toBe(true);
    expect(isMacAddress('00:00:00:00:00:00')).toBe(false);
    expect(isMacAddress('')).toBe(false);
    expect(isMacAddress(null)).toBe(false);
    expect(isMacAddress('aa:bb:cc')).toBe(false);
  });
});
