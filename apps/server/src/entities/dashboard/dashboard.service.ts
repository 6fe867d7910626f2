import type { Principal } from '../../auth/principal.ts';
import type { EntityService } from '../../http/crud.ts';
import type { DashboardRepository } from './dashboard.repository.ts';

const RECENT_SESSIONS = 10;

/** The landing page's summary: networks with counts, daemons, the latest finished sessions, organization usage. */
export class DashboardService {
  constructor(
    private readonly dashboard: DashboardRepository,
    private readonly daemons: EntityService<'daemons'>,
    private readonly discovery: EntityService<'discovery'>,
  ) {}

  async summary(p: Principal) {
    const [networks, daemons, recent, usage] = await Promise.all([
      this.dashboard.networkCounts(p.networkIds),
      this.daemons.list(p, { limit: 0 }),
      this.discovery.list(p, {
        run_type: ['Historical'],
        order_by: 'created_at',
        order_direction: 'desc',
        limit: RECENT_SESSIONS,
      }),
      this.dashboard.usage(p.organizationId),
    ]);
    return {
      networks,
      daemons: daemons.data,
      recent_discoveries: recent.data,
      // Self-hosted has no plan limits.
      plan_usage: { ...usage, host_limit: null, network_limit: null, seat_limit: null },
    };
  }
}
