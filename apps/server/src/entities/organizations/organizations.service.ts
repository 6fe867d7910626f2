import type { UserPrincipal } from '../../auth/principal.ts';
import { badRequest, notFound } from '../../http/errors.ts';
import type { NetworksRepository } from '../networks/networks.repository.ts';
import type { OrganizationsRepository } from './organizations.repository.ts';

/** The caller's own organization only: any other id is a 404, whatever the role. */
export class OrganizationsService {
  constructor(
    private readonly organizations: OrganizationsRepository,
    private readonly networks: NetworksRepository,
  ) {}

  async get(organizationId: string) {
    const org = await this.organizations.find(organizationId);
    if (!org) throw notFound('Organization');
    return org;
  }

  async rename(p: { organizationId: string }, id: string, name: string) {
    ownOrg(p.organizationId, id);
    const trimmed = name.trim();
    if (!trimmed) throw badRequest('Organization name must not be blank');
    await this.organizations.rename(id, trimmed);
    return this.get(id);
  }

  /** Wipes everything but the organization and the caller, then makes a fresh default network. */
  async reset(p: UserPrincipal, id: string): Promise<void> {
    ownOrg(p.organizationId, id);
    await this.organizations.transaction(async (trx) => {
      await this.organizations.wipe(trx, id, p.userId);
      await this.networks.create(trx, id, 'My Network');
    });
  }
}

function ownOrg(callerOrg: string, id: string): void {
  if (callerOrg !== id) throw notFound('Organization');
}
