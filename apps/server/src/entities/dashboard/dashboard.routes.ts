import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { DaemonResponse } from '@scanopy/contracts';
import type { Db } from '../../db/client.ts';
import { EntityService, principal } from '../../http/crud.ts';
import { ok } from '../../http/envelope.ts';
import { ItemResponse, Uuid } from '../../http/schemas.ts';
import { daemonDef } from '../defs.ts';
import { Discovery, discoveryDef } from '../discovery/discovery-config.defs.ts';

const count = Type.Integer();
const DashboardSummary = Type.Object({
  networks: Type.Array(
    Type.Object({
      id: Uuid,
      name: Type.String(),
      host_count: count,
      service_count: count,
      subnet_count: count,
      daemon_count: count,
    }),
  ),
  daemons: Type.Array(DaemonResponse),
  /** The latest finished sessions, as the Historical discovery records they left (newest first). */
  recent_discoveries: Type.Array(Discovery),
  /** Counts of the organization; self-hosted has no plan limits, so every limit is null. */
  plan_usage: Type.Object({
    host_count: count,
    network_count: count,
    seat_count: count,
    host_limit: Type.Null(),
    network_limit: Type.Null(),
    seat_limit: Type.Null(),
  }),
});

type Row = Record<string, unknown>;
const RECENT_SESSIONS = 10;

export async function dashboardRoutes(app: FastifyInstance, opts: { db: Db }) {
  const { db } = opts;

  app.get(
    '/dashboard/summary',
    {
      config: { access: 'viewer' },
      schema: {
        operationId: 'get_dashboard_summary',
        tags: ['dashboard'],
        response: { 200: ItemResponse(DashboardSummary) },
      },
    },
    async (req) => {
      const p = principal(req);
      const ids = p.networkIds;
      const counted = (table: string) =>
        `(SELECT count(*)::int FROM ${table} x WHERE x.network_id = n.id) AS ${table.replace(/s$/, '')}_count`;
      const [networks, daemons, recent, [usage]] = await Promise.all([
        db.query<Row>(
          `SELECT n.id, n.name, ${['hosts', 'services', 'subnets', 'daemons'].map(counted).join(', ')}
           FROM networks n WHERE n.id = ANY($1::uuid[]) ORDER BY n.created_at, n.id`,
          [ids],
        ),
        new EntityService(db.kysely, daemonDef.spec, daemonDef.name).list(p, { limit: 0 }),
        new EntityService(db.kysely, discoveryDef.spec, discoveryDef.name).list(p, {
          run_type: ['Historical'],
          order_by: 'created_at',
          order_direction: 'desc',
          limit: RECENT_SESSIONS,
        }),
        db.query<{ host_count: number; network_count: number; seat_count: number }>(
          `SELECT
             (SELECT count(*)::int FROM hosts h JOIN networks n ON n.id = h.network_id
               WHERE n.organization_id = $1) AS host_count,
             (SELECT count(*)::int FROM networks WHERE organization_id = $1) AS network_count,
             (SELECT count(*)::int FROM users WHERE organization_id = $1) AS seat_count`,
          [p.organizationId],
        ),
      ]);
      return ok({
        networks,
        daemons: daemons.data,
        recent_discoveries: recent.data,
        plan_usage: { ...usage, host_limit: null, network_limit: null, seat_limit: null },
      });
    },
  );
}
