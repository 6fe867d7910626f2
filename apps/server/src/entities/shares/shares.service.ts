import { requireUser, type Principal } from '../../auth/principal.ts';
import { hashPassword, verifyPassword } from '../../auth/passwords.ts';
import { assertNetwork, type EntityService } from '../../http/crud.ts';
import { AppError, notFound } from '../../http/errors.ts';
import { RateLimiter } from '../../http/rate-limit.plugin.ts';
import type { LiveShare, SharesRepository } from './shares.repository.ts';

/** Wrong share passwords per share: the reference's burst of 5, then one more every 180 s. */
const SHARE_ATTEMPT_BURST = 5;
const SHARE_ATTEMPTS_PER_MINUTE = 60 / 180;
/** Wrong share passwords per client IP across all shares, so one client cannot walk through many shares. */
const IP_ATTEMPT_BURST = 20;
const IP_ATTEMPTS_PER_MINUTE = 2;

const defaultOptions = { show_inspect_panel: true, show_zoom_controls: true, show_export_button: true };

export interface ShareInput {
  share: {
    id?: string;
    topology_id: string;
    network_id: string;
    name: string;
    is_enabled?: boolean;
    expires_at?: string | null;
    allowed_domains?: string[] | null;
    options?: Record<string, boolean | undefined>;
  };
  /** Absent or null keeps the current one (none on create), "" removes it, any other value replaces it. */
  password?: string | null;
}

/** Whether an allow-list entry admits a host; `*.example.com` also admits example.com itself. */
export function domainMatches(entry: string, url: URL): boolean {
  const e = entry.toLowerCase();
  // An entry with a port names host:port; without one, any port of the host.
  const target = e.includes(':') ? url.host.toLowerCase() : url.hostname.toLowerCase();
  if (e.startsWith('*.')) {
    const base = e.slice(2);
    return target === base || target.endsWith(`.${base}`);
  }
  return target === e;
}

/**
 * The CSP frame-ancestors sources of an allow-list: anyone when it is empty. Each domain on any port (a source
 * without a port matches only the scheme's default one, and wikis and dashboards often run on another); a source
 * without a scheme matches the page's own scheme and its secure upgrade, so an https page is never framed by http.
 */
export function frameAncestors(domains: string[] | null): string {
  if (!domains?.length) return '*';
  const hosts = domains.flatMap((d) => (d.startsWith('*.') ? [d, d.slice(2)] : [d]));
  return [...new Set(hosts)].map((h) => `${h}:*`).join(' ');
}

/**
 * An embed's Referer must be an allowed site. The share page itself is served by this server, so a Referer on this
 * host (the embed page fetching its data) is fine: the browser enforces the frame-ancestors header on that page.
 */
export function embedAllowed(
  referer: string | undefined,
  host: string | undefined,
  domains: string[],
): boolean {
  if (!referer) return false;
  let url: URL;
  try {
    url = new URL(referer);
  } catch {
    return false;
  }
  if (host && url.host.toLowerCase() === host.toLowerCase()) return true;
  return domains.some((d) => domainMatches(d, url));
}

function normalizeDomains(domains: string[] | null | undefined): string[] | null | undefined {
  return domains && [...new Set(domains.map((d) => d.toLowerCase()))];
}

/** Public, read-only links to a stored topology, with optional password, expiry and embed allow-list. */
export class SharesService {
  private readonly perShare = new RateLimiter(SHARE_ATTEMPTS_PER_MINUTE, SHARE_ATTEMPT_BURST);
  private readonly perIp = new RateLimiter(IP_ATTEMPTS_PER_MINUTE, IP_ATTEMPT_BURST);

  constructor(
    private readonly shares: SharesRepository,
    private readonly self: EntityService<'shares'>,
    private readonly topologies: EntityService<'topologies'>,
  ) {}

  async create(principal: Principal, { share: s, password }: ShareInput) {
    const p = requireUser(principal);
    assertNetwork(p, s.network_id);
    const hash = password ? await hashPassword(password) : null;
    const id = await this.shares.transaction(async (trx) => {
      await this.topologies.reference(p, s.topology_id, s.network_id, 'Topology', trx);
      return this.shares.insert(trx, {
        id: s.id,
        topology_id: s.topology_id,
        network_id: s.network_id,
        created_by: p.userId,
        name: s.name,
        is_enabled: s.is_enabled ?? true,
        expires_at: s.expires_at ?? null,
        allowed_domains: normalizeDomains(s.allowed_domains) ?? null,
        options: { ...defaultOptions, ...s.options },
        password_hash: hash,
      });
    });
    return this.self.get(p, id);
  }

  async update(principal: Principal, id: string, { share: s, password }: ShareInput) {
    const p = requireUser(principal);
    const current = await this.self.get(p, id);
    if (current.network_id !== s.network_id) {
      throw new AppError('entity_network_mismatch', { detail: 'A share cannot move to another network' });
    }
    const hash = password ? await hashPassword(password) : password === '' ? null : undefined;
    await this.shares.transaction(async (trx) => {
      await this.topologies.reference(p, s.topology_id, s.network_id, 'Topology', trx);
      const domains = normalizeDomains(s.allowed_domains);
      await this.shares.update(
        trx,
        id,
        {
          topology_id: s.topology_id,
          name: s.name,
          is_enabled: s.is_enabled ?? (current.is_enabled as boolean),
          expires_at: s.expires_at === undefined ? (current.expires_at as Date | null) : s.expires_at,
          allowed_domains: domains === undefined ? (current.allowed_domains as string[] | null) : domains,
          options: { ...defaultOptions, ...(current.options as object), ...s.options },
        },
        hash,
      );
    });
    return this.self.get(p, id);
  }

  /** An enabled, unexpired share; unknown, disabled and expired ids get the same 404, so ids cannot be probed. */
  async live(id: string): Promise<LiveShare> {
    const row = await this.shares.live(id);
    if (!row) throw notFound('Share');
    return row;
  }

  /**
   * The frame-ancestors sources for the public page of share `id`, or null when there is no live share by that id
   * (the page then shows its own error and needs no policy).
   */
  async pagePolicy(id: string): Promise<string | null> {
    const row = await this.shares.live(id);
    return row ? frameAncestors(row.allowed_domains) : null;
  }

  metadata(s: LiveShare) {
    return {
      id: s.id,
      name: s.name,
      options: { ...defaultOptions, ...s.options },
      requires_password: s.password_hash !== null,
    };
  }

  /**
   * Checks a password against a protected share. Every guess takes a token per share and per client IP up front (so
   * parallel guesses cannot slip past the limit); a correct one gives them back, so only wrong guesses count.
   */
  async unlock(share: LiveShare, password: string | null | undefined, clientIp: string): Promise<void> {
    if (!share.password_hash) return;
    if (!password) throw new AppError('share_password_required');
    const buckets: [RateLimiter, string][] = [
      [this.perShare, share.id],
      [this.perIp, clientIp],
    ];
    const taken: typeof buckets = [];
    const refund = () => taken.forEach(([l, k]) => l.refund(k));
    for (const [limiter, key] of buckets) {
      const v = limiter.take(key);
      if (!v.allowed) {
        refund();
        throw new AppError('rate_limit_exceeded', { seconds: v.retryAfterSeconds });
      }
      taken.push([limiter, key]);
    }
    if (!(await verifyPassword(share.password_hash, password)))
      throw new AppError('share_password_incorrect');
    refund();
  }

  /** The shared topology, for anyone who may see the share. */
  async topology(share: LiveShare) {
    const topology = await this.topologies.repo.findAny(share.topology_id);
    if (!topology) throw notFound('Share');
    return topology;
  }
}
