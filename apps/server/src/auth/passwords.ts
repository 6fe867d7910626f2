import { hash, verify } from '@node-rs/argon2';

// Algorithm.Argon2id; the const enum cannot be imported under isolatedModules.
const ARGON2ID = 2;

/** The reference's strength rule: at least 10 characters with an uppercase, a lowercase letter and a digit. */
export function passwordProblem(password: string): string | undefined {
  if (password.length < 10) return 'Password must be at least 10 characters';
  if (password.length > 256) return 'Password must be at most 256 characters';
  if (!/[A-Z]/.test(password)) return 'Password must contain an uppercase letter';
  if (!/[a-z]/.test(password)) return 'Password must contain a lowercase letter';
  if (!/[0-9]/.test(password)) return 'Password must contain a digit';
  return undefined;
}

export function hashPassword(password: string): Promise<string> {
  return hash(password, { algorithm: ARGON2ID });
}

export async function verifyPassword(stored: string | null, password: string): Promise<boolean> {
  if (!stored) return false;
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}

/** Verifying against a fixed hash when the user is unknown keeps response time from revealing which emails exist. */
let dummyHash: Promise<string> | undefined;
export async function burnVerify(password: string): Promise<void> {
  dummyHash ??= hashPassword('Dummy-password-0');
  await verifyPassword(await dummyHash, password);
}
