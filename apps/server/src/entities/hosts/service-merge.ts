import { randomUUID } from 'node:crypto';
import { definitionByName } from '@scanopy/detection';
import type { Queryable } from '../db/client.ts';
import { freshId } from '../entities/hosts/hosts.service.ts';

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
    private readonly tx: Queryable,
    private readonly hostId: string,
    private readonly networkId: string,
  ) {}

  async load(): Promise<void> {
    const rows = await this.tx.query<Omit<StoredService, 'bindings'>>(
      `SELECT id, name, service_definition, source, virtualization FROM services WHERE host_id = $1
       ORDER BY position, id`,
      [this.hostId],
    );
    const bindings = await this.tx.query<MappedBinding & { id: string; service_id: string }>(
      `SELECT b.id, b.service_id, b.binding_type AS type, b.interface_id, b.port_id FROM bindings b
       JOIN services s ON s.id = b.service_id WHERE s.host_id = $1 ORDER BY b.created_at, b.id`,
      [this.hostId],
    );
    this.services = rows.map((r) => ({
      ...r,
      bindings: bindings
        .filter((b) => b.service_id === r.id)
        .map((b) => ({ id: b.id, type: b.type, interface_id: b.interface_id, port_id: b.port_id })),
    }));
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
      await this.tx.query(
        'UPDATE services SET source = $2, virtualization = $3, updated_at = now() WHERE id = $1',
        [target.id, JSON.stringify(source), virtualization ? JSON.stringify(virtualization) : null],
      );
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
      await this.tx.query('DELETE FROM bindings WHERE id = ANY($1::uuid[])', [released.map((b) => b.id)]);
      open.bindings = open.bindings.filter((b) => !released.includes(b));
      if (!open.bindings.length) {
        await this.tx.query("DELETE FROM entity_tags WHERE entity_type = 'Service' AND entity_id = $1", [
          open.id,
        ]);
        await this.tx.query('DELETE FROM services WHERE id = $1', [open.id]);
        this.services = this.services.filter((s) => s !== open);
      }
    }
  }

  private async create(s: IncomingServiceData): Promise<StoredService> {
    const id = await freshId(this.tx, 'services', s.id);
    const source = s.source ?? { type: 'Discovery', metadata: [] };
    await this.tx.query(
      `INSERT INTO services (id, host_id, network_id, name, service_definition, source, virtualization, position)
       VALUES ($1, $2, $3, $4, $5, $6, $7, (SELECT COALESCE(max(position) + 1, 0) FROM services WHERE host_id = $2))`,
      [
        id,
        this.hostId,
        this.networkId,
        s.name,
        s.service_definition,
        JSON.stringify(source),
        s.virtualization ? JSON.stringify(s.virtualization) : null,
      ],
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
          await this.tx.query('DELETE FROM bindings WHERE id = ANY($1::uuid[])', [narrower.map((h) => h.id)]);
          service.bindings = service.bindings.filter((h) => !narrower.includes(h));
        }
      }
      const id = randomUUID();
      await this.tx.query(
        `INSERT INTO bindings (id, service_id, network_id, binding_type, interface_id, port_id)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [id, service.id, this.networkId, b.type, b.interface_id, b.type === 'Port' ? b.port_id : null],
      );
      service.bindings.push({ ...b, id });
    }
  }
}
