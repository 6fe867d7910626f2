import { Type, type Static } from 'typebox';
import { DateTime, DiscoveryType, Name, Nullable, entityMeta, echoedMeta, strict } from '@scanopy/contracts';
import { Uuid } from '../../http/schemas.ts';

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
