import { randomUUID } from 'node:crypto';
import type { Principal } from '../auth/principal.ts';
import { newDaemonApiKey, sha256Hex } from '../auth/tokens.ts';
import type { Kdb } from '../db/client.ts';
import { assertNetwork, type EntityService } from '../http/crud.ts';
import type { EntityTagsService } from '../entities/tags/entity-tags.service.ts';
import type { DaemonApiKeysRepository } from './daemon-api-keys.repository.ts';

export interface DaemonKeyOptions {
  expires_at?: string | null;
  is_enabled?: boolean;
}

export interface DaemonKeyInput extends DaemonKeyOptions {
  name: string;
  tags?: string[];
}

/** Daemon API keys: one network each; the plaintext is shown once and stored only as a SHA-256 hash. */
export class DaemonApiKeysService {
  constructor(
    private readonly keys: DaemonApiKeysRepository,
    private readonly entities: EntityService<'api_keys'>,
    private readonly tags: EntityTagsService,
  ) {}

  /** A new key on the network, in the caller's transaction `on`; returns its id and its plaintext. */
  async createKey(on: Kdb, networkId: string, name: string, opts: DaemonKeyOptions = {}) {
    const key = newDaemonApiKey();
    const id = randomUUID();
    await this.keys.insert(on, {
      id,
      network_id: networkId,
      name,
      key_hash: sha256Hex(key),
      expires_at: opts.expires_at ?? null,
      is_enabled: opts.is_enabled ?? true,
    });
    return { id, key };
  }

  /** A key whose plaintext the server keeps, because the server calls the daemon with it (server_poll). */
  async createServerPollKey(on: Kdb, networkId: string, name: string) {
    const created = await this.createKey(on, networkId, name);
    await this.keys.keepPlaintext(on, created.id, created.key);
    return created;
  }

  async create(p: Principal, input: DaemonKeyInput & { network_id: string }) {
    assertNetwork(p, input.network_id);
    const { id, key } = await this.keys.transaction(async (trx) => {
      const created = await this.createKey(trx, input.network_id, input.name, input);
      if (input.tags) await this.tags.set(trx, 'DaemonApiKey', p.organizationId, created.id, input.tags);
      return created;
    });
    return { api_key: await this.entities.get(p, id), key };
  }

  async update(p: Principal, id: string, input: DaemonKeyInput) {
    await this.entities.get(p, id);
    await this.keys.transaction(async (trx) => {
      await this.keys.update(trx, id, input);
      if (input.tags) await this.tags.set(trx, 'DaemonApiKey', p.organizationId, id, input.tags);
    });
    return this.entities.get(p, id);
  }

  /**
   * A new key for the same entry. A server_poll daemon's key is kept in clear because the server calls the daemon
   * with it: it stays current, so once the daemon is configured with the new key the server's calls authenticate
   * again.
   */
  async rotate(p: Principal, id: string): Promise<string> {
    await this.entities.get(p, id);
    const key = newDaemonApiKey();
    await this.keys.rotate(id, sha256Hex(key), key);
    return key;
  }
}
