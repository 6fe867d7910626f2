import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { EntitySource, Subnet, SubnetType } from '@scanopy/contracts';
import type { Db } from '../../db/client.ts';
import { assertNetwork, getVisible, principal, setTags } from '../../http/crud.ts';
import { ok } from '../../http/envelope.ts';
import { AppError } from '../../http/errors.ts';
import { IdParams, ItemResponse, Uuid, UuidArray } from '../../http/schemas.ts';
import { subnetDef } from '../defs.ts';
import { freshId } from '../hosts/hosts.service.ts';

const Cidr = Type.String({ minLength: 3, maxLength: 64, pattern: '^[0-9a-fA-F:.]+/[0-9]{1,3}$' });
const Fields = {
  cidr: Cidr,
  name: Type.String({ minLength: 1, maxLength: 100 }),
  description: Type.Optional(Type.Union([Type.String({ maxLength: 500 }), Type.Null()])),
  subnet_type: SubnetType,
  tags: Type.Optional(UuidArray),
};
// Daemons send whole Subnet objects (client id, source, timestamps); users send the editable fields.
const CreateSubnet = Type.Object(
  {
    ...Fields,
    network_id: Uuid,
    id: Type.Optional(Uuid),
    source: Type.Optional(EntitySource),
    created_at: Type.Optional(Type.String()),
    updated_at: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
const UpdateSubnet = Type.Object(
  {
    ...Fields,
    id: Type.Optional(Uuid),
    network_id: Type.Optional(Uuid),
    source: Type.Optional(EntitySource),
    created_at: Type.Optional(Type.String()),
    updated_at: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

/** Daemon host ids of the Docker discoveries that reported a subnet; null when no Docker discovery did. */
function dockerHosts(source: unknown): Set<string> | null {
  const s = source as { type?: string; metadata?: Array<{ type?: string; host_id?: string }> } | null;
  if (s?.type !== 'Discovery' && s?.type !== 'DiscoveryWithMatch') return null;
  const hosts = (s.metadata ?? []).filter((m) => m.type === 'Docker').map((m) => m.host_id ?? '');
  return hosts.length ? new Set(hosts) : null;
}

/**
 * Subnet equality for a create with a CIDR already on the network (daemon.md §7.3): the same, except that
 * two subnets both reported by Docker discovery, either of them a DockerBridge, are the same only when the
 * same daemon host reported them — every Docker host reuses 172.17.0.0/16 for its own private bridge.
 */
function sameSubnet(
  existing: { subnet_type: string; source: unknown },
  incoming: { subnet_type: string; source?: unknown },
): boolean {
  const a = dockerHosts(existing.source);
  const b = dockerHosts(incoming.source);
  if (!a || !b) return true;
  if (existing.subnet_type !== 'DockerBridge' && incoming.subnet_type !== 'DockerBridge') return true;
  return [...b].some((host) => a.has(host));
}

export async function subnetRoutes(app: FastifyInstance, opts: { db: Db }) {
  const { db } = opts;

  app.post(
    '/subnets',
    {
      config: { access: 'member_or_daemon' },
      schema: {
        operationId: 'create_subnet',
        tags: ['subnets'],
        body: CreateSubnet,
        response: { 200: ItemResponse(Subnet) },
      },
    },
    async (req) => {
      const p = principal(req);
      const b = req.body as {
        id?: string;
        network_id: string;
        cidr: string;
        name: string;
        description?: string | null;
        subnet_type: string;
        source?: unknown;
        tags?: string[];
      };
      assertNetwork(p, b.network_id);
      const id = await db.transaction(async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`subnet:${b.network_id}`]);
        // The same CIDR on the same network is the same subnet (system subnets never merge): a daemon gets the
        // existing row back unchanged, a user is told it exists. Docker bridges are the exception (daemon.md §7.3).
        const candidates = await tx.query<{ id: string; subnet_type: string; source: unknown }>(
          `SELECT id, subnet_type, source FROM subnets
           WHERE network_id = $1 AND cidr = network($2::inet) AND source->>'type' <> 'System'
           ORDER BY created_at`,
          [b.network_id, b.cidr],
        );
        const existing = candidates.find((c) =>
          sameSubnet(c, { subnet_type: b.subnet_type, source: b.source }),
        );
        if (existing) {
          if (p.kind === 'daemon') return existing.id;
          throw new AppError('entity_already_exists', { entity: 'Subnet' });
        }
        const newId = await freshId(tx, 'subnets', b.id);
        const source =
          p.kind === 'daemon' ? (b.source ?? { type: 'Discovery', metadata: [] }) : { type: 'Manual' };
        await tx.query(
          `INSERT INTO subnets (id, network_id, cidr, name, description, subnet_type, source)
           VALUES ($1, $2, network($3::inet), $4, $5, $6, $7)`,
          [newId, b.network_id, b.cidr, b.name, b.description ?? null, b.subnet_type, JSON.stringify(source)],
        );
        if (b.tags?.length) await setTags(tx, 'Subnet', p.organizationId, newId, b.tags);
        return newId;
      });
      return ok(await getVisible(db, subnetDef, p, id));
    },
  );

  app.put(
    '/subnets/:id',
    {
      config: { access: 'member' },
      schema: {
        operationId: 'update_subnet',
        tags: ['subnets'],
        params: IdParams,
        body: UpdateSubnet,
        response: { 200: ItemResponse(Subnet) },
      },
    },
    async (req) => {
      const p = principal(req);
      const { id } = req.params as { id: string };
      const b = req.body as {
        cidr: string;
        name: string;
        description?: string | null;
        subnet_type: string;
        tags?: string[];
      };
      await getVisible(db, subnetDef, p, id);
      await db.transaction(async (tx) => {
        await tx.query(
          `UPDATE subnets SET cidr = network($2::inet), name = $3, description = $4, subnet_type = $5, updated_at = now()
           WHERE id = $1`,
          [id, b.cidr, b.name, b.description ?? null, b.subnet_type],
        );
        if (b.tags) await setTags(tx, 'Subnet', p.organizationId, id, b.tags);
      });
      return ok(await getVisible(db, subnetDef, p, id));
    },
  );
}
