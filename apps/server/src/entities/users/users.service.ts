import { roleRank, type Role, type UserPrincipal } from '../../auth/principal.ts';
import { pageBounds, type ListQuery } from '../../db/entity-repository.ts';
import { AppError, notFound } from '../../http/errors.ts';
import type { UserPage, UserRow, UsersRepository, UserVisibility } from './users.repository.ts';

const orderFields: UserPage['orderBy'][] = ['created_at', 'updated_at', 'email', 'permissions'];

/** The `ids` filter of a list or export query string (the route's schema makes it an array of UUIDs). */
const idsOf = (q: Record<string, unknown>) => (Array.isArray(q.ids) ? q.ids : undefined);

/** The read-only echo of a user the reference UI sends back with PUT /users/:id. */
export interface UserEcho {
  email?: string;
  organization_id?: string;
  permissions?: Role;
  network_ids?: string[];
}

/** Owners see everyone of the org; others see users below their own role, and themselves. */
function visibility(p: UserPrincipal): UserVisibility {
  return {
    organizationId: p.organizationId,
    ...(p.role === 'Owner' ? {} : { belowRank: roleRank(p.role) }),
    self: p.userId,
  };
}

const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x));

/** The users of the caller's organization and who may change or delete whom. */
export class UsersService {
  constructor(private readonly users: UsersRepository) {}

  async list(p: UserPrincipal, q: ListQuery) {
    const { limit, offset } = pageBounds(q);
    const { rows, total } = await this.users.list({
      visibility: visibility(p),
      ids: idsOf(q),
      orderBy: orderFields.find((f) => f === q.order_by) ?? 'created_at',
      direction: q.order_direction === 'desc' ? 'desc' : 'asc',
      limit,
      offset,
    });
    return { rows, total, limit, offset };
  }

  /** What the caller's users list would show, as CSV rows. */
  exportRows(p: UserPrincipal, q: Record<string, unknown>) {
    return this.users.exportRows(visibility(p), idsOf(q));
  }

  /** Any user of the caller's organization; other ids are a 404. */
  async get(p: UserPrincipal, id: string): Promise<UserRow> {
    const u = await this.users.findInOrg(p.organizationId, id);
    if (!u) throw notFound('User');
    return u;
  }

  /**
   * Users may "update" only their own profile, and only with the read-only echo: changing role, organization,
   * email or network grants here is refused (admins use adminUpdate; email and password go through /api/auth).
   */
  async updateSelf(p: UserPrincipal, id: string, echo: UserEcho): Promise<UserRow> {
    const u = await this.get(p, id);
    if (u.id !== p.userId) {
      throw new AppError('entity_update_forbidden', { detail: 'Users can only update their own profile' });
    }
    const changed =
      (echo.email !== undefined && echo.email.toLowerCase() !== u.email.toLowerCase() && 'email') ||
      (echo.organization_id !== undefined &&
        echo.organization_id !== u.organization_id &&
        'organization_id') ||
      (echo.permissions !== undefined && echo.permissions !== u.permissions && 'permissions') ||
      (echo.network_ids !== undefined && !sameSet(echo.network_ids, u.network_ids) && 'network_ids');
    if (changed) {
      throw new AppError('entity_update_forbidden', { detail: `${changed} cannot be changed here` });
    }
    await this.users.touch(id);
    return this.get(p, id);
  }

  /** An admin sets another user's role and networks: only below their own role, and only networks they see. */
  async adminUpdate(
    p: UserPrincipal,
    id: string,
    input: { permissions: Role; network_ids: string[] },
  ): Promise<UserRow> {
    const target = await this.get(p, id);
    if (target.id === p.userId) {
      throw new AppError('entity_update_forbidden', { detail: 'You cannot change your own role' });
    }
    if (roleRank(target.permissions) >= roleRank(p.role)) {
      throw new AppError('entity_update_forbidden', {
        detail: `A ${p.role} can only change users with a lower role`,
      });
    }
    if (p.role !== 'Owner' && roleRank(input.permissions) >= roleRank(p.role)) {
      throw new AppError('auth_permission_denied', { role: 'Owner' });
    }
    const networks = [...new Set(input.network_ids)];
    if (networks.some((n) => !p.networkIds.includes(n))) throw new AppError('entity_reference_invalid');
    await this.users.transaction((trx) =>
      this.users.setRoleAndNetworks(trx, id, input.permissions, networks),
    );
    return this.get(p, id);
  }

  async delete(p: UserPrincipal, id: string): Promise<void> {
    await this.get(p, id);
    await this.deleteMany(p, [id]);
  }

  async bulkDelete(p: UserPrincipal, ids: string[]) {
    if (!ids.length) throw new AppError('validation_bulk_empty');
    const deleted = await this.deleteMany(p, [...new Set(ids)]);
    return { deleted_count: deleted, requested_count: ids.length };
  }

  /**
   * Deletes users of the caller's org (ids in other orgs are skipped) and returns how many went. A target with a
   * higher role, or an equal one unless the caller is an Owner, refuses the whole batch (403); so does leaving the org
   * without an Owner (409). The deleted users' daemons go to the oldest remaining Owner.
   */
  private deleteMany(p: UserPrincipal, ids: string[]): Promise<number> {
    return this.users.transaction(async (trx) => {
      // Locking the org's Owners serializes concurrent deletes, so two requests cannot remove the last two Owners.
      const owners = await this.users.lockOwners(trx, p.organizationId);
      const targets = await this.users.rolesInOrg(trx, p.organizationId, ids);
      if (!targets.length) return 0;
      const mine = roleRank(p.role);
      for (const t of targets) {
        const theirs = roleRank(t.permissions);
        if (theirs > mine || (theirs === mine && p.role !== 'Owner')) {
          throw new AppError('entity_delete_forbidden', {
            detail: `A ${p.role} cannot delete a user with the ${t.permissions} role`,
          });
        }
      }
      const gone = new Set(targets.map((t) => t.id));
      const heir = owners.find((o) => !gone.has(o));
      if (!heir) throw new AppError('user_last_owner');
      await this.users.deleteHandingOver(trx, [...gone], heir);
      return gone.size;
    });
  }
}
