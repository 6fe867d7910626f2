import { DashboardSummary } from '@scanopy/contracts';
import { principal } from '../../http/crud.ts';
import { ok } from '../../http/envelope.ts';
import type { RouteApp } from '../../http/route-app.ts';
import { ItemResponse } from '../../http/schemas.ts';
import type { Services } from '../../services.ts';

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
