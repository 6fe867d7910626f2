import type { DiscoveryUpdatePayload } from '../api/types.ts';
import { parseSessionEvent } from '../discovery.ts';

/** A change to some rows of one entity on one network, or on none (tags), by ids only, never the rows. */
export interface StaleMessage {
  type: 'stale';
  network_id: string | null;
  entity: string;
  operation: 'created' | 'updated' | 'deleted';
  ids: string[];
}

export interface SessionMessage {
  type: 'session';
  session: DiscoveryUpdatePayload;
}

export type RealtimeMessage = StaleMessage | SessionMessage;

/**
 * The query-key roots an entity's change makes stale. Hosts embed their interfaces, ports and services; services
 * embed their bindings, which groups refer to. Unknown entities invalidate nothing.
 */
export const ENTITY_QUERY_ROOTS: Record<string, readonly string[]> = {
  Host: ['hosts', 'services', 'dashboard'],
  Interface: ['hosts', 'interfaces'],
  Port: ['hosts', 'ports'],
  Service: ['services', 'hosts', 'dashboard'],
  Binding: ['services', 'hosts', 'groups', 'bindings'],
  Subnet: ['subnets', 'dashboard'],
  Group: ['groups'],
  Tag: ['tags'],
  Network: ['networks'],
  Daemon: ['daemons', 'networks-overview', 'dashboard'],
  DaemonApiKey: ['auth/daemon'],
  UserApiKey: ['auth/keys'],
  Discovery: ['discovery', 'dashboard'],
  Topology: ['topology'],
  Share: ['shares'],
  User: ['users'],
  Invite: ['invites'],
  Organization: ['organizations'],
};

/** Parses one `data:` payload of /api/v1/events/stream; anything else is ignored (null). */
export function parseRealtimeMessage(data: string): RealtimeMessage | null {
  let v: unknown;
  try {
    v = JSON.parse(data);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const m = v as Record<string, unknown>;
  if (m.type === 'stale' && typeof m.entity === 'string' && Array.isArray(m.ids)) {
    return v as StaleMessage;
  }
  if (m.type === 'session' && typeof m.session === 'object' && m.session !== null) {
    const session = parseSessionEvent(JSON.stringify(m.session));
    return session ? { type: 'session', session } : null;
  }
  return null;
}

/** `?throttle=off` on the URL the app was opened with disables the once-a-second limit (benchmark peer runs). */
export function throttleDisabled(search: string): boolean {
  return new URLSearchParams(search).get('throttle') === 'off';
}
