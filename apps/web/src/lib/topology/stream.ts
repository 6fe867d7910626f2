import {
  TOPOLOGY_SUMMARY_FIELDS,
  type TopologyAction,
  type TopologyMessage,
  type TopologySummary,
} from '@scanopy/contracts';
import type { Topology } from './types.ts';

/*
 * GET /api/v1/topology/stream: what changed about the topologies of the caller's networks. The editor listens to
 * its `topology` messages (one per changed topology: what happened and the topology's state after it, without graph
 * and snapshot), so a lock, a staleness or a rename made elsewhere shows at once, and the graph is fetched again only
 * when it changed (a rebuild, a refresh, someone else's arrangement).
 */

export const TOPOLOGY_STREAM_URL = '/api/v1/topology/stream';

export type { TopologyAction, TopologyMessage, TopologySummary };
/** The fields of a topology a stream message carries (the wire contract's list). */
export const SUMMARY_FIELDS = TOPOLOGY_SUMMARY_FIELDS;

/** One `data:` payload of the stream, when it is a topology message (staleness of other entities is not used). */
export function parseTopologyMessage(data: string): TopologyMessage | null {
  let v: unknown;
  try {
    v = JSON.parse(data);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const m = v as Partial<TopologyMessage>;
  if (m.type !== 'topology' || typeof m.id !== 'string' || typeof m.action !== 'string') return null;
  if (typeof m.network_id !== 'string' || !Array.isArray(m.changed_fields)) return null;
  return m as TopologyMessage;
}

/** The summary's fields laid over a topology (graph and snapshot untouched). */
export function withSummary<T extends Topology>(t: T, s: TopologySummary | undefined): T {
  if (!s) return t;
  const patch: Record<string, unknown> = {};
  for (const k of SUMMARY_FIELDS) if (s[k] !== undefined) patch[k] = s[k];
  return { ...t, ...patch };
}

const time = (v: unknown) => (typeof v === 'string' ? Date.parse(v) : NaN);

/**
 * What the editor does with a message about the topology it shows:
 * - `patch`: lay the summary over it (lock, staleness, name; nothing to fetch);
 * - `reload`: fetch it again (the graph or snapshot changed: a rebuild or refresh it has not seen, a full save, or
 *   an arrangement made elsewhere);
 * - `gone`: it was deleted.
 * The echoes of the editor's own point updates (`arranged`) are counted off by the editor before it asks.
 */
export function effectOf(current: Topology, m: TopologyMessage): 'patch' | 'reload' | 'gone' | 'none' {
  if (m.id !== current.id) return 'none';
  switch (m.action) {
    case 'deleted':
      return 'gone';
    case 'rebuilt':
    case 'refreshed':
      // Already seen when this editor read the topology after the same rebuild or refresh.
      return time(m.topology?.last_refreshed) > time(current.last_refreshed) ? 'reload' : 'patch';
    case 'saved':
    case 'arranged':
      return 'reload';
    case 'created':
      return 'none';
    case 'locked':
    case 'unlocked':
    case 'stale':
    case 'updated':
      return 'patch';
  }
}

/** A human line for the status bar about a change made elsewhere. */
export function describe(m: TopologyMessage): string {
  switch (m.action) {
    case 'rebuilt':
      return 'Rebuilt on the server';
    case 'refreshed':
      return 'Inventory snapshot refreshed';
    case 'locked':
      return 'Locked';
    case 'unlocked':
      return 'Unlocked';
    case 'stale':
      return 'The inventory changed';
    case 'saved':
    case 'arranged':
      return 'Arranged in another editor';
    case 'updated':
      return 'Details updated';
    case 'created':
    case 'deleted':
      return '';
  }
}
