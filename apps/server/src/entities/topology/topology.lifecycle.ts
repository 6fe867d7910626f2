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

/**
 * Does this event change only the Applications view (whose boxes are application tags)? Tagging a host or service,
 * and creating, renaming, flagging or deleting a tag, do; the L3 and Workloads graphs carry no tags.
 */
export function marksApplicationsStale(e: EntityEvent): boolean {
  if (e.suppress) return false;
  if (e.entity === 'Tag') {
    return e.operation !== 'updated' || e.changed_fields.some((f) => f === 'is_application' || f === 'name');
  }
  return (
    (e.entity === 'Host' || e.entity === 'Service') &&
    e.operation === 'updated' &&
    e.changed_fields.includes('tags')
  );
}

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

  /**
   * Marks the topologies of the event's networks stale. Marks are coalesced: events that arrive while one pass is
   * writing are merged into the next pass, so a burst of writes (a discovery ingesting hundreds of rows) makes one
   * UPDATE per network instead of hundreds of concurrent ones queueing on the same rows' locks and holding every
   * pooled connection. Resolves once a pass that includes this event has been written.
   */
  onEvent(e: EntityEvent): Promise<void> {
    const all = marksStale(e);
    if (!all && !marksApplicationsStale(e)) return Promise.resolve();
    const col = all && e.operation === 'deleted' ? REMOVED[e.entity] : undefined;
    let queued = false;
    for (const s of e.scopes) {
      if (!s.network_id) continue;
      const mark = this.pendingMarks.get(s.network_id) ?? {
        all: false,
        removed: new Map<string, Set<string>>(),
      };
      mark.all ||= all;
      if (col) {
        const set = mark.removed.get(col) ?? new Set<string>();
        for (const id of s.ids) set.add(id);
        mark.removed.set(col, set);
      }
      this.pendingMarks.set(s.network_id, mark);
      queued = true;
    }
    // Tags belong to an organization: their events name no network, so every network of the organization counts.
    if (e.entity === 'Tag') {
      for (const org of e.organization_ids) this.pendingOrgs.add(org);
      queued ||= e.organization_ids.length > 0;
    }
    if (!queued) return Promise.resolve();
    if (!this.queuedMark) {
      const pass = this.marking.then(() => this.applyMarks());
      this.queuedMark = pass;
      this.marking = pass.catch(() => undefined);
    }
    return this.queuedMark;
  }

  /** Per network: whether every view is stale (else only Applications topologies) and the ids deleted. */
  private readonly pendingMarks = new Map<string, { all: boolean; removed: Map<string, Set<string>> }>();
  /** Organizations whose tags changed: their Applications topologies are stale. */
  private readonly pendingOrgs = new Set<string>();
  private queuedMark: Promise<void> | null = null;
  private marking: Promise<void> = Promise.resolve();

  private async applyMarks(): Promise<void> {
    // From here on, new events go to the next pass.
    this.queuedMark = null;
    const batch = new Map(this.pendingMarks);
    const orgs = [...this.pendingOrgs];
    this.pendingMarks.clear();
    this.pendingOrgs.clear();
    if (this.stopped) return;
    const tops = [
      ...(await this.repo.ofNetworks([...batch.keys()])),
      ...(await this.repo.ofOrganizations(orgs)).filter((t) => !batch.has(t.network_id)),
    ];
    const marked: typeof tops = [];
    for (const [networkId, mark] of batch) {
      const mine = tops.filter((t) => t.network_id === networkId && (mark.all || t.view === 'Applications'));
      const removed = Object.fromEntries([...mark.removed].map(([k, v]) => [k, [...v]]));
      await this.repo.markStale(
        mine.map((t) => t.id),
        removed,
      );
      marked.push(...mine);
    }
    const orgApps = tops.filter((t) => !batch.has(t.network_id) && t.view === 'Applications');
    await this.repo.markStale(
      orgApps.map((t) => t.id),
      {},
    );
    marked.push(...orgApps);
    if (!this.autoRebuild) return;
    for (const n of new Set(marked.filter((t) => !t.is_locked).map((t) => t.network_id))) this.schedule(n);
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
    await this.marking;
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
