import { randomUUID } from 'node:crypto';
import { definitionByName } from '@scanopy/detection';
import type { Kdb } from '../../db/client.ts';
import type { HostsRepository } from './hosts.repository.ts';

type Json = Record<string, unknown>;
const METADATA_CAP = 10;
export const OPEN_PORTS = 'Unclaimed Open Ports';
const GATEWAY = 'Gateway';

/** A binding after the daemon's interface and port ids were mapped to the stored ones. */
export interface MappedBinding {
  type: 'Interface' | 'Port';
  interface_id: string | null;
  /** Port bindings only; interface_id null means "all interfaces". */
  port_id: string | null;
}

export interface IncomingServiceData {
  id: string;
  name: string;
  service_definition: string;
  source?: Json;
  virtualization?: Json | null;
  bindings: MappedBinding[];
}

interface StoredService {
  id: string;
  name: string;
  service_definition: string;
  source: Json;
  virtualization: Json | null;
  bindings: (MappedBinding & { id: string })[];
}

const confidenceRank: Record<string, number> = {
  NotApplicable: 0,
  Low: 1,
  Medium: 2,
  High: 3,
  Certain: 4,
};

function rank(source: Json): number {
  const details = source.details as { confidence?: string } | undefined;
  return confidenceRank[details?.confidence ?? ''] ?? -1;
}

const isDiscovery = (s: Json) => s.type === 'Discovery' || s.type === 'DiscoveryWithMatch';

/**
 * Discovery sources accumulate metadata (newest first, capped at 10); any other source is replaced by the new one.
 * With match details on either side, the higher confidence wins and brings its reason.
 */
export function mergeSource(existing: Json, incoming: Json | undefined): Json {
  if (!incoming) return existing;
  if (!isDiscovery(existing) || !isDiscovery(incoming)) return incoming;
  const metadata = [
    ...((incoming.metadata as unknown[] | undefined) ?? []),
    ...((existing.metadata as unknown[] | undefined) ?? []),
  ].slice(0, METADATA_CAP);
  if (existing.type !== 'DiscoveryWithMatch' && incoming.type !== 'DiscoveryWithMatch') {
    return { ...existing, ...incoming, metadata };
  }
  const best = rank(incoming) >= rank(existing) ? incoming : existing;
  return { type: 'DiscoveryWithMatch', metadata, details: best.details };
}

const containerOf = (s: { virtualization?: Json | null }) => {
  const v = s.virtualization;
  if (!v || v.type !== 'Docker') return undefined;
  const d = (v.details ?? {}) as { container_id?: string | null; container_name?: string | null };
  return { id: d.container_id || undefined, name: d.container_name || undefined };
};

const sharesPort = (a: MappedBinding[], b: MappedBinding[]) =>
  a.some((x) => x.type === 'Port' && b.some((y) => y.type === 'Port' && y.port_id === x.port_id));

/** Whether the definition allows one service per host (non-generic, or a per-host singleton). */
function onePerHost(definition: string): boolean {
  if (definition === GATEWAY || definition === OPEN_PORTS) return true;
  const def = definitionByName(definition);
  // Definitions the catalog does not know (custom or newer daemons) are treated as specific services.
  return !def || !def.generic;
}

/** Service equality of daemon.md §7.2: when an incoming service is the same as a stored one on the host. */
export function sameService(stored: StoredService, incoming: IncomingServiceData): boolean {
  if (stored.id === incoming.id) return true;
  if (stored.service_definition !== incoming.service_definition) return false;
  if (onePerHost(incoming.service_definition)) return true;
  const a = containerOf(stored);
  const b = containerOf(incoming);
  if (a && b) {
    if (a.id || b.id) return a.id !== undefined && a.id === b.id;
    if (a.name || b.name) return a.name === b.name;
  }
  return sharesPort(stored.bindings, incoming.bindings);
}

/** Two port bindings collide when they bind the same port on the same interface, or either binds all interfaces. */
const collides = (a: MappedBinding, b: MappedBinding) =>
  a.type === 'Port' &&
  b.type === 'Port' &&
  a.port_id === b.port_id &&
  (a.interface_id === null || b.interface_id === null || a.interface_id === b.interface_id);

/** A binding already covered by the service's own bindings ("all interfaces" covers every specific one). */
const covered = (have: MappedBinding[], b: MappedBinding) =>
  b.type === 'Interface'
    ? have.some((h) => h.type === 'Interface' && h.interface_id === b.interface_id)
    : have.some(
        (h) =>
          h.type === 'Port' &&
          h.port_id === b.port_id &&
          (h.interface_id === null || h.interface_id === b.interface_id),
      );

/**
 * Merges the services of one discovered host (daemon.md §7.1 step 5 and §7.2), inside the caller's transaction:
 * equal services are upserted (new bindings added unless covered, virtualization replaced when given, match details
 * merged), a service whose port binding collides with another service's is dropped and its other port bindings go to
 * the host's "Unclaimed Open Ports" service. Deliberately unlike the reference, ports held only by "Unclaimed Open
 * Ports" do not block a service identified later: the port moves to that service.
 */
export class HostServiceMerger {
  private services: StoredService[] = [];

  constructor(
    private readonly repo: HostsRepository,
    private readonly trx: Kdb,
    private readonly host: { id: string; network_id: string },
  ) {}

  async load(): Promise<void> {
    this.services = await this.repo.servicesWithBindings(this.trx, this.host.id);
  }

  async merge(incoming: IncomingServiceData): Promise<string | undefined> {
    const target = this.services.find((s) => sameService(s, incoming));
    const isOpenPorts = incoming.service_definition === OPEN_PORTS;
    const blocking = (b: MappedBinding) =>
      this.services.some(
        (s) =>
          s !== target &&
          (isOpenPorts || s.service_definition !== OPEN_PORTS) &&
          s.bindings.some((o) => collides(o, b)),
      );
    const conflicting = incoming.bindings.filter(blocking);
    if (conflicting.length && !isOpenPorts) {
      const rest = incoming.bindings.filter((b) => b.type === 'Port' && !blocking(b));
      if (rest.length) await this.mergeUnclaimed(rest, incoming.source);
      return undefined;
    }
    const bindings = isOpenPorts ? incoming.bindings.filter((b) => !blocking(b)) : incoming.bindings;
    if (!isOpenPorts) await this.releaseFromOpenPorts(bindings);
    const service = target ?? (await this.create(incoming));
    if (target) {
      const virtualization = incoming.virtualization ?? target.virtualization;
      const source = mergeSource(target.source, incoming.source);
      await this.repo.updateServiceDiscovery(this.trx, target.id, source, virtualization);
      target.source = source;
      target.virtualization = virtualization;
    }
    await this.addBindings(service, bindings);
    return service.id;
  }

  private async mergeUnclaimed(bindings: MappedBinding[], source: Json | undefined): Promise<void> {
    await this.merge({
      id: randomUUID(),
      name: OPEN_PORTS,
      service_definition: OPEN_PORTS,
      source: source && isDiscovery(source) ? { type: 'Discovery', metadata: source.metadata ?? [] } : source,
      bindings: bindings.map((b) => ({ ...b })),
    });
  }

  /** Ports a specific service now claims leave "Unclaimed Open Ports"; an emptied one is removed. */
  private async releaseFromOpenPorts(bindings: MappedBinding[]): Promise<void> {
    for (const open of this.services.filter((s) => s.service_definition === OPEN_PORTS)) {
      const released = open.bindings.filter((o) => bindings.some((b) => collides(o, b)));
      if (!released.length) continue;
      await this.repo.deleteBindings(
        this.trx,
        released.map((b) => b.id),
      );
      open.bindings = open.bindings.filter((b) => !released.includes(b));
      if (!open.bindings.length) {
        await this.repo.deleteServices(this.trx, [open.id]);
        this.services = this.services.filter((s) => s !== open);
      }
    }
  }

  private async create(s: IncomingServiceData): Promise<StoredService> {
    const id = await this.repo.freshId(this.trx, 'services', s.id);
    const source = s.source ?? { type: 'Discovery', metadata: [] };
    await this.repo.insertService(
      this.trx,
      id,
      this.host,
      {
        name: s.name,
        service_definition: s.service_definition,
        source,
        virtualization: s.virtualization ?? null,
      },
      null,
    );
    const stored: StoredService = {
      id,
      name: s.name,
      service_definition: s.service_definition,
      source,
      virtualization: s.virtualization ?? null,
      bindings: [],
    };
    this.services.push(stored);
    return stored;
  }

  private async addBindings(service: StoredService, bindings: MappedBinding[]): Promise<void> {
    for (const b of bindings) {
      if (covered(service.bindings, b)) continue;
      if (b.type === 'Port' && b.interface_id === null) {
        // A new "all interfaces" binding replaces the interface-specific ones for that port.
        const narrower = service.bindings.filter((h) => h.type === 'Port' && h.port_id === b.port_id);
        if (narrower.length) {
          await this.repo.deleteBindings(
            this.trx,
            narrower.map((h) => h.id),
          );
          service.bindings = service.bindings.filter((h) => !narrower.includes(h));
        }
      }
      const id = randomUUID();
      await this.repo.insertBinding(this.trx, id, { id: service.id, network_id: this.host.network_id }, b);
      service.bindings.push({ ...b, id });
    }
  }
}
