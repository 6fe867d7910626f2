import { Type } from 'typebox';
import { Nullable } from '@scanopy/contracts';
import { principal } from '../http/crud.ts';
import { ok } from '../http/envelope.ts';
import type { RouteApp } from '../http/route-app.ts';
import { ItemResponse, Uuid, UuidArray } from '../http/schemas.ts';
import type { Services } from '../services.ts';

const EstimateRequest = Type.Object(
  {
    network_id: Uuid,
    /** Subnets to scan; null = the interfaced subnets of `daemon_id` (what a Network discovery does by default). */
    subnet_ids: Nullable(UuidArray),
    daemon_id: Type.Optional(Nullable(Uuid)),
    scan_preset: Type.Optional(Nullable(Type.Enum(['polite', 'normal', 'fast']))),
    ports: Type.Optional(Nullable(Type.String({ maxLength: 500 }))),
  },
  { additionalProperties: false },
);

const Estimate = Type.Object({
  preset: Type.String(),
  subnets: Type.Array(Type.String()),
  /** Addresses in scope: an upper bound for the live hosts that get port-scanned. */
  hosts: Type.Integer(),
  ports_per_host: Type.Integer(),
  probes: Type.Integer(),
  max_attempts: Type.Integer(),
  parallel_hosts: Type.Integer(),
  per_host_pps: Type.Number(),
  total_pps: Type.Number(),
  duration_s: Type.Number(),
  per_host_duration_s: Type.Number(),
  filtered_ports_per_s: Type.Number(),
  silent_host_s: Type.Number(),
});

/**
 * POST /api/v1/discovery/estimate: what a Network discovery with these settings would send before it runs: probes,
 * duration and the rate each host would see (the daemon computes the same numbers from the same presets).
 */
export async function estimateRoutes(app: RouteApp, { estimates }: Services) {
  app.post(
    '/discovery/estimate',
    {
      config: { access: 'viewer' },
      schema: {
        operationId: 'estimate_discovery',
        tags: ['discovery'],
        summary: 'Estimate a Network discovery',
        description:
          'Probes, expected duration and per-host probe rate of a Network discovery over the chosen subnets with a ' +
          'pacing preset and port selection ("all" = the catalog ports then 1–65535, "catalog", or ranges). Host ' +
          'counts are the addresses in scope, an upper bound: only live hosts are port-scanned.',
        body: EstimateRequest,
        response: { 200: ItemResponse(Estimate) },
      },
    },
    async (req) => ok(await estimates.estimate(principal(req), req.body)),
  );
}
