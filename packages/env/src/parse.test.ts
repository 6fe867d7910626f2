import { describe, expect, it } from 'vitest';
import { EnvValueError, isBooleanWord, parseBoolean, parseInteger, parseList } from './index.ts';

function errorOf(fn: () => unknown): EnvValueError {
  try {
    fn();
  } catch (err) {
    if (err instanceof EnvValueError) return err;
    throw err;
  }
  throw new Error('expected an EnvValueError');
}

describe('parseBoolean', () => {
  it.each(['true', '1', 'yes', 'on', 'TRUE', 'Yes', ' on '])('reads %j as true', (raw) => {
    expect(parseBoolean(raw, 'X')).toBe(true);
  });

  it.each(['false', '0', 'no', 'off', 'False', 'NO', 'Off\n'])('reads %j as false', (raw) => {
    expect(parseBoolean(raw, 'X')).toBe(false);
  });

  it.each(['maybe', '', 'y', 'n', '2', 'enabled', 'truee'])('rejects %j naming the variable', (raw) => {
    const err = errorOf(() => parseBoolean(raw, 'SCANOPY_TRUST_PROXY'));
    expect(err.variable).toBe('SCANOPY_TRUST_PROXY');
    expect(err.message).toBe(
      `SCANOPY_TRUST_PROXY: "${raw}" is not a boolean (use true/false, 1/0, yes/no or on/off)`,
    );
  });

  it('recognises the same words for flags that take an optional value', () => {
    expect(['true', 'FALSE', '1', '0', 'yes', 'no', 'on', 'off'].every(isBooleanWord)).toBe(true);
    expect(['', 'eth0', '--x', 'y'].some(isBooleanWord)).toBe(false);
  });
});

describe('parseInteger', () => {
  it('reads decimal digits, trimmed, within the bounds', () => {
    expect(parseInteger('8080', 'P', { min: 0, max: 65535 })).toBe(8080);
    expect(parseInteger(' 42\n', 'P')).toBe(42);
    expect(parseInteger('0', 'P', { max: 0 })).toBe(0);
    expect(parseInteger('65535', 'P', { min: 1, max: 65535 })).toBe(65535);
  });

  it.each(['eighty', '3abc', '1e3', '+5', '0x10', '1.5', '1 000', '', '-1', '9007199254740993'])(
    'rejects %j as not a non-negative integer',
    (raw) => {
      expect(errorOf(() => parseInteger(raw, 'SCANOPY_SERVER_PORT')).message).toBe(
        `SCANOPY_SERVER_PORT: "${raw}" is not a non-negative integer`,
      );
    },
  );

  it('rejects values outside the bounds with the range', () => {
    expect(errorOf(() => parseInteger('70000', 'PORT', { min: 0, max: 65535 })).message).toBe(
      'PORT: 70000 is out of range 0–65535',
    );
    expect(errorOf(() => parseInteger('0', 'N', { min: 1, max: 10 })).reason).toBe('0 is out of range 1–10');
    expect(errorOf(() => parseInteger('3', 'N', { min: 5 })).reason).toBe('3 is less than 5');
  });

  it('takes a sign only when the minimum is negative', () => {
    expect(parseInteger('-5', 'OFFSET', { min: -10, max: 10 })).toBe(-5);
    expect(errorOf(() => parseInteger('-11', 'OFFSET', { min: -10, max: 10 })).reason).toBe(
      '-11 is out of range -10–10',
    );
    expect(errorOf(() => parseInteger('x', 'OFFSET', { min: -10 })).reason).toBe('"x" is not an integer');
  });
});

describe('parseList', () => {
  it('splits on commas, trims items and drops empty ones', () => {
    expect(parseList(' eth0, ,wlan0 ,')).toEqual(['eth0', 'wlan0']);
    expect(parseList('')).toEqual([]);
    expect(parseList('10.0.0.0/8')).toEqual(['10.0.0.0/8']);
  });

  it('takes another separator', () => {
    expect(parseList('a; b;;c', ';')).toEqual(['a', 'b', 'c']);
  });
});
