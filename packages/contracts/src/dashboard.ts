import { Type, type Static } from 'typebox';
import { Uuid } from './common.ts';
import { DaemonResponse } from './entities/daemon.ts';
import { Discovery } from './entities/discovery.ts';

const count = Type.Integer();

export const NetworkSummary = Type.Object({
  id: Uuid,
  name: Type.String(),
  host_count: count,
  service_count: count,
  subnet_count: count,
  daemon_count: count,
});
export type NetworkSummary = Static<typeof NetworkSummary>;

/** Counts of the organization; self-hosted has no plan limits, so every limit is null. */
export const PlanUsage = Type.Object({
  host_count: count,
  network_count: count,
  seat_count: count,
  host_limit: Type.Null(),
  network_limit: Type.Null(),
  seat_limit: Type.Null(),
});
export type PlanUsage = Static<typeof PlanUsage>;

/** GET /api/v1/dashboard/summary. */
export const DashboardSummary = Type.Object({
  networks: Type.Array(NetworkSummary),
  daemons: Type.Array(DaemonResponse),
  /** The latest finished sessions, as the Historical discovery records they left (newest first). */
  recent_discoveries: Type.Array(Discovery),
  plan_usage: PlanUsage,
});
export type DashboardSummary = Static<typeof DashboardSummary>;
