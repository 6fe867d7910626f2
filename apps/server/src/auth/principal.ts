import { AppError } from '../http/errors.ts';

export const roles = ['Viewer', 'Member', 'Admin', 'Owner'] as const;
export type Role = (typeof roles)[number];
export const roleRank = (r: Role) => roles.indexOf(r) + 1;

interface Base {
  organizationId: string;
  /** Networks this caller may see: computed once per request, the single source for every scope check. */
  networkIds: string[];
}
export interface SessionPrincipal extends Base {
  kind: 'session';
  userId: string;
  role: Role;
  sessionId: string;
}
export interface UserKeyPrincipal extends Base {
  kind: 'user_api_key';
  userId: string;
  role: Role;
  keyId: string;
}
export interface DaemonPrincipal extends Base {
  kind: 'daemon';
  keyId: string;
  daemonId: string;
  networkId: string;
  version?: string;
}
export type Principal = SessionPrincipal | UserKeyPrincipal | DaemonPrincipal;
export type UserPrincipal = SessionPrincipal | UserKeyPrincipal;

/**
 * Route access levels. Role levels accept a session or a user API key with at least that role; `session` accepts only
 * a browser session (key management); `daemon` only a daemon key; `*_or_daemon` either.
 */
export type Access =
  | 'public'
  | 'session'
  | 'viewer'
  | 'member'
  | 'admin'
  | 'owner'
  | 'daemon'
  | 'viewer_or_daemon'
  | 'member_or_daemon';

const levelRole: Record<string, Role> = {
  viewer: 'Viewer',
  member: 'Member',
  admin: 'Admin',
  owner: 'Owner',
};

/** The single place that decides whether a principal may use a route of the given access level. */
export function authorize(p: Principal | undefined, access: Access): void {
  if (access === 'public') return;
  if (!p) throw new AppError('auth_not_authenticated');
  if (p.kind === 'daemon') {
    if (access === 'daemon' || access === 'viewer_or_daemon' || access === 'member_or_daemon') return;
    throw new AppError('auth_permission_denied', { role: 'user' });
  }
  if (access === 'daemon') throw new AppError('auth_permission_denied', { role: 'daemon' });
  if (access === 'session') {
    if (p.kind !== 'session')
      throw new AppError('auth_permission_denied', { role: 'session (not an API key)' });
    return;
  }
  const needed = levelRole[access.replace('_or_daemon', '')];
  if (roleRank(p.role) < roleRank(needed)) throw new AppError('auth_permission_denied', { role: needed });
}

export function requireUser(p: Principal | undefined): UserPrincipal {
  if (!p || p.kind === 'daemon') throw new AppError('auth_not_authenticated');
  return p;
}

export function canSeeNetwork(p: Principal, networkId: string): boolean {
  return p.networkIds.includes(networkId);
}
