import { Type } from 'typebox';
import { DaemonResponse } from '@scanopy/contracts';
import { principal } from '../../http/crud.ts';
import { ok } from '../../http/envelope.ts';
import type { RouteApp } from '../../http/route-app.ts';
import { ItemResponse, Uuid } from '../../http/schemas.ts';
import type { Services } from '../../services.ts';
import { Discovery } from '../discovery/discovery-config.defs.ts';

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

export async function dashboardRoutes(app: RouteApp, { dashboard }: Services) {
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
    async (req) => ok(await dashboard.summary(principal(req))),
  );
}
