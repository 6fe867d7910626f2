import { roleRank, type Role, type UserPrincipal } from '../../auth/principal.ts';
import type { EmailService } from '../../auth/email.service.ts';
import type { SessionRow, SessionStore } from '../../auth/sessions.ts';
import { AppError, notFound } from '../../http/errors.ts';
import type { OrganizationsRepository } from '../organizations/organizations.repository.ts';
import type { UsersRepository } from '../users/users.repository.ts';
import type { InviteVisibility, InvitesRepository } from './invites.repository.ts';

export interface InviteInput {
  permissions: Role;
  network_ids: string[];
  send_to?: string | null;
  expiration_hours?: number | null;
}

const DEFAULT_EXPIRATION_HOURS = 168;

/** Owners see every invite of the org; others only those they created or with a role below their own. */
function visibility(p: UserPrincipal): InviteVisibility {
  return {
    organizationId: p.organizationId,
    ...(p.role === 'Owner' ? {} : { belowRank: roleRank(p.role) }),
    creator: p.userId,
  };
}

/** Invitations to join an organization with a role and networks; registering through one spends it. */
export class InvitesService {
  constructor(
    private readonly invites: InvitesRepository,
    private readonly users: UsersRepository,
    private readonly organizations: OrganizationsRepository,
    private readonly sessions: SessionStore,
    private readonly email: EmailService,
    /** The server's public URL, handed out with each invite. */
    private readonly publicUrl: string,
  ) {}

  /** An invite can grant at most the inviter's role and networks; `send_to` also mails the link. */
  async create(p: UserPrincipal, input: InviteInput) {
    if (roleRank(input.permissions) > roleRank(p.role)) {
      throw new AppError('auth_permission_denied', { role: input.permissions });
    }
    const networks = [...new Set(input.network_ids)];
    if (networks.some((n) => !p.networkIds.includes(n))) throw new AppError('entity_reference_invalid');
    if (input.send_to && (await this.users.emailTaken(input.send_to)))
      throw new AppError('user_email_in_use');
    const id = await this.invites.insert({
      organizationId: p.organizationId,
      permissions: input.permissions,
      networkIds: networks,
      url: this.publicUrl.replace(/\/+$/, ''),
      createdBy: p.userId,
      sendTo: input.send_to ?? null,
      expirationHours: input.expiration_hours ?? DEFAULT_EXPIRATION_HOURS,
    });
    const invite = await this.get(p, id);
    if (input.send_to) {
      const org = (await this.organizations.name(p.organizationId)) ?? 'an organization';
      // Not awaited: the invite exists either way and the link can still be copied by hand.
      void this.email.send({
        to: input.send_to,
        subject: `You are invited to ${org} on Scanopy`,
        text:
          `You have been invited to join ${org} on Scanopy as ${input.permissions}.\n\n` +
          `Accept the invitation here:\n${this.email.link(`/api/v1/invites/${id}/accept`)}`,
      });
    }
    return invite;
  }

  /** The caller's visible invites that have not expired, oldest first. */
  list(p: UserPrincipal) {
    return this.invites.listLive(visibility(p));
  }

  async get(p: UserPrincipal, id: string) {
    const row = await this.invites.find(visibility(p), id);
    if (!row) throw notFound('Invite');
    return row;
  }

  async revoke(p: UserPrincipal, id: string): Promise<void> {
    await this.get(p, id);
    await this.invites.delete(id);
  }

  /**
   * A followed invite link: the invite is remembered in the browser's session (an anonymous one is started when there
   * is none; its cookie value is returned) so that registering joins the organization. An unknown, used or expired
   * invite is a `problem` instead.
   */
  async accept(
    session: SessionRow | undefined,
    id: string,
  ): Promise<{ problem?: 'invite_not_found' | 'invite_expired'; token?: string }> {
    const status = await this.invites.status(id);
    if (!status) return { problem: 'invite_not_found' };
    if (status.expired) return { problem: 'invite_expired' };
    return { token: await this.sessions.remember(session, { pending_invite_id: id }) };
  }
}
