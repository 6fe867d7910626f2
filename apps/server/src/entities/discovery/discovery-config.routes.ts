import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Db, Queryable } from '../../db/client.ts';
import type { Principal } from '../../auth/principal.ts';
import { assertNetwork, getVisible, principal, setTags } from '../../http/crud.ts';
import { ok } from '../../http/envelope.ts';
import { AppError, badRequest } from '../../http/errors.ts';
import { IdParams, ItemResponse } from '../../http/schemas.ts';
import { freshId, loadRef } from '../hosts/hosts.service.ts';
import { nextRunOf, ScheduleError, validateRunType, type RunType } from '../../discovery/schedule.ts';
import { Discovery, DiscoveryRequest, discoveryDef } from './discovery-config.defs.ts';

/** The daemon, hosts and subnets a configuration names must all be on its network. */
async function validate(tx: Queryable, p: Principal, b: DiscoveryRequest) {
  if (b.run_type.type === 'Historical') throw new AppError('discovery_historical_read_only');
  try {
    validateRunType(b.run_type as RunType);
  } catch (err) {
    if (err instanceof ScheduleError) throw badRequest(err.message);
    throw err;
  }
  assertNetwork(p, b.network_id);
  await loadRef(tx, p, 'daemons', b.daemon_id, b.network_id, 'Daemon');
  const d = b.discovery_type;
  switch (d.type) {
    case 'SelfReport':
    case 'Docker':
      await loadRef(tx, p, 'hosts', d.host_id, b.network_id, 'Host');
      break;
    case 'Network':
      for (const s of new Set(d.subnet_ids ?? [])) await loadRef(tx, p, 'subnets', s, b.network_id, 'Subnet');
      break;
  }
}

async function save(tx: Queryable, p: Principal, id: string, b: DiscoveryRequest) {
  await setTags(tx, 'Discovery', p.organizationId, id, b.tags ?? []);
  // When the scheduler (discovery/schedules.service.ts) next starts it; null = not scheduled.
  await tx.query('UPDATE discovery SET next_run_at = $2 WHERE id = $1', [
    id,
    nextRunOf(b.run_type as RunType),
  ]);
}

export async function discoveryConfigRoutes(app: FastifyInstance, opts: { db: Db }) {
  const { db } = opts;

  app.post(
    '/discovery',
    {
      config: { access: 'member' },
      schema: {
        operationId: 'create_discovery',
        tags: ['discovery'],
        body: DiscoveryRequest,
        response: { 200: ItemResponse(Discovery) },
      },
    },
    async (req) => {
      const p = principal(req);
      const b = req.body as DiscoveryRequest;
      const id = await db.transaction(async (tx) => {
        await validate(tx, p, b);
        const did = b.id ? await freshId(tx, 'discovery', b.id) : randomUUID();
        await tx.query(
          `INSERT INTO discovery (id, network_id, daemon_id, name, discovery_type, run_type)
           VALUES ($1, $2, $3, $4, $5, $6)`,
          [
            did,
            b.network_id,
            b.daemon_id,
            b.name,
            JSON.stringify(b.discovery_type),
            JSON.stringify(b.run_type),
          ],
        );
        await save(tx, p, did, b);
        return did;
      });
      return ok(await getVisible(db, discoveryDef, p, id));
    },
  );

  app.put(
    '/discovery/:id',
    {
      config: { access: 'member' },
      schema: {
        operationId: 'update_discovery',
        tags: ['discovery'],
        params: IdParams,
        body: DiscoveryRequest,
        response: { 200: ItemResponse(Discovery) },
      },
    },
    async (req) => {
      const p = principal(req);
      const { id } = req.params as { id: string };
      const b = req.body as DiscoveryRequest;
      const current = await getVisible(db, discoveryDef, p, id);
      if ((current.run_type as { type: string }).type === 'Historical') {
        throw new AppError('discovery_historical_read_only');
      }
      if (current.network_id !== b.network_id) {
        throw new AppError('entity_network_mismatch', {
          detail: 'A discovery cannot move to another network',
        });
      }
      await db.transaction(async (tx) => {
        await validate(tx, p, b);
        await tx.query(
          `UPDATE discovery SET name = $2, daemon_id = $3, discovery_type = $4, run_type = $5, updated_at = now()
           WHERE id = $1`,
          [id, b.name, b.daemon_id, JSON.stringify(b.discovery_type), JSON.stringify(b.run_type)],
        );
        await save(tx, p, id, b);
      });
      return ok(await getVisible(db, discoveryDef, p, id));
    },
  );
}
