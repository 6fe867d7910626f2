import { EnvValueError } from './errors.ts';

/**
 * Parsers for one setting's text. Each trims surrounding whitespace first and throws an `EnvValueError` naming
 * `name` (whatever the caller calls the setting: a variable, a flag) when the text is not a valid value.
 */

const TRUE_WORDS = ['true', '1', 'yes', 'on'];
const FALSE_WORDS = ['false', '0', 'no', 'off'];

/** Whether `raw` is one of the boolean words (case-insensitive), e.g. to let a flag take a following value. */
export function isBooleanWord(raw: string): boolean {
  const word = raw.trim().toLowerCase();
  return TRUE_WORDS.includes(word) || FALSE_WORDS.includes(word);
}

/** `true`/`1`/`yes`/`on` and `false`/`0`/`no`/`off`, any case; anything else (the empty string too) throws. */
export function parseBoolean(raw: string, name: string): boolean {
  const word = raw.trim().toLowerCase();
  if (TRUE_WORDS.includes(word)) return true;
  if (FALSE_WORDS.includes(word)) return false;
  throw new EnvValueError(name, `"${raw}" is not a boolean (use true/false, 1/0, yes/no or on/off)`);
}

export interface IntegerBounds {
  /** Inclusive; default 0. A negative minimum also lets the text carry a leading `-`. */
  min?: number;
  /** Inclusive; default none (up to Number.MAX_SAFE_INTEGER). */
  max?: number;
}

/**
 * A whole number in decimal digits: no `+`, exponent, fraction, hex or inner spaces, and a `-` only when `min`
 * is negative. Values outside [min, max] throw with the range in the message.
 */
export function parseInteger(raw: string, name: string, bounds: IntegerBounds = {}): number {
  const min = bounds.min ?? 0;
  const text = raw.trim();
  const pattern = min < 0 ? /^-?\d+$/ : /^\d+$/;
  const n = pattern.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n)) {
    throw new EnvValueError(name, `"${raw}" is not ${min < 0 ? 'an integer' : 'a non-negative integer'}`);
  }
  const max = bounds.max;
  if (n < min || (max !== undefined && n > max)) {
    const reason = max === undefined ? `${n} is less than ${min}` : `${n} is out of range ${min}–${max}`;
    throw new EnvValueError(name, reason);
  }
  return n;
}

/** Items separated by `separator` (default a comma), each trimmed; empty items are dropped, so `""` is `[]`. */
export function parseList(raw: string, separator = ','): string[] {
  return raw
    .split(separator)
    .map((item) => item.trim())
    .filter((item) => item !== '');
}
