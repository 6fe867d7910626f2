import type { Queryable } from '../../db/client.ts';
import { roleRank, type Role, type UserPrincipal } from '../../auth/principal.ts';
import { AppError } from '../../http/errors.ts';

/** SQL rank of a role column, matching roleRank: Viewer 1 … Owner 4. */
export const rankSql = (col: string) => `array_position(ARRAY['Viewer','Member','Admin','Owner'], ${col})`;

/**
 * Deletes users of the caller's org (ids in other orgs are skipped) and returns how many went. A target with a
 * higher role, or an equal one unless the caller is an Owner, refuses the whole batch (403); so does leaving the org
 * without an Owner (409). The deleted users' daemons go to the oldest remaining Owner.
 */
export async function deleteUsers(tx: Queryable, p: UserPrincipal, ids: string[]): Promise<number> {
  // Locking the org's Owners serializes concurrent deletes, so two requests cannot remove the last two Owners.
  const owners = await tx.query<{ id: string }>(
    `SELECT id FROM users WHERE organization_id = $1 AND permissions = 'Owner' ORDER BY created_at, id FOR UPDATE`,
    [p.organizationId],
  );
  const targets = await tx.query<{ id: string; permissions: Role }>(
    'SELECT id, permissions FROM users WHERE organization_id = $1 AND id = ANY($2::uuid[])',
    [p.organizationId, ids],
  );
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
  const heir = owners.find((o) => !gone.has(o.id));
  if (!heir) throw new AppError('user_last_owner');
  await tx.query('UPDATE daemons SET user_id = $1, updated_at = now() WHERE user_id = ANY($2::uuid[])', [
    heir.id,
    [...gone],
  ]);
  await tx.query('DELETE FROM users WHERE id = ANY($1::uuid[])', [[...gone]]);
  return gone.size;
}
