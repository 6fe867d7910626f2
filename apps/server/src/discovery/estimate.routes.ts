import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { Nullable } from '@scanopy/contracts';
import {
  FULL_RANGE,
  PortSpecError,
  catalogTcpPorts,
  estimateScan,
  parsePortSpec,
  planSize,
  resolveScanSettings,
  type PortPlan,
} from '@scanopy/detection';
import type { Db } from '../db/client.ts';
import { assertNetwork, principal } from '../http/crud.ts';
import { ok } from '../http/envelope.ts';
import { AppError, badRequest } from '../http/errors.ts';
import { ItemResponse, Uuid, UuidArray } from '../http/schemas.ts';

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
type EstimateRequest = Static<typeof EstimateRequest>;

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

/** Usable host addresses of an IPv4 CIDR (network and broadcast excluded below /31). */
function usable(cidr: string): number {
  const prefix = Number(cidr.split('/')[1]);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) return 0;
  const size = 2 ** (32 - prefix);
  return prefix >= 31 ? size : size - 2;
}

function planOf(spec: string | null | undefined): PortPlan {
  const priority = [...catalogTcpPorts];
  const s = spec?.trim();
  if (!s || s === 'all') return { priority, ranges: FULL_RANGE };
  if (s === 'catalog') return { priority, ranges: [] };
  try {
    return { priority: [], ranges: parsePortSpec(s) };
  } catch (err) {
    if (err instanceof PortSpecError) throw badRequest(`ports: ${err.message}`);
    throw err;
  }
}

/**
 * POST /api/v1/discovery/estimate: what a Network discovery with these settings would send before it runs: probes,
 * duration and the rate each host would see (the daemon computes the same numbers from the same presets).
 */
export async function estimateRoutes(app: FastifyInstance, opts: { db: Db }) {
  const { db } = opts;
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
    async (req) => {
      const p = principal(req);
      const b = req.body as EstimateRequest;
      assertNetwork(p, b.network_id);
      let ids = b.subnet_ids;
      if (ids === null) {
        if (!b.daemon_id) throw badRequest('daemon_id is required when subnet_ids is null');
        const [daemon] = await db.query<{ ids: string[] }>(
          `SELECT ARRAY(SELECT jsonb_array_elements_text(capabilities->'interfaced_subnet_ids')) AS ids
           FROM daemons WHERE id = $1 AND network_id = $2`,
          [b.daemon_id, b.network_id],
        );
        if (!daemon) throw new AppError('entity_not_found', { entity: 'Daemon' });
        ids = daemon.ids;
      }
      const subnets = await db.query<{ cidr: string; subnet_type: string }>(
        `SELECT cidr::text AS cidr, subnet_type FROM subnets WHERE network_id = $1 AND id = ANY($2::uuid[])
         ORDER BY cidr`,
        [b.network_id, ids],
      );
      // As the daemon does: system subnets (0.0.0.0/0) and Docker bridges are never swept.
      const scanned = subnets.filter(
        (s) =>
          Number(s.cidr.split('/')[1]) >= 16 &&
          !['Internet', 'Remote', 'DockerBridge'].includes(s.subnet_type),
      );
      const hosts = scanned.reduce((n, s) => n + usable(s.cidr), 0);
      const plan = planOf(b.ports);
      const settings = resolveScanSettings({ preset: b.scan_preset ?? null });
      return ok({ ...estimateScan(hosts, planSize(plan), settings), subnets: scanned.map((s) => s.cidr) });
    },
  );
}
