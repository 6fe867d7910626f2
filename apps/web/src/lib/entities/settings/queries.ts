import { queryOptions } from '@tanstack/svelte-query';
import { apiDelete, apiGet, apiPost, apiPut } from '$lib/api/client.ts';
import { resourceQueries } from '$lib/api/queries.ts';
import type { PermissionLevel, User } from '$lib/api/types.ts';
import type {
  AdminUpdateUserRequest,
  CreateInviteRequest,
  CreateUpdateShareRequest,
  CreateUserApiKeyRequest,
  Invite,
  Organization,
  Share,
  UserApiKey,
  UserApiKeyResponse,
} from '@scanopy/contracts';

export type { Invite, Organization, Share, UserApiKey };

export const userQueries = resourceQueries<User, never, AdminUpdateUserRequest>('users');
export const inviteQueries = resourceQueries<Invite, CreateInviteRequest>('invites');
export const userKeyQueries = resourceQueries<UserApiKey, CreateUserApiKeyRequest>('auth/keys');
// The share body is wrapped: { share, password } (the password is only sent to set or clear one).
export const shareQueries = resourceQueries<Share, CreateUpdateShareRequest>('shares');

/** An admin sets another user's role and network grants. */
export const setUserAccess = (id: string, body: AdminUpdateUserRequest) =>
  apiPut<User>(`/api/v1/users/${encodeURIComponent(id)}/admin`, body);

export const createInvite = (body: CreateInviteRequest) => apiPost<Invite>('/api/v1/invites', body);
export const revokeInvite = (id: string) => apiDelete(`/api/v1/invites/${encodeURIComponent(id)}/revoke`);

/** The link to hand to the invited person. */
export const inviteLink = (invite: Invite) =>
  `${invite.url.replace(/\/$/, '')}/api/v1/invites/${encodeURIComponent(invite.id)}/accept`;

export const createUserKey = (body: CreateUserApiKeyRequest) =>
  apiPost<UserApiKeyResponse>('/api/v1/auth/keys', body);
export const rotateUserKey = (id: string) =>
  apiPost<string>(`/api/v1/auth/keys/${encodeURIComponent(id)}/rotate`);

export const organizationKey = ['organization'] as const;
export const organizationQuery = () =>
  queryOptions({ queryKey: organizationKey, queryFn: () => apiGet<Organization>('/api/v1/organizations') });
export const renameOrganization = (id: string, name: string) =>
  apiPut<Organization>(`/api/v1/organizations/${encodeURIComponent(id)}`, name);
export const resetOrganization = (id: string) =>
  apiPost<null>(`/api/v1/organizations/${encodeURIComponent(id)}/reset`);

/** Roles from the strongest down; a user can only hand out roles up to their own. */
export const ROLES: readonly PermissionLevel[] = ['Owner', 'Admin', 'Member', 'Viewer'];
const RANK: Record<PermissionLevel, number> = { Viewer: 0, Member: 1, Admin: 2, Owner: 3 };
export const atLeast = (role: PermissionLevel | undefined, min: PermissionLevel) =>
  !!role && RANK[role] >= RANK[min];
export const grantableRoles = (mine: PermissionLevel) => ROLES.filter((r) => RANK[r] <= RANK[mine]);

/** Owners and admins see every network of the organization; other roles only the ones granted. */
export const seesAllNetworks = (role: PermissionLevel) => role === 'Owner' || role === 'Admin';

export const ROLE_HINTS: Record<PermissionLevel, string> = {
  Owner: 'Everything, including renaming and resetting the organization.',
  Admin: 'Manages users, invites and every network.',
  Member: 'Edits the data of the networks it is given.',
  Viewer: 'Reads the networks it is given; changes nothing.',
};
