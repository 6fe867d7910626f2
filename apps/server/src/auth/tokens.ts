import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export const sha256Hex = (s: string) => createHash('sha256').update(s).digest('hex');

function base62(len: number): string {
  let out = '';
  for (let i = 0; i < len; i++) out += BASE62[randomInt(62)];
  return out;
}

/** `scp_u_` / `scp_d_` + 32 base62 characters, as the reference mints them. */
export const newUserApiKey = () => `scp_u_${base62(32)}`;
export const newDaemonApiKey = () => `scp_d_${base62(32)}`;
export const newSessionToken = () => randomBytes(32).toString('base64url');

export function constantTimeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(sha256Hex(a));
  const bb = Buffer.from(sha256Hex(b));
  return timingSafeEqual(ab, bb);
}
