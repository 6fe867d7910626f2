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

/**
 * Published for every committed write to an entity table (see migration 0002). `entity` is the display name
 * (Host, DiscoverySession, ...); `changed_fields` lists the columns an update changed, ignoring updated_at.
 */
export interface EntityEvent {
  entity: string;
  operation: 'created' | 'updated' | 'deleted';
  id: string;
  network_id: string | null;
  organization_id: string | null;
  changed_fields: string[];
  /** Noise only (a heartbeat's last_seen, a key's last_used): streams and logs skip it, metrics count it. */
  suppress: boolean;
  /** Present on DiscoverySession created/updated events. */
  session?: SessionSnapshot;
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
