import type { DiscoveryHostRequest, HostResponse, Subnet } from '@scanopy/contracts';

/** How long a discovered entity waits for the server to collect it (daemon.md §2.6: 120 s). */
export const CONFIRM_TIMEOUT_MS = 120_000;

interface Entry<E, R> {
  entity: E;
  waiters: { resolve: (r: R) => void; reject: (e: unknown) => void }[];
}

export interface PendingEntities {
  hosts: DiscoveryHostRequest[];
  subnets: Subnet[];
}

/** What the server answers after storing polled entities: [the id we sent, the entity as stored]. */
export interface CreatedEntities {
  subnets: [string, Subnet][];
  hosts: [string, HostResponse][];
}

/**
 * server_poll results (daemon.md §3.4): discovered subnets and hosts wait here, Pending, until the server polls them,
 * stores them and confirms with entities-created. Each push resolves with the entity as the server stored it (its
 * ids may differ), so runners work the same in both modes. A host pushed again while still pending gains the new
 * children (Docker reports every container as the daemon's host).
 */
export class EntityBuffer {
  private readonly subnets = new Map<string, Entry<Subnet, Subnet>>();
  private readonly hosts = new Map<string, Entry<DiscoveryHostRequest, HostResponse>>();

  constructor(private readonly confirmTimeoutMs = CONFIRM_TIMEOUT_MS) {}

  pushSubnet(subnet: Subnet, signal?: AbortSignal): Promise<Subnet> {
    const entry = this.subnets.get(subnet.id) ?? { entity: subnet, waiters: [] };
    this.subnets.set(subnet.id, entry);
    return this.wait(entry, `subnet ${subnet.cidr}`, signal);
  }

  pushHost(request: DiscoveryHostRequest, signal?: AbortSignal): Promise<HostResponse> {
    const id = request.host.id;
    const pending = this.hosts.get(id);
    if (pending) {
      const e = pending.entity;
      pending.entity = {
        ...e,
        interfaces: [...e.interfaces, ...request.interfaces],
        ports: [...e.ports, ...request.ports],
        services: [...e.services, ...request.services],
        ...(e.if_entries || request.if_entries
          ? { if_entries: [...(e.if_entries ?? []), ...(request.if_entries ?? [])] }
          : {}),
      };
      return this.wait(pending, `host ${request.host.name}`, signal);
    }
    const entry: Entry<DiscoveryHostRequest, HostResponse> = { entity: request, waiters: [] };
    this.hosts.set(id, entry);
    return this.wait(entry, `host ${request.host.name}`, signal);
  }

  /** What the server has not collected yet; polling does not remove anything. */
  pending(): PendingEntities {
    return {
      hosts: [...this.hosts.values()].map((e) => e.entity),
      subnets: [...this.subnets.values()].map((e) => e.entity),
    };
  }

  get size(): number {
    return this.hosts.size + this.subnets.size;
  }

  /** Resolves the pushes the server confirmed; returns how many entries it settled. */
  confirm(created: CreatedEntities): number {
    let n = 0;
    const settle = <R>(map: Map<string, Entry<unknown, R>>, pairs: [string, R][]) => {
      for (const [pendingId, stored] of pairs) {
        const entry = map.get(pendingId);
        if (!entry) continue;
        map.delete(pendingId);
        for (const w of entry.waiters) w.resolve(stored);
        n++;
      }
    };
    settle(this.subnets, created.subnets);
    settle(this.hosts, created.hosts);
    return n;
  }

  /** Drops everything still pending (the session ended); waiting runners get the reason. */
  clear(reason: string): void {
    for (const map of [this.subnets, this.hosts] as Map<string, Entry<unknown, unknown>>[]) {
      for (const entry of map.values()) for (const w of entry.waiters) w.reject(new Error(reason));
      map.clear();
    }
  }

  private wait<R>(entry: Entry<unknown, R>, what: string, signal?: AbortSignal): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const waiter = {
        resolve: (r: R) => {
          done();
          resolve(r);
        },
        reject: (e: unknown) => {
          done();
          reject(e);
        },
      };
      const drop = (err: unknown) => {
        entry.waiters = entry.waiters.filter((w) => w !== waiter);
        // Nobody waits for it any more: the server must not collect it after we gave up on it.
        if (!entry.waiters.length) {
          for (const map of [this.subnets, this.hosts] as Map<string, Entry<unknown, unknown>>[]) {
            for (const [k, v] of map) if (v === entry) map.delete(k);
          }
        }
        waiter.reject(err);
      };
      const timer = setTimeout(
        () => drop(new Error(`the server did not collect ${what} within ${this.confirmTimeoutMs / 1000} s`)),
        this.confirmTimeoutMs,
      );
      const onAbort = () => drop(signal?.reason ?? new Error('aborted'));
      if (signal?.aborted) {
        onAbort();
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      entry.waiters.push(waiter);
    });
  }
}
