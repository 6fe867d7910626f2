import { Type, type Static } from 'typebox';
import {
  DateTime,
  DiscoveryType,
  echoedMeta,
  entityMeta,
  Name,
  Nullable,
  ScanPreset,
  bodyObject,
  Uuid,
  UuidArray,
} from '../common.ts';

const lastRun = Type.Optional(Nullable(DateTime));

/**
 * How a discovery runs. Historical ones record finished sessions: clients may send one back (it validates), but only
 * the server writes them (400 discovery_historical_read_only).
 */
export const RunType = Type.Union([
  Type.Object({
    type: Type.Literal('Scheduled'),
    cron_schedule: Type.String({ minLength: 1, maxLength: 200 }),
    enabled: Type.Boolean(),
    last_run: lastRun,
    timezone: Type.Optional(Nullable(Type.String({ maxLength: 100 }))),
  }),
  Type.Object({ type: Type.Literal('AdHoc'), last_run: lastRun }),
  Type.Object({ type: Type.Literal('Historical'), results: Type.Unknown() }),
]);
export type RunType = Static<typeof RunType>;

/** The `type` of a RunType, as the list filter takes it (`?run_type=AdHoc&run_type=Scheduled`). */
export const RunTypeName = Type.Enum(['AdHoc', 'Scheduled', 'Historical']);
export type RunTypeName = Static<typeof RunTypeName>;
export const RunTypeFilter = Type.Array(RunTypeName, { maxItems: 3 });
export type RunTypeFilter = Static<typeof RunTypeFilter>;

/**
 * A discovery job, or the Historical record of a finished session. run_type holds a RunType; the response leaves it
 * untyped so a stored value is serialized as it is.
 */
export const Discovery = Type.Object({
  ...entityMeta,
  name: Type.String(),
  network_id: Uuid,
  daemon_id: Uuid,
  discovery_type: DiscoveryType,
  run_type: Type.Unknown(),
  tags: Type.Array(Uuid),
});
export type Discovery = Static<typeof Discovery>;

/** Create and update body of a discovery job. */
export const DiscoveryRequest = Type.Object(
  {
    ...echoedMeta,
    name: Name,
    network_id: Uuid,
    daemon_id: Uuid,
    discovery_type: DiscoveryType,
    run_type: RunType,
    tags: Type.Optional(Type.Array(Uuid, { maxItems: 1000 })),
  },
  bodyObject,
);
export type DiscoveryRequest = Static<typeof DiscoveryRequest>;

/** Path of the session routes (`/discovery/{session_id}/…`). */
export const DiscoverySessionParams = Type.Object({ session_id: Uuid });
export type DiscoverySessionParams = Static<typeof DiscoverySessionParams>;

/** POST /api/v1/discovery/estimate (ours, not in the reference). */
export const ScanEstimateRequest = Type.Object(
  {
    network_id: Uuid,
    /** Subnets to scan; null = the interfaced subnets of `daemon_id` (what a Network discovery does by default). */
    subnet_ids: Nullable(UuidArray),
    daemon_id: Type.Optional(Nullable(Uuid)),
    scan_preset: Type.Optional(Nullable(ScanPreset)),
    ports: Type.Optional(Nullable(Type.String({ maxLength: 500 }))),
  },
  bodyObject,
);
export type ScanEstimateRequest = Static<typeof ScanEstimateRequest>;

/** What a Network discovery with these settings would send; the daemon computes the same from the same presets. */
export const ScanEstimate = Type.Object({
  preset: Type.String(),
  subnets: Type.Array(Type.String()),
  /** Addresses in scope, all swept by host discovery. */
  addresses: Type.Integer(),
  /** Live hosts expected to be port-scanned: those already known in these subnets (0 before a first scan). */
  hosts: Type.Integer(),
  ports_per_host: Type.Integer(),
  probes: Type.Integer(),
  max_attempts: Type.Integer(),
  parallel_hosts: Type.Integer(),
  per_host_pps: Type.Number(),
  total_pps: Type.Number(),
  /** Host discovery over every address, the first phase. */
  host_discovery_s: Type.Number(),
  /** Port scan of the known live hosts, all at once. */
  port_scan_s: Type.Number(),
  duration_s: Type.Number(),
  /** Port scan of one live host, answering or dropping probes alike: what each host found adds at most. */
  per_host_duration_s: Type.Number(),
  filtered_ports_per_s: Type.Number(),
  silent_host_s: Type.Number(),
});
export type ScanEstimate = Static<typeof ScanEstimate>;
