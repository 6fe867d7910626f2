import { randomUUID } from 'node:crypto';
import type { Db } from '../src/db/client.ts';
import { sqlRows } from './sql.ts';

/** Inventory rows to seed straight into the database (bulk, one statement per table). */
export interface InventorySeed {
  subnets: { id: string; cidr: string; name: string; subnet_type: string }[];
  hosts: { id: string; name: string; hidden?: boolean; virtualization?: object | null }[];
  interfaces: { id: string; host_id: string; subnet_id: string; ip_address: string; position?: number }[];
  services: {
    id: string;
    host_id: string;
    name: string;
    service_definition: string;
    virtualization?: object | null;
  }[];
  ports: { id: string; host_id: string; port_number: number }[];
  bindings: { id: string; service_id: string; interface_id: string | null; port_id?: string | null }[];
  groups: { id: string; name: string; group_type: string; binding_ids: string[] }[];
}

export const emptySeed = (): InventorySeed => ({
  subnets: [],
  hosts: [],
  interfaces: [],
  services: [],
  ports: [],
  bindings: [],
  groups: [],
});

const manual = JSON.stringify({ type: 'Manual' });

/** Writes an inventory into one network with a few set-based statements (fast enough for the 1,000-host bench). */
export async function seedInventory(db: Db, networkId: string, s: InventorySeed): Promise<void> {
  const bulk = async (table: string, cols: string, types: string, rows: unknown[]) => {
    if (rows.length === 0) return;
    await sqlRows(
      db,
      `INSERT INTO ${table} (${cols}) SELECT ${cols} FROM jsonb_to_recordset($1::jsonb) AS x(${types})`,
      [JSON.stringify(rows)],
    );
  };
  const net = { network_id: networkId };
  await bulk(
    'subnets',
    'id, network_id, cidr, name, subnet_type, source',
    'id uuid, network_id uuid, cidr cidr, name text, subnet_type text, source jsonb',
    s.subnets.map((x) => ({ ...x, ...net, source: JSON.parse(manual) })),
  );
  await bulk(
    'hosts',
    'id, network_id, name, hidden, virtualization, source',
    'id uuid, network_id uuid, name text, hidden boolean, virtualization jsonb, source jsonb',
    s.hosts.map((x) => ({ hidden: false, virtualization: null, ...x, ...net, source: JSON.parse(manual) })),
  );
  await bulk(
    'interfaces',
    'id, host_id, subnet_id, network_id, ip_address, name, position',
    'id uuid, host_id uuid, subnet_id uuid, network_id uuid, ip_address inet, name text, position int',
    s.interfaces.map((x) => ({ position: 0, ...x, ...net, name: 'eth0' })),
  );
  await bulk(
    'ports',
    'id, host_id, network_id, port_number, protocol',
    'id uuid, host_id uuid, network_id uuid, port_number int, protocol text',
    s.ports.map((x) => ({ ...x, ...net, protocol: 'Tcp' })),
  );
  await bulk(
    'services',
    'id, host_id, network_id, name, service_definition, virtualization, source',
    'id uuid, host_id uuid, network_id uuid, name text, service_definition text, virtualization jsonb, source jsonb',
    s.services.map((x) => ({ virtualization: null, ...x, ...net, source: JSON.parse(manual) })),
  );
  await bulk(
    'bindings',
    'id, service_id, network_id, binding_type, interface_id, port_id',
    'id uuid, service_id uuid, network_id uuid, binding_type text, interface_id uuid, port_id uuid',
    s.bindings.map((x) => ({ port_id: null, ...x, ...net, binding_type: x.port_id ? 'Port' : 'Interface' })),
  );
  await bulk(
    'groups',
    'id, network_id, name, group_type, color',
    'id uuid, network_id uuid, name text, group_type text, color text',
    s.groups.map((g) => ({ id: g.id, name: g.name, group_type: g.group_type, ...net, color: 'Blue' })),
  );
  await bulk(
    'group_bindings',
    'group_id, binding_id, position',
    'group_id uuid, binding_id uuid, position int',
    s.groups.flatMap((g) =>
      g.binding_ids.map((b, position) => ({ group_id: g.id, binding_id: b, position })),
    ),
  );
}

/** A host with one interface per subnet given and one service per definition, each bound to its first interface. */
export function addHost(
  s: InventorySeed,
  name: string,
  subnets: string[],
  defs: string[],
  extra: { hidden?: boolean; virtualization?: object | null; ipBase?: number } = {},
) {
  const host = {
    id: randomUUID(),
    name,
    hidden: extra.hidden ?? false,
    virtualization: extra.virtualization ?? null,
  };
  s.hosts.push(host);
  const ifaces = subnets.map((subnetId, k) => {
    const sub = s.subnets.find((x) => x.id === subnetId)!;
    const [a, b, c] = sub.cidr.split('.');
    const n = s.interfaces.filter((i) => i.subnet_id === subnetId).length + 2;
    const i = {
      id: randomUUID(),
      host_id: host.id,
      subnet_id: subnetId,
      ip_address: `${a}.${b}.${c}.${(n % 250) + 2}`,
      position: k,
    };
    s.interfaces.push(i);
    return i;
  });
  const services = defs.map((def) => {
    const svc = {
      id: randomUUID(),
      host_id: host.id,
      name: def,
      service_definition: def,
      virtualization: null,
    };
    s.services.push(svc);
    const port = { id: randomUUID(), host_id: host.id, port_number: 1000 + s.ports.length };
    s.ports.push(port);
    const binding = {
      id: randomUUID(),
      service_id: svc.id,
      interface_id: ifaces[0]?.id ?? null,
      port_id: port.id,
    };
    s.bindings.push(binding);
    return { ...svc, binding };
  });
  return { host, ifaces, services };
}

export function addSubnet(s: InventorySeed, name: string, cidr: string, subnet_type: string) {
  const sub = { id: randomUUID(), cidr, name, subnet_type };
  s.subnets.push(sub);
  return sub;
}

const CATALOG_NAMES = [
  'Traefik',
  'PostgreSQL',
  'Pi-Hole',
  'Redis',
  'Nginx Proxy Manager',
  'Home Assistant',
  'MySQL',
];

/** The bench inventory: `hosts` hosts spread over `subnets` /24 LANs with `services` services (round robin). */
export function largeSeed(hosts = 1000, subnets = 30, services = 3000): InventorySeed {
  const s = emptySeed();
  const subs = Array.from({ length: subnets }, (_, k) =>
    addSubnet(
      s,
      `lan-${k}`,
      `10.${50 + Math.floor(k / 200)}.${k % 200}.0/24`,
      k === 0 ? 'Gateway' : k % 5 === 0 ? 'Storage' : 'Lan',
    ),
  );
  for (let h = 0; h < hosts; h++) {
    const per = Math.floor(services / hosts) + (h < services % hosts ? 1 : 0);
    const defs = Array.from({ length: per }, (_, k) => CATALOG_NAMES[(h + k) % CATALOG_NAMES.length]!);
    const homes = [subs[h % subnets]!.id];
    if (h % 50 === 0) homes.push(subs[(h + 1) % subnets]!.id);
    addHost(s, `host-${h}`, homes, defs);
  }
  return s;
}
