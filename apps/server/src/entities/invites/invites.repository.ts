import { randomUUID } from 'node:crypto';
import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import type { Kdb } from '../../db/client.ts';
import type { DB } from '../../db/schema.ts';
import type { Role } from '../../auth/principal.ts';
import { rankOf } from '../users/users.repository.ts';

const columns = [
  't.id',
  't.created_at',
  't.updated_at',
  't.organization_id',
  't.permissions',
  't.network_ids',
  't.url',
  't.created_by',
  't.expires_at',
  't.send_to',
] as const;

/** Which invites of an organization a caller sees: all when `belowRank` is absent, else those below it or by `creator`. */
export interface InviteVisibility {
  organizationId: string;
  belowRank?: number;
  creator: string;
}

export interface NewInvite {
  organizationId: string;
  permissions: Role;
  networkIds: string[];
  url: string;
  createdBy: string;
  sendTo: string | null;
  expirationHours: number;
}

type InviteEb = ExpressionBuilder<DB & { t: DB['invites'] }, 't'>;

function visible(eb: InviteEb, v: InviteVisibility): Expression<SqlBool> {
  const conds: Expression<SqlBool>[] = [eb('t.organization_id', '=', v.organizationId)];
  if (v.belowRank !== undefined) {
    conds.push(eb.or([eb('t.created_by', '=', v.creator), eb(rankOf('t.permissions'), '<', v.belowRank)]));
  }
  return eb.and(conds);
}

export class InvitesRepository {
  constructor(private readonly db: Kdb) {}

  async insert(i: NewInvite): Promise<string> {
    const id = randomUUID();
    await this.db
      .insertInto('invites')
      .values({
        id,
        organization_id: i.organizationId,
        permissions: i.permissions,
        network_ids: i.networkIds,
        url: i.url,
        created_by: i.createdBy,
        send_to: i.sendTo,
        expires_at: sql<Date>`now() + make_interval(hours => ${i.expirationHours})`,
      })
      .execute();
    return id;
  }

  /** The unexpired invites a caller sees, oldest first. */
  async listLive(v: InviteVisibility) {
    return this.db
      .selectFrom('invites as t')
      .select(columns)
      .where((eb) => visible(eb, v))
      .where('t.expires_at', '>', sql<Date>`now()`)
      .orderBy('t.created_at')
      .execute();
  }

  async find(v: InviteVisibility, id: string) {
    return this.db
      .selectFrom('invites as t')
      .select(columns)
      .where((eb) => visible(eb, v))
      .where('t.id', '=', id)
      .executeTakeFirst();
  }

  /** Whether an invite exists and has expired, whoever asks (the accept link is public). */
  async status(id: string): Promise<{ expired: boolean } | undefined> {
    return this.db
      .selectFrom('invites')
      .select(sql<boolean>`expires_at <= now()`.as('expired'))
      .where('id', '=', id)
      .executeTakeFirst();
  }

  /** An unexpired invite, locked until the transaction ends (it is about to be spent). */
  async lockLive(trx: Kdb, id: string) {
    return trx
      .selectFrom('invites')
      .select(['organization_id', 'permissions', 'network_ids', 'send_to'])
      .where('id', '=', id)
      .where('expires_at', '>', sql<Date>`now()`)
      .forUpdate()
      .executeTakeFirst();
  }

  async delete(id: string, on: Kdb = this.db): Promise<void> {
    await on.deleteFrom('invites').where('id', '=', id).execute();
  }
}
