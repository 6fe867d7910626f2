import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { DaemonResponse, DiscoveryUpdatePayload } from '@scanopy/contracts';
import type { Db } from '../../db/client.ts';
import { principal } from '../../http/crud.ts';
import { ok } from '../../http/envelope.ts';
import { ItemResponse, Uuid } from '../../http/schemas.ts';
import { daemonDef } from '../defs.ts';

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
  recent_discoveries: Type.Array(DiscoveryUpdatePayload),
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
      const ids = principal(req).networkIds;
      const counted = (table: string) =>
        `(SELECT count(*)::int FROM ${table} x WHERE x.network_id = n.id) AS ${table.replace(/s$/, '')}_count`;
      const [networks, daemons, sessions] = await Promise.all([
        db.query<Row>(
          `SELECT n.id, n.name, ${['hosts', 'services', 'subnets', 'daemons'].map(counted).join(', ')}
           FROM networks n WHERE n.id = ANY($1::uuid[]) ORDER BY n.created_at, n.id`,
          [ids],
        ),
        db.query<Row>(
          `SELECT ${daemonDef.columns} FROM daemons t WHERE t.network_id = ANY($1::uuid[])
           ORDER BY t.created_at, t.id`,
          [ids],
        ),
        db.query<Row>(
          `SELECT id AS session_id, daemon_id, network_id, phase, discovery_type, progress, error, started_at,
             finished_at
           FROM discovery_sessions WHERE network_id = ANY($1::uuid[]) AND finished_at IS NOT NULL
           ORDER BY finished_at DESC, id LIMIT ${RECENT_SESSIONS}`,
          [ids],
        ),
      ]);
      return ok({
        networks,
        daemons: daemonDef.hydrate ? await daemonDef.hydrate(db, daemons) : daemons,
        recent_discoveries: sessions,
      });
    },
  );
}
