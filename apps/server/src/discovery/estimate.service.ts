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
import type { Principal } from '../auth/principal.ts';
import { assertNetwork } from '../http/crud.ts';
import { AppError, badRequest } from '../http/errors.ts';
import type { EstimateRepository } from './estimate.repository.ts';

export interface EstimateInput {
  network_id: string;
  /** Subnets to scan; null = the interfaced subnets of `daemon_id` (what a Network discovery does by default). */
  subnet_ids: string[] | null;
  daemon_id?: string | null;
  scan_preset?: 'polite' | 'normal' | 'fast' | null;
  ports?: string | null;
}

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
 * What a Network discovery with these settings would send before it runs (the daemon computes the same numbers from
 * the same presets): host discovery over every address first, then the port scan of the live hosts, all at once.
 * Before a run only the hosts already known in these subnets are counted as live; the daemon refines the estimate
 * from the hosts it finds, and each one adds at most `per_host_duration_s`.
 */
export class EstimateService {
  constructor(private readonly estimates: EstimateRepository) {}

  async estimate(p: Principal, b: EstimateInput) {
    assertNetwork(p, b.network_id);
    let ids = b.subnet_ids;
    if (ids === null) {
      if (!b.daemon_id) throw badRequest('daemon_id is required when subnet_ids is null');
      ids = (await this.estimates.interfacedSubnetIds(b.daemon_id, b.network_id)) ?? null;
      if (!ids) throw new AppError('entity_not_found', { entity: 'Daemon' });
    }
    const subnets = await this.estimates.subnets(b.network_id, ids);
    // As the daemon does: system subnets (0.0.0.0/0) and Docker bridges are never swept.
    const scanned = subnets.filter(
      (s) =>
        Number(s.cidr.split('/')[1]) >= 16 && !['Internet', 'Remote', 'DockerBridge'].includes(s.subnet_type),
    );
    const addresses = scanned.reduce((n, s) => n + usable(s.cidr), 0);
    const known = scanned.length
      ? await this.estimates.knownAddresses(
          b.network_id,
          scanned.map((s) => s.id),
        )
      : 0;
    const plan = planOf(b.ports);
    const settings = resolveScanSettings({ preset: b.scan_preset ?? null });
    return {
      ...estimateScan(Math.min(known, addresses), planSize(plan), settings, addresses),
      subnets: scanned.map((s) => s.cidr),
    };
  }
}
