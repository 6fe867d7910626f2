import { randomUUID } from 'node:crypto';
import { roleRank, type Role, type UserPrincipal } from '../../auth/principal.ts';
import { newUserApiKey, sha256Hex } from '../../auth/tokens.ts';
import { assertNetwork, type EntityService } from '../../http/crud.ts';
import { AppError } from '../../http/errors.ts';
import type { EntityTagsService } from '../tags/entity-tags.service.ts';
import type { UserApiKeysRepository } from './user-api-keys.repository.ts';

export interface UserKeyInput {
  name: string;
  permissions?: Role;
  network_ids?: string[];
  expires_at?: string | null;
  is_enabled?: boolean;
  tags?: string[];
}

/**
 * User API keys: only the owning user manages them (a browser session), and a key can never exceed its creator's
 * role or networks. The plaintext is shown once and stored only as a SHA-256 hash.
 */
export class UserApiKeysService {
  constructor(
    private readonly keys: UserApiKeysRepository,
    private readonly entities: EntityService<'user_api_keys'>,
    private readonly tags: EntityTagsService,
  ) {}

  async create(p: UserPrincipal, input: UserKeyInput) {
    const role = input.permissions ?? 'Viewer';
    this.checkGrant(p, role, input.network_ids ?? []);
    const key = newUserApiKey();
    const id = randomUUID();
    await this.keys.transaction(async (trx) => {
      await this.keys.insert(trx, {
        id,
        organization_id: p.organizationId,
        user_id: p.userId,
        name: input.name,
        key_hash: sha256Hex(key),
        permissions: role,
        expires_at: input.expires_at ?? null,
        is_enabled: input.is_enabled ?? true,
      });
      await this.keys.setNetworks(trx, id, input.network_ids ?? []);
      if (input.tags) await this.tags.set(trx, 'UserApiKey', p.organizationId, id, input.tags);
    });
    return { api_key: await this.entities.get(p, id), key };
  }

  async update(p: UserPrincipal, id: string, input: UserKeyInput) {
    await this.entities.get(p, id);
    if (input.permissions || input.network_ids)
      this.checkGrant(p, input.permissions ?? 'Viewer', input.network_ids ?? []);
    await this.keys.transaction(async (trx) => {
      await this.keys.update(trx, id, input);
      if (input.network_ids) await this.keys.setNetworks(trx, id, input.network_ids);
      if (input.tags) await this.tags.set(trx, 'UserApiKey', p.organizationId, id, input.tags);
    });
    return this.entities.get(p, id);
  }

  async rotate(p: UserPrincipal, id: string): Promise<string> {
    await this.entities.get(p, id);
    const key = newUserApiKey();
    await this.keys.rotate(id, sha256Hex(key));
    return key;
  }

  private checkGrant(p: UserPrincipal, role: Role, networkIds: string[]): void {
    if (roleRank(role) > roleRank(p.role)) throw new AppError('auth_permission_denied', { role });
    for (const n of networkIds) assertNetwork(p, n);
  }
}
