import { ScanEstimate, ScanEstimateRequest } from '@scanopy/contracts';
import { principal } from '../http/crud.ts';
import { ok } from '../http/envelope.ts';
import type { RouteApp } from '../http/route-app.ts';
import { ItemResponse } from '../http/schemas.ts';
import type { Services } from '../services.ts';

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
          'discovery sweeps every address in scope first (`addresses`, `host_discovery_s`); only live hosts are ' +
          'port-scanned, all at once: `hosts` counts those already known in these subnets, and each host found ' +
          'adds at most `per_host_duration_s`.',
        body: ScanEstimateRequest,
        response: { 200: ItemResponse(ScanEstimate) },
      },
    },
    async (req) => ok(await estimates.estimate(principal(req), req.body)),
  );
}
