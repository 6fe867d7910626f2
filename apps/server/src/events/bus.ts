/** Entity events published for every write (filled in by the events work). */
export interface EntityEvent {
  entity: string;
  operation: 'created' | 'updated' | 'deleted';
  id: string;
  network_id: string | null;
  organization_id: string | null;
  changed_fields: string[];
}

export type Listener = (e: EntityEvent) => void;

/** The one in-process event bus; see events.plugin.ts for how events reach it. */
export class EventBus {
  private readonly listeners = new Set<Listener>();

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  publish(e: EntityEvent): void {
    for (const l of this.listeners) l(e);
  }
}
