import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Kdb } from './client.ts';
import type { TableName } from './entity-repository.ts';

/** The id the reference UI sends for "not created yet". */
export const NIL_UUID = '00000000-0000-0000-0000-000000000000';

/** The reference keeps a client-chosen id; a nil id or one already used by another row gets a fresh one. */
export async function freshId(on: Kdb, table: TableName, id?: string | null): Promise<string> {
  if (!id || id === NIL_UUID) return randomUUID();
  // Every entity table has a uuid `id`; the table is a runtime value here.
  const any = on as unknown as Kysely<Record<string, { id: string }>>;
  const taken = await any.selectFrom(table).select('id').where('id', '=', id).executeTakeFirst();
  return taken ? randomUUID() : id;
}
