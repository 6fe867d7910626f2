import type { ServerConfig } from '../config.ts';

/** The browser session cookie (HttpOnly, SameSite=Lax, Secure when configured, sliding 7-day expiry by default). */
export const SESSION_COOKIE = 'session_id';

interface CookieReply {
  setCookie: (name: string, value: string, opts: object) => unknown;
  clearCookie: (name: string, opts: object) => unknown;
}

export function setSessionCookie(
  reply: Pick<CookieReply, 'setCookie'>,
  config: Pick<ServerConfig, 'useSecureSessionCookies' | 'sessionTtlHours'>,
  token: string,
): void {
  reply.setCookie(SESSION_COOKIE, token, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: config.useSecureSessionCookies,
    maxAge: config.sessionTtlHours * 3600,
  });
}

export function clearSessionCookie(reply: Pick<CookieReply, 'clearCookie'>): void {
  reply.clearCookie(SESSION_COOKIE, { path: '/' });
}
