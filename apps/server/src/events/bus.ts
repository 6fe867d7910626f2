/** A discovery session's state as daemons report it (DiscoveryUpdatePayload), carried by DiscoverySession events. */
export interface SessionSnapshot {
  session_id: string;
  daemon_id: string;
  network_id: string;
  phase: string;
  progress: number;
  error: string | null;
  discovery_type?: Record<string, unknown>;
  started_at: string | null;
  finished_at: string | null;
}

/** The ids of an event that are on one network; `network_id` null holds rows on no network (users, tags, ...). */
export interface EventScope {
  network_id: string | null;
  organization_id: string | null;
  ids: string[];
}

/**
 * Published once per entity type and operation of every committed write (one transaction; see migration 0013):
 * ingesting a host with 3 interfaces and 10 ports is one Host, one Interface and one Port `created` event.
 * `entity` is the display name (Host, DiscoverySession, ...). A row created and then updated in the same write is in
 * both the created and the updated event.
 */
export interface EntityEvent {
  entity: string;
  operation: 'created' | 'updated' | 'deleted';
  /** Every row of this entity the write touched with this operation, once each. */
  ids: string[];
  /** The distinct networks of those rows (a Network event: the networks themselves); empty when none has one. */
  network_ids: string[];
  organization_ids: string[];
  /** Which ids are on which network: what lets a stream show a client only the ids on networks it can see. */
  scopes: EventScope[];
  /** Columns the write's updates changed (union over its rows), ignoring updated_at; empty when not an update. */
  changed_fields: string[];
  /**
   * Noise only (a heartbeat's last_seen, a key's last_used) in every row change of the event: streams and logs skip
   * it, metrics count it. One real change among them makes the whole event visible.
   */
  suppress: boolean;
  /** DiscoverySession created/updated events: each session's last snapshot in the write, in the order written. */
  sessions?: SessionSnapshot[];
}

/** An event built from its scopes, so ids, network and organization lists always agree with them. */
export function entityEvent(
  base: Pick<EntityEvent, 'entity' | 'operation' | 'changed_fields' | 'suppress' | 'sessions'>,
  scopes: EventScope[],
): EntityEvent {
  const distinct = (values: (string | null)[]) => [...new Set(values.filter((v): v is string => v !== null))];
  const e: EntityEvent = {
    entity: base.entity,
    operation: base.operation,
    ids: distinct(scopes.flatMap((s) => s.ids)),
    network_ids: distinct(scopes.map((s) => s.network_id)),
    organization_ids: distinct(scopes.map((s) => s.organization_id)),
    scopes,
    changed_fields: base.changed_fields,
    suppress: base.suppress,
  };
  if (base.sessions) e.sessions = base.sessions;
  return e;
}

/**
 * Entities on no network that every member of their organization may read: their changes reach the organization's
 * web UI streams (ids only), so open lists refresh. Users, keys and the organization itself stay out.
 */
export const ORGANIZATION_WIDE_ENTITIES: ReadonlySet<string> = new Set(['Tag']);

/**
 * The part of an event a client who sees only `networks` may receive (its ids, networks and sessions there), or
 * undefined when nothing of it is on those networks. Rows on no network never reach network-filtered streams, except
 * rows of an organization-wide entity when the client's `organizationId` is given and matches.
 */
export function visibleOn(
  e: EntityEvent,
  networks: ReadonlySet<string>,
  organizationId?: string,
): EntityEvent | undefined {
  const orgWide = organizationId !== undefined && ORGANIZATION_WIDE_ENTITIES.has(e.entity);
  const scopes = e.scopes.filter((s) =>
    s.network_id === null ? orgWide && s.organization_id === organizationId : networks.has(s.network_id),
  );
  if (!scopes.length) return undefined;
  if (scopes.length === e.scopes.length) return e;
  return entityEvent({ ...e, sessions: e.sessions?.filter((s) => networks.has(s.network_id)) }, scopes);
}

export type Listener = (e: EntityEvent) => void;

/** The one in-process event bus; see events.plugin.ts for how events reach it. */
export class EventBus {
  private readonly listeners = new Set<Listener>();

  /** Called with a subscriber's error; a failing subscriber must never break delivery to the others. */
  onError: (err: unknown) => void = () => undefined;

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  publish(e: EntityEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.onError(err);
      }
    }
  }

  get size(): number {
    return this.listeners.size;
  }
}
