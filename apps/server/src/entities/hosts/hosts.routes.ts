import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { CreateHostRequest, HostResponse, UpdateHostRequest } from '@scanopy/contracts';
import type { Db, Queryable } from '../../db/client.ts';
import { assertNetwork, getVisible, principal, setTags } from '../../http/crud.ts';
import { ok } from '../../http/envelope.ts';
import { AppError, badRequest, notFound } from '../../http/errors.ts';
import { IdParams, ItemResponse } from '../../http/schemas.ts';
import { hostDef } from './hosts.defs.ts';
import { resolveVirtualization, syncHostChildren } from './hosts.service.ts';

const emptyToNull = (s: string | null | undefined) => (s ? s : null);

/** Host writes share the ingestion lock, so a manual create and a daemon report can never both add the same host. */
const lockNetwork = (tx: Queryable, networkId: string) =>
  tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`ingest:${networkId}`]);

export async function hostRoutes(app: FastifyInstance, opts: { db: Db }) {
  const { db } = opts;

  app.post(
    '/hosts',
    {
      // The reference lets daemons create hosts here too; the source is Manual either way.
      config: { access: 'member_or_daemon' },
      schema: {
        operationId: 'create_host',
        tags: ['hosts'],
        body: CreateHostRequest,
        response: { 200: ItemResponse(HostResponse) },
      },
    },
    async (req) => {
      const p = principal(req);
      const b = req.body as CreateHostRequest;
      assertNetwork(p, b.network_id);
      const id = await db.transaction(async (tx) => {
        await lockNetwork(tx, b.network_id);
        const hostId = randomUUID();
        const virt = await resolveVirtualization(tx, p, b.network_id, b.virtualization);
        await tx.query(
          `INSERT INTO hosts (id, network_id, name, hostname, description, source, virtualization, hidden)
           VALUES ($1, $2, $3, $4, $5, '{"type":"Manual"}', $6, $7)`,
          [
            hostId,
            b.network_id,
            b.name,
            emptyToNull(b.hostname),
            emptyToNull(b.description),
            virt && JSON.stringify(virt),
            b.hidden ?? false,
          ],
        );
        await setTags(tx, 'Host', p.organizationId, hostId, b.tags);
        const host = { id: hostId, network_id: b.network_id };
        const children = { interfaces: b.interfaces ?? [], ports: b.ports ?? [], services: b.services ?? [] };
        await syncHostChildren(tx, p, host, children, true);
        return hostId;
      });
      return ok(await getVisible(db, hostDef, p, id));
    },
  );

  app.put(
    '/hosts/:id',
    {
      config: { access: 'member' },
      schema: {
        operationId: 'update_host',
        tags: ['hosts'],
        params: IdParams,
        body: UpdateHostRequest,
        response: { 200: ItemResponse(HostResponse) },
      },
    },
    async (req) => {
      const p = principal(req);
      const { id } = req.params as { id: string };
      const b = req.body as UpdateHostRequest;
      if (b.id !== id) throw badRequest('Body id does not match the host id in the path');
      await db.transaction(async (tx) => {
        const [visible] = await tx.query<{ network_id: string }>(
          'SELECT network_id FROM hosts WHERE id = $1 AND network_id = ANY($2::uuid[])',
          [id, p.networkIds],
        );
        if (!visible) throw notFound('Host');
        await lockNetwork(tx, visible.network_id);
        // Optimistic lock. The reference answers a stale write with 400; we use 409 Conflict, which is what a
        // client should treat as "reload and retry". Timestamps reach clients with millisecond precision, so
        // that is the precision compared.
        const [cur] = await tx.query<{
          same: boolean | null;
          name: string;
          hostname: string | null;
          description: string | null;
        }>(
          `SELECT date_trunc('milliseconds', updated_at) = date_trunc('milliseconds', $2::timestamptz) AS same,
             name, hostname, description FROM hosts WHERE id = $1 FOR UPDATE`,
          [id, b.expected_updated_at ?? null],
        );
        if (b.expected_updated_at && !cur.same)
          throw new AppError('entity_update_conflict', { entity: 'Host' });
        // Optional fields the client left out keep their value; null or "" clears them.
        const keep = <T>(v: T | undefined, old: T) => (v === undefined ? old : v);
        const hasVirt = b.virtualization !== undefined;
        const virt = await resolveVirtualization(tx, p, visible.network_id, b.virtualization);
        const next = {
          name: b.name,
          hostname: emptyToNull(keep(b.hostname, cur.hostname)),
          description: emptyToNull(keep(b.description, cur.description)),
        };
        // Provenance: fields the user changed are never overwritten by a later discovery (see ingestion).
        const edited = (['name', 'hostname', 'description'] as const).filter((f) => next[f] !== cur[f]);
        // source is immutable: it records how the host came to exist.
        await tx.query(
          `UPDATE hosts SET name = $2, hostname = $3, description = $4, hidden = $5,
             virtualization = CASE WHEN $6 THEN $7::jsonb ELSE virtualization END,
             edited_fields = ARRAY(SELECT DISTINCT unnest(edited_fields || $8::text[]) ORDER BY 1), updated_at = now()
           WHERE id = $1`,
          [
            id,
            next.name,
            next.hostname,
            next.description,
            b.hidden,
            hasVirt,
            virt && JSON.stringify(virt),
            edited,
          ],
        );
        await setTags(tx, 'Host', p.organizationId, id, b.tags);
        await syncHostChildren(tx, p, { id, network_id: visible.network_id }, b, false);
      });
      return ok(await getVisible(db, hostDef, p, id));
    },
  );
}
