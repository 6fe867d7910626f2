import type {
  CreateUpdateShareRequest,
  MetadataResponse,
  Network,
  PublicShareMetadata,
  Share,
  Topology as WireTopology,
  TopologyOptions,
  TopologyView,
} from '@scanopy/contracts';
import { asTopology, type EdgeHandle, type Ixy, type Topology } from './types.ts';

/*
 * The topology screens talk to the API through this module only. It is self-contained (fetch plus the envelope) so
 * the lazily loaded topology chunk and the public share page carry nothing else of the app.
 */

export class TopologyApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code?: string,
  ) {
    super(message);
  }
}

interface Envelope<T> {
  success: boolean;
  data?: T;
  error?: string;
  code?: string;
  meta?: { pagination?: { total_count: number } };
  /** The answer's Content-Security-Policy header (the share viewer reads its frame-ancestors). */
  policy?: string | null;
}

/** Bytes of the last request body sent, for the editor's "saved N bytes" status and the benchmark. */
export const lastSent = { bytes: 0, path: '' };

async function call<T>(method: string, path: string, body?: unknown): Promise<Envelope<T>> {
  const init: RequestInit = { method, credentials: 'include', headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    const text = JSON.stringify(body);
    init.headers = { Accept: 'application/json', 'Content-Type': 'application/json' };
    init.body = text;
    lastSent.bytes = new TextEncoder().encode(text).length;
    lastSent.path = path;
  }
  let res: Response;
  try {
    res = await fetch(path, init);
  } catch {
    throw new TopologyApiError('Cannot reach the Scanopy server. Check your connection and try again.', 0);
  }
  let parsed: Envelope<T> | undefined;
  try {
    parsed = (await res.json()) as Envelope<T>;
  } catch {
    parsed = undefined;
  }
  if (!res.ok || !parsed?.success) {
    throw new TopologyApiError(
      parsed?.error ?? `The server answered ${res.status}.`,
      res.status,
      parsed?.code,
    );
  }
  return { ...parsed, policy: res.headers.get('content-security-policy') };
}

const data = async <T>(p: Promise<Envelope<T>>): Promise<T> => (await p).data as T;
const base = (id: string) => `/api/v1/topology/${encodeURIComponent(id)}`;

export const topologyApi = {
  networks: () => data(call<Network[]>('GET', '/api/v1/networks?limit=100')),
  metadata: () => data(call<MetadataResponse>('GET', '/api/metadata')),

  /** Topologies of a network, each with its graph (the list has no lighter form in the v1 API). */
  list: async (networkId: string) =>
    (await data(call<WireTopology[]>('GET', `/api/v1/topology?network_id=${networkId}&limit=100`))).map(
      asTopology,
    ),
  get: async (id: string) => asTopology(await data(call<WireTopology>('GET', base(id)))),
  create: async (networkId: string, name: string, options?: TopologyOptions) =>
    asTopology(
      await data(
        call<WireTopology>('POST', '/api/v1/topology', {
          network_id: networkId,
          name,
          ...(options ? { options } : {}),
        }),
      ),
    ),
  remove: (id: string) => data(call<unknown>('DELETE', base(id))),

  // Point updates: a few hundred bytes each, never the whole topology.
  nodePosition: (t: Topology, nodeId: string, position: Ixy) =>
    data(
      call<unknown>('POST', `${base(t.id)}/node-position`, {
        network_id: t.network_id,
        node_id: nodeId,
        position,
      }),
    ),
  nodeResize: (t: Topology, nodeId: string, size: Ixy, position: Ixy) =>
    data(
      call<unknown>('POST', `${base(t.id)}/node-resize`, {
        network_id: t.network_id,
        node_id: nodeId,
        size,
        position,
      }),
    ),
  edgeHandles: (t: Topology, edgeId: string, source: EdgeHandle, target: EdgeHandle) =>
    data(
      call<unknown>('POST', `${base(t.id)}/edge-handles`, {
        network_id: t.network_id,
        edge_id: edgeId,
        source_handle: source,
        target_handle: target,
      }),
    ),
  rename: (t: Topology, name: string) =>
    data(
      call<unknown>('POST', `${base(t.id)}/metadata`, {
        network_id: t.network_id,
        name,
        parent_id: t.parent_id,
      }),
    ),

  lock: async (t: Topology) => asTopology(await data(call<WireTopology>('POST', `${base(t.id)}/lock`))),
  unlock: async (t: Topology) => asTopology(await data(call<WireTopology>('POST', `${base(t.id)}/unlock`))),
  /**
   * Rebuild keeps the placements the server stores. The graph goes along only for a reset, as empty lists (the
   * server's signal to drop the placements): sending a thousand-card graph back would be megabytes for nothing.
   */
  rebuild: (t: Topology, options: TopologyOptions, reset = false, view?: TopologyView) =>
    data(
      call<unknown>('POST', `${base(t.id)}/rebuild`, {
        network_id: t.network_id,
        options,
        ...(reset ? { nodes: [], edges: [] } : {}),
        ...(view ? { view } : {}),
      }),
    ),
  /** Updates the entity snapshot and options without touching the graph (the topology stays stale). */
  refresh: (t: Topology, options: TopologyOptions) =>
    data(call<unknown>('POST', `${base(t.id)}/refresh`, { network_id: t.network_id, options })),

  /** The organization's tags (names for the tag filter); `limit=0` lists them all. */
  tags: () => data(call<{ id: string; name: string }[]>('GET', '/api/v1/tags?limit=0')),

  shares: (topologyId: string) =>
    data(call<Share[]>('GET', `/api/v1/shares?topology_id=${topologyId}&limit=100`)),
  createShare: (body: CreateUpdateShareRequest) => data(call<Share>('POST', '/api/v1/shares', body)),
  deleteShare: (id: string) => data(call<unknown>('DELETE', `/api/v1/shares/${encodeURIComponent(id)}`)),
};

/** The public share calls: no session, so they work in a fresh browser and inside another site's frame. */
export const publicShareApi = {
  metadata: (id: string) =>
    data(call<PublicShareMetadata>('GET', `/api/v1/shares/public/${encodeURIComponent(id)}`)),
  topology: async (id: string, password: string | null, embed: boolean) => {
    const r = await call<{ share: PublicShareMetadata; topology: WireTopology }>(
      'POST',
      `/api/v1/shares/public/${encodeURIComponent(id)}/topology${embed ? '?embed=true' : ''}`,
      { password },
    );
    const { share, topology } = r.data!;
    // The frame-ancestors policy the server computed from the share's allowed domains.
    return { share, topology: asTopology(topology), framePolicy: r.policy ?? null };
  },
};
