import type { EntityEvent } from '../../events/bus.ts';
import type { TopologiesRepository } from './topology.repository.ts';

/**
 * §1.5: which updated columns of an entity change the graph. Creates and deletes always count; Subnet changes never
 * do (the snapshot is refreshed on the next build).
 */
export const STALE_FIELDS: Record<string, readonly string[] | null> = {
  Host: ['hostname', 'name', 'virtualization', 'hidden'],
  Interface: ['ip_address', 'subnet_id', 'host_id'],
  Service: ['bindings', 'host_id', 'virtualization', 'service_definition'],
  Binding: ['binding_type', 'service_id', 'interface_id', 'port_id'],
  Port: ['port_type', 'protocol', 'port_number', 'host_id'],
  Group: ['binding_ids', 'group_type', 'name'],
  GroupBinding: null,
  IfEntry: ['neighbor', 'interface_id', 'host_id'],
  Subnet: [],
};

const REMOVED: Record<string, string> = {
  Host: 'removed_hosts',
  Interface: 'removed_interfaces',
  Subnet: 'removed_subnets',
  Service: 'removed_services',
  Group: 'removed_groups',
  Port: 'removed_ports',
  Binding: 'removed_bindings',
  IfEntry: 'removed_if_entries',
};

/** Does this event make a topology of its networks stale (§1.5)? */
export function marksStale(e: EntityEvent): boolean {
  if (!(e.entity in STALE_FIELDS) || e.suppress) return false;
  const fields = STALE_FIELDS[e.entity];
  if (e.operation !== 'updated') return e.entity !== 'Subnet' || e.operation === 'deleted';
  if (fields === null) return true;
  return e.changed_fields.some((f) => fields.includes(f));
}

export interface LifecycleOptions {
  /** Quiet time after the last change before an auto-rebuild runs. */
  debounceMs: number;
  /** A network that keeps changing is still rebuilt at least this often. */
  maxWaitMs: number;
}

/**
 * Staleness and auto-rebuild. Entity events (already one per write) mark the topologies of their networks stale and
 * record deletions; unlocked topologies are then rebuilt after a quiet period, once per network however many writes
 * arrived (a 200-host discovery gives a handful of rebuilds). Locked topologies only become stale.
 */
export class TopologyLifecycle {
  private readonly timers = new Map<string, { timer: NodeJS.Timeout; first: number }>();
  private running: Promise<void> = Promise.resolve();
  private unsubscribe: (() => void) | null = null;
  rebuilds = 0;
  /** Off (SCANOPY_TOPOLOGY_AUTO_REBUILD=false): topologies only turn stale until someone refreshes or rebuilds. */
  autoRebuild = true;
  private stopped = false;

  constructor(
    private readonly repo: TopologiesRepository,
    private readonly rebuild: (id: string) => Promise<void>,
    private readonly opts: LifecycleOptions = { debounceMs: 2000, maxWaitMs: 15000 },
  ) {}

  start(subscribe: (l: (e: EntityEvent) => void) => () => void) {
    if (this.unsubscribe) return;
    this.unsubscribe = subscribe((e) => void this.onEvent(e).catch(() => undefined));
  }

  stop() {
    this.stopped = true;
    this.unsubscribe?.();
    for (const t of this.timers.values()) clearTimeout(t.timer);
    this.timers.clear();
  }

  async onEvent(e: EntityEvent): Promise<void> {
    if (!marksStale(e) || e.network_ids.length === 0) return;
    const tops = await this.repo.ofNetworks(e.network_ids);
    if (tops.length === 0) return;
    for (const s of e.scopes) {
      const ids = tops.filter((t) => t.network_id === s.network_id).map((t) => t.id);
      const col = REMOVED[e.entity];
      await this.repo.markStale(ids, e.operation === 'deleted' && col ? { [col]: s.ids } : {});
    }
    if (!this.autoRebuild) return;
    for (const n of new Set(tops.filter((t) => !t.is_locked).map((t) => t.network_id))) this.schedule(n);
  }

  private schedule(networkId: string) {
    const now = Date.now();
    const prev = this.timers.get(networkId);
    if (prev) clearTimeout(prev.timer);
    const first = prev?.first ?? now;
    const wait = Math.max(0, Math.min(this.opts.debounceMs, first + this.opts.maxWaitMs - now));
    const timer = setTimeout(() => void this.run(networkId), wait);
    timer.unref?.();
    this.timers.set(networkId, { timer, first });
  }

  /** Runs every pending auto-rebuild now (tests, shutdown). */
  async flush(): Promise<void> {
    const pending = [...this.timers.keys()];
    for (const n of pending) {
      clearTimeout(this.timers.get(n)!.timer);
      await this.run(n);
    }
    await this.running;
  }

  /** One rebuild pass at a time, so overlapping passes never interleave their writes. */
  private run(networkId: string): Promise<void> {
    this.timers.delete(networkId);
    this.running = this.running.then(async () => {
      // A pass queued before stop() must not touch a database that is closing (the rejection would go unhandled).
      if (this.stopped) return;
      for (const t of await this.repo.ofNetworks([networkId]).catch(() => [])) {
        if (t.is_locked || !t.is_stale) continue;
        this.rebuilds++;
        await this.rebuild(t.id).catch(() => undefined);
      }
    });
    return this.running;
  }
}
