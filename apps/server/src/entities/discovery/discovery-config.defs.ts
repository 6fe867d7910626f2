import { Type, type Static } from 'typebox';
import { DateTime, DiscoveryType, Name, Nullable, entityMeta, echoedMeta, strict } from '@scanopy/contracts';
import type { EntityDef } from '../../http/crud.ts';
import { entitySpec, tagIds, variantOf } from '../../db/entity-repository.ts';
import { Uuid, UuidArray } from '../../http/schemas.ts';

const lastRun = Type.Optional(Nullable(DateTime));

/** Run types a client may write; Historical ones record finished sessions and only the server writes them. */
export const WritableRunType = Type.Union([
  Type.Object({
    type: Type.Literal('Scheduled'),
    cron_schedule: Type.String({ minLength: 1, maxLength: 200 }),
    enabled: Type.Boolean(),
    last_run: lastRun,
    timezone: Type.Optional(Nullable(Type.String({ maxLength: 100 }))),
  }),
  Type.Object({ type: Type.Literal('AdHoc'), last_run: lastRun }),
  Type.Object({ type: Type.Literal('Historical'), results: Type.Unknown() }),
]);

export const Discovery = Type.Object({
  ...entityMeta,
  name: Type.String(),
  network_id: Uuid,
  daemon_id: Uuid,
  discovery_type: DiscoveryType,
  run_type: Type.Unknown(),
  tags: Type.Array(Uuid),
});

export const DiscoveryRequest = Type.Object(
  {
    ...echoedMeta,
    name: Name,
    network_id: Uuid,
    daemon_id: Uuid,
    discovery_type: DiscoveryType,
    run_type: WritableRunType,
    tags: Type.Optional(Type.Array(Uuid, { maxItems: 1000 })),
  },
  strict,
);
export type DiscoveryRequest = Static<typeof DiscoveryRequest>;

export const discoveryDef: EntityDef<'discovery'> = {
  name: 'Discovery',
  path: 'discovery',
  filterSchema: {
    network_id: Uuid,
    daemon_id: Uuid,
    ids: UuidArray,
    // Repeat the key for several: ?run_type=AdHoc&run_type=Scheduled lists the jobs without the history.
    run_type: Type.Array(Type.Enum(['AdHoc', 'Scheduled', 'Historical']), { maxItems: 3 }),
  },
  csvFile: 'Discoveries',
  schema: Discovery,
  access: { read: 'viewer', write: 'member' },
  spec: entitySpec({
    table: 'discovery',
    scope: 'network',
    tagType: 'Discovery',
    select: (eb) => [
      't.id',
      't.name',
      't.network_id',
      't.daemon_id',
      't.discovery_type',
      't.run_type',
      tagIds(eb, 'Discovery'),
      't.created_at',
      't.updated_at',
    ],
    filters: {
      network_id: 'network_id',
      daemon_id: 'daemon_id',
      ids: 'id',
      run_type: () => variantOf('run_type'),
    },
    orderFields: {
      created_at: 'created_at',
      name: 'name',
      updated_at: 'updated_at',
      network_id: 'network_id',
    },
    csv: {
      columns: [
        'id',
        'name',
        'discovery_type',
        'run_type',
        'daemon_id',
        'network_id',
        'created_at',
        'updated_at',
      ],
      exprs: { discovery_type: () => variantOf('discovery_type'), run_type: () => variantOf('run_type') },
    },
  }),
};
