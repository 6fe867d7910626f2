import { sql } from 'kysely';
import type { Kdb } from '../db/client.ts';
import { entitySpec, tagIds } from '../db/entity-repository.ts';
import { daemonVersionStatus } from './daemon-version.ts';

export const daemonSpec = entitySpec({
  table: 'daemons',
  scope: 'network',
  tagType: 'Daemon',
  select: (eb) => [
    't.id',
    't.network_id',
    't.host_id',
    't.user_id',
    eb.fn.coalesce('t.name', sql.lit('')).as('name'),
    't.url',
    't.mode',
    't.capabilities',
    't.last_seen',
    't.version',
    't.api_key_id',
    't.is_unreachable',
    't.standby',
    tagIds(eb, 'Daemon'),
    't.created_at',
    't.updated_at',
  ],
  filters: { network_id: 'network_id', ids: 'id' },
  search: ['name', 'url'],
  orderFields: {
    created_at: 'created_at',
    name: 'name',
    last_seen: 'last_seen',
    updated_at: 'updated_at',
    network_id: 'network_id',
  },
  hydrate: async (_db, rows) =>
    rows.map((r) => ({ ...r, version_status: daemonVersionStatus(r.version as string | null) })),
  csv: {
    columns: [
      'id',
      'name',
      'mode',
      'version',
      'host_id',
      'network_id',
      'user_id',
      'last_seen',
      'created_at',
      'updated_at',
    ],
  },
});

/** What a daemon's call may change besides its last_seen; undefined fields stay as they are. */
export interface DaemonFields {
  name?: string;
  mode?: string;
  version?: string;
  capabilities?: object;
}

export interface NewDaemon {
  id: string;
  network_id: string;
  host_id: string;
  user_id: string;
  name: string;
  mode: 'daemon_poll' | 'server_poll';
  version: string | null;
  api_key_id: string;
  /** daemon_poll: what it registered with; server_poll: learnt at first contact. */
  capabilities?: object;
  /** server_poll only: where the server calls it. */
  url?: string;
  /** daemon_poll daemons are seen when they register; server_poll ones when the server first reaches them. */
  seen: boolean;
}

/** A server_poll daemon as one poll needs it, with its key (the server authenticates to the daemon with it). */
export interface PolledDaemon {
  id: string;
  network_id: string;
  host_id: string;
  name: string | null;
  url: string;
  version: string | null;
  last_seen: Date | null;
  plaintext_key: string | null;
  key_hash: string | null;
}

const now = () => sql<Date>`now()`;
const INTEGRATED_KEY = 'integrated_daemon';

/** The SQL of daemons: their rows and hosts, server_poll claims, and the integrated daemon's state. */
export class DaemonsRepository {
  constructor(private readonly db: Kdb) {}

  transaction<T>(fn: (trx: Kdb) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }

  /** Marks the daemon seen now with the given fields; false when it does not exist. */
  async touch(id: string, fields: DaemonFields = {}): Promise<boolean> {
    const { capabilities, ...plain } = fields;
    const updated = await this.db
      .updateTable('daemons')
      .set({
        last_seen: now(),
        updated_at: now(),
        ...plain,
        ...(capabilities !== undefined ? { capabilities: JSON.stringify(capabilities) } : {}),
      })
      .where('id', '=', id)
      .returning('id')
      .executeTakeFirst();
    return updated !== undefined;
  }

  async lock(trx: Kdb, id: string) {
    return trx
      .selectFrom('daemons')
      .select(['host_id', 'network_id'])
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
  }

  /** A daemon registering again (a restart with a new key, a rename): what it says now, seen now. */
  async reregister(
    on: Kdb,
    id: string,
    d: { name: string; mode: string; capabilities: object; version: string | null; api_key_id: string },
  ): Promise<void> {
    await on
      .updateTable('daemons')
      .set({
        name: d.name,
        mode: d.mode,
        capabilities: JSON.stringify(d.capabilities),
        version: d.version,
        api_key_id: d.api_key_id,
        last_seen: now(),
        updated_at: now(),
      })
      .where('id', '=', id)
      .execute();
  }

  /** The user of the organization with this id, else its first Owner. */
  async userOrFirstOwner(
    on: Kdb,
    organizationId: string,
    userId: string | null,
  ): Promise<string | undefined> {
    const user = await on
      .selectFrom('users')
      .select('id')
      .where('organization_id', '=', organizationId)
      .where((eb) => eb.or([eb('id', '=', userId), eb('permissions', '=', 'Owner')]))
      .orderBy(sql`(id = ${userId})`, 'desc')
      .orderBy('created_at')
      .limit(1)
      .executeTakeFirst();
    return user?.id;
  }

  /** The host that stands for a daemon's machine. */
  async insertHost(
    on: Kdb,
    h: { id: string; network_id: string; name: string; source: object },
  ): Promise<void> {
    await on
      .insertInto('hosts')
      .values({
        id: h.id,
        network_id: h.network_id,
        name: h.name,
        description: 'Scanopy daemon',
        source: JSON.stringify(h.source),
      })
      .execute();
  }

  async insert(on: Kdb, d: NewDaemon): Promise<void> {
    await on
      .insertInto('daemons')
      .values({
        id: d.id,
        network_id: d.network_id,
        host_id: d.host_id,
        user_id: d.user_id,
        name: d.name,
        mode: d.mode,
        version: d.version,
        api_key_id: d.api_key_id,
        last_seen: d.seen ? now() : null,
        ...(d.capabilities ? { capabilities: JSON.stringify(d.capabilities) } : {}),
        ...(d.url !== undefined ? { url: d.url } : {}),
      })
      .execute();
  }

  /** A server_poll daemon answered: seen now, with what it said about itself (null = keep the stored value). */
  async recordContact(
    on: Kdb,
    id: string,
    version: string | null,
    capabilities: object | null,
  ): Promise<void> {
    await on
      .updateTable('daemons')
      .set({
        last_seen: now(),
        ...(version !== null ? { version } : {}),
        ...(capabilities !== null ? { capabilities: JSON.stringify(capabilities) } : {}),
        updated_at: now(),
      })
      .where('id', '=', id)
      .execute();
  }

  async markUnreachable(id: string): Promise<void> {
    await this.db
      .updateTable('daemons')
      .set({ is_unreachable: true, updated_at: now() })
      .where('id', '=', id)
      .execute();
  }

  /** Clears is_unreachable and the daemon's claim, so the next loop pass polls it. */
  async retryConnection(id: string): Promise<void> {
    await this.transaction(async (trx) => {
      await trx
        .updateTable('daemons')
        .set({ is_unreachable: false, updated_at: now() })
        .where('id', '=', id)
        .execute();
      await trx.deleteFrom('server_poll_claims').where('daemon_id', '=', id).execute();
    });
  }

  /**
   * Claims every reachable server_poll daemon no other replica holds, for `leaseSeconds`, and returns them with
   * their keys.
   */
  async claimServerPoll(leaseSeconds: number): Promise<PolledDaemon[]> {
    const lease = sql<Date>`now() + make_interval(secs => ${leaseSeconds})`;
    return this.db
      .with('claimed', (db) =>
        db
          .insertInto('server_poll_claims')
          .columns(['daemon_id', 'claimed_until'])
          .expression((eb) =>
            eb
              .selectFrom('daemons')
              .select(['id', lease.as('claimed_until')])
              .where('mode', '=', 'server_poll')
              .where('is_unreachable', '=', false)
              .where('standby', '=', false),
          )
          .onConflict((oc) =>
            oc
              .column('daemon_id')
              .doUpdateSet({ claimed_until: (eb) => eb.ref('excluded.claimed_until') })
              .where('server_poll_claims.claimed_until', '<', now()),
          )
          .returning('daemon_id'),
      )
      .selectFrom('claimed as c')
      .innerJoin('daemons as d', 'd.id', 'c.daemon_id')
      .leftJoin('api_keys as k', 'k.id', 'd.api_key_id')
      .select([
        'd.id',
        'd.network_id',
        'd.host_id',
        'd.name',
        'd.url',
        'd.version',
        'd.last_seen',
        'k.plaintext_key',
        'k.key_hash',
      ])
      .execute();
  }

  /** After a poll, no replica polls the daemon again for `seconds`. */
  async holdClaim(daemonId: string, seconds: number): Promise<void> {
    await this.db
      .updateTable('server_poll_claims')
      .set({ claimed_until: sql<Date>`now() + make_interval(secs => ${seconds})` })
      .where('daemon_id', '=', daemonId)
      .execute();
  }

  /** The integrated daemon's state: the network it was provisioned for. */
  async integratedState(): Promise<{ network_id: string } | undefined> {
    const row = await this.db
      .selectFrom('server_state')
      .select('value')
      .where('key', '=', INTEGRATED_KEY)
      .executeTakeFirst();
    return row?.value as { network_id: string } | undefined;
  }

  async saveIntegratedState(on: Kdb, value: { network_id: string; api_key_id: string }): Promise<void> {
    await on
      .insertInto('server_state')
      .values({ key: INTEGRATED_KEY, value: JSON.stringify(value) })
      .onConflict((oc) =>
        oc.column('key').doUpdateSet({ value: (eb) => eb.ref('excluded.value'), updated_at: now() }),
      )
      .execute();
  }

  /** The first Owner of the organization the network belongs to. */
  async firstOwnerOfNetwork(networkId: string): Promise<string | undefined> {
    const owner = await this.db
      .selectFrom('users as u')
      .innerJoin('networks as n', 'n.organization_id', 'u.organization_id')
      .select('u.id')
      .where('n.id', '=', networkId)
      .where('u.permissions', '=', 'Owner')
      .orderBy('u.created_at')
      .limit(1)
      .executeTakeFirst();
    return owner?.id;
  }
}
