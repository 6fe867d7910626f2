import { EntityRepository } from '../../db/entity-repository.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Db } from '../../db/client.ts';
import { requireUser } from '../../auth/principal.ts';
import { hashPassword, verifyPassword } from '../../auth/passwords.ts';
import { assertNetwork, getVisible, principal } from '../../http/crud.ts';
import { ok } from '../../http/envelope.ts';
import { AppError, notFound } from '../../http/errors.ts';
import { RateLimiter } from '../../http/rate-limit.plugin.ts';
import { IdParams, ItemResponse } from '../../http/schemas.ts';
import { freshId, loadRef } from '../hosts/hosts.service.ts';
import { topologyDef } from '../topology/topology.defs.ts';
import {
  CreateUpdateShareRequest,
  PublicShareMetadata,
  Share,
  ShareTopologyRequest,
  ShareWithTopology,
  shareDef,
} from './shares.defs.ts';

/** Wrong share passwords per share: the reference's burst of 5, then one more every 180 s. */
const SHARE_ATTEMPT_BURST = 5;
const SHARE_ATTEMPTS_PER_MINUTE = 60 / 180;
/** Wrong share passwords per client IP across all shares, so one client cannot walk through many shares. */
const IP_ATTEMPT_BURST = 20;
const IP_ATTEMPTS_PER_MINUTE = 2;

const defaultOptions = { show_inspect_panel: true, show_zoom_controls: true, show_export_button: true };

interface LiveShare {
  id: string;
  name: string;
  options: Record<string, boolean>;
  password_hash: string | null;
  allowed_domains: string[] | null;
  topology_id: string;
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

/** The CSP frame-ancestors sources of an allow-list: anyone when it is empty. */
export function frameAncestors(domains: string[] | null): string {
  if (!domains?.length) return '*';
  return [...new Set(domains.flatMap((d) => (d.startsWith('*.') ? [d, d.slice(2)] : [d])))].join(' ');
}

/**
 * An embed's Referer must be an allowed site. The share page itself is served by this server, so a Referer on this
 * host (the embed page fetching its data) is fine: the browser enforces the frame-ancestors header on that page.
 */
function embedAllowed(req: FastifyRequest, domains: string[]): boolean {
  const referer = req.headers.referer;
  if (!referer) return false;
  let url: URL;
  try {
    url = new URL(referer);
  } catch {
    return false;
  }
  if (req.headers.host && url.host.toLowerCase() === req.headers.host.toLowerCase()) return true;
  return domains.some((d) => domainMatches(d, url));
}

function normalizeDomains(domains: string[] | null | undefined): string[] | null | undefined {
  return domains && [...new Set(domains.map((d) => d.toLowerCase()))];
}

/** Public share routes answer any origin, never with credentials (api-model.md §4.5). */
function publicCors(
  _req: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
  done: (e: null, p: unknown) => void,
) {
  void reply.header('Access-Control-Allow-Origin', '*');
  done(null, payload);
}

export async function shareRoutes(app: FastifyInstance, opts: { db: Db }) {
  const { db } = opts;
  const perShare = new RateLimiter(SHARE_ATTEMPTS_PER_MINUTE, SHARE_ATTEMPT_BURST);
  const perIp = new RateLimiter(IP_ATTEMPTS_PER_MINUTE, IP_ATTEMPT_BURST);

  /** An enabled, unexpired share; unknown, disabled and expired ids get the same 404, so ids cannot be probed. */
  async function liveShare(id: string): Promise<LiveShare> {
    const [row] = await db.query<LiveShare>(
      `SELECT id, name, options, password_hash, allowed_domains, topology_id FROM shares
       WHERE id = $1 AND is_enabled AND (expires_at IS NULL OR expires_at > now())`,
      [id],
    );
    if (!row) throw notFound('Share');
    return row;
  }

  /**
   * Checks a password against a protected share. Every guess takes a token per share and per client IP up front (so
   * parallel guesses cannot slip past the limit); a correct one gives them back, so only wrong guesses count.
   */
  async function unlock(req: FastifyRequest, share: LiveShare, password: string | null | undefined) {
    if (!share.password_hash) return;
    if (!password) throw new AppError('share_password_required');
    const buckets: [RateLimiter, string][] = [
      [perShare, share.id],
      [perIp, req.ip],
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

  const metadata = (s: LiveShare) => ({
    id: s.id,
    name: s.name,
    options: { ...defaultOptions, ...s.options },
    requires_password: s.password_hash !== null,
  });

  app.post(
    '/shares',
    {
      config: { access: 'member' },
      schema: {
        operationId: 'create_share',
        tags: ['shares'],
        body: CreateUpdateShareRequest,
        response: { 200: ItemResponse(Share) },
      },
    },
    async (req) => {
      const p = requireUser(principal(req));
      const { share: s, password } = req.body as CreateUpdateShareRequest;
      assertNetwork(p, s.network_id);
      const hash = password ? await hashPassword(password) : null;
      const id = await db.transaction(async (tx) => {
        await loadRef(tx, p, 'topologies', s.topology_id, s.network_id, 'Topology');
        const sid = await freshId(tx, 'shares', s.id);
        await tx.query(
          `INSERT INTO shares (id, topology_id, network_id, created_by, name, is_enabled, expires_at, allowed_domains,
             options, password_hash)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
          [
            sid,
            s.topology_id,
            s.network_id,
            p.userId,
            s.name,
            s.is_enabled ?? true,
            s.expires_at ?? null,
            normalizeDomains(s.allowed_domains) ?? null,
            JSON.stringify({ ...defaultOptions, ...s.options }),
            hash,
          ],
        );
        return sid;
      });
      return ok(await getVisible(db, shareDef, p, id));
    },
  );

  app.put(
    '/shares/:id',
    {
      config: { access: 'member' },
      schema: {
        operationId: 'update_share',
        tags: ['shares'],
        params: IdParams,
        body: CreateUpdateShareRequest,
        response: { 200: ItemResponse(Share) },
      },
    },
    async (req) => {
      const p = requireUser(principal(req));
      const { id } = req.params as { id: string };
      const { share: s, password } = req.body as CreateUpdateShareRequest;
      const current = await getVisible(db, shareDef, p, id);
      if (current.network_id !== s.network_id) {
        throw new AppError('entity_network_mismatch', { detail: 'A share cannot move to another network' });
      }
      // Absent (or null) keeps the password, "" removes it, anything else replaces it.
      const hash = password ? await hashPassword(password) : password === '' ? null : undefined;
      await db.transaction(async (tx) => {
        await loadRef(tx, p, 'topologies', s.topology_id, s.network_id, 'Topology');
        const domains = normalizeDomains(s.allowed_domains);
        await tx.query(
          `UPDATE shares SET topology_id = $2, name = $3, is_enabled = $4, expires_at = $5, allowed_domains = $6,
             options = $7, password_hash = CASE WHEN $8 THEN $9 ELSE password_hash END, updated_at = now()
           WHERE id = $1`,
          [
            id,
            s.topology_id,
            s.name,
            s.is_enabled ?? current.is_enabled,
            s.expires_at === undefined ? current.expires_at : s.expires_at,
            domains === undefined ? current.allowed_domains : domains,
            JSON.stringify({ ...defaultOptions, ...(current.options as object), ...s.options }),
            hash !== undefined,
            hash ?? null,
          ],
        );
      });
      return ok(await getVisible(db, shareDef, p, id));
    },
  );

  const publicRoute = { config: { access: 'public' as const }, onSend: publicCors };

  app.get(
    '/shares/public/:id',
    {
      ...publicRoute,
      schema: {
        operationId: 'get_public_share_metadata',
        tags: ['shares'],
        summary: 'Name, display options and whether a password is needed (no authentication)',
        params: IdParams,
        response: { 200: ItemResponse(PublicShareMetadata) },
      },
    },
    async (req) => ok(metadata(await liveShare((req.params as { id: string }).id))),
  );

  app.post(
    '/shares/public/:id/verify',
    {
      ...publicRoute,
      schema: {
        operationId: 'verify_share_password',
        tags: ['shares'],
        summary: 'Checks a share password, sent as a bare JSON string (no authentication)',
        description:
          'true when the password is right (or the share has none); 401 share_password_incorrect when wrong. Wrong ' +
          'guesses are limited per share (5, then one per 180 s) and per client IP; beyond that 429 with Retry-After.',
        params: IdParams,
        body: Type.String({ maxLength: 256 }),
        response: { 200: ItemResponse(Type.Boolean()) },
      },
    },
    async (req) => {
      const share = await liveShare((req.params as { id: string }).id);
      await unlock(req, share, req.body as string);
      return ok(true);
    },
  );

  app.post(
    '/shares/public/:id/topology',
    {
      ...publicRoute,
      schema: {
        operationId: 'get_public_share_topology',
        tags: ['shares'],
        summary: 'The shared topology (no authentication; the password when the share has one)',
        params: IdParams,
        querystring: Type.Object({ embed: Type.Optional(Type.Boolean()) }),
        body: ShareTopologyRequest,
        response: { 200: ItemResponse(ShareWithTopology) },
      },
    },
    async (req, reply) => {
      const share = await liveShare((req.params as { id: string }).id);
      const { embed } = req.query as { embed?: boolean };
      if (embed && share.allowed_domains?.length && !embedAllowed(req, share.allowed_domains)) {
        throw new AppError('share_domain_not_allowed');
      }
      await unlock(req, share, (req.body as { password?: string | null }).password);
      const topology = await new EntityRepository(db.kysely, topologyDef.spec).findAny(share.topology_id);
      if (!topology) throw notFound('Share');
      void reply.header('Cache-Control', 'public, max-age=300');
      void reply.header(
        'Content-Security-Policy',
        `frame-ancestors ${frameAncestors(share.allowed_domains)}`,
      );
      return ok({ share: metadata(share), topology });
    },
  );

  // Cross-origin callers send JSON bodies, which makes browsers ask first.
  for (const url of ['/shares/public/:id', '/shares/public/:id/verify', '/shares/public/:id/topology']) {
    app.options(url, { ...publicRoute, schema: { hide: true, params: IdParams } }, async (_req, reply) =>
      reply
        .code(204)
        .header('Access-Control-Allow-Methods', 'GET, POST, OPTIONS')
        .header('Access-Control-Allow-Headers', 'Content-Type, Accept')
        .header('Access-Control-Max-Age', '600')
        .send(),
    );
  }
}
