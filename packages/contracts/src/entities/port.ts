import { Type, type Static } from 'typebox';
import { echoedMeta, entityMeta, PortType, bodyObject, TransportProtocol, Uuid } from '../common.ts';

const PortNumber = Type.Integer({ minimum: 0, maximum: 65535 });

/** The reference flattens the port type onto the port: number, protocol and the well-known `type` id. */
export const Port = Type.Object({
  ...entityMeta,
  host_id: Uuid,
  network_id: Uuid,
  number: PortNumber,
  protocol: TransportProtocol,
  type: PortType,
});
export type Port = Static<typeof Port>;

/** `type` is derived from number+protocol when omitted. */
export const CreatePortRequest = Type.Object(
  {
    ...echoedMeta,
    host_id: Uuid,
    network_id: Uuid,
    number: PortNumber,
    protocol: TransportProtocol,
    type: Type.Optional(PortType),
  },
  bodyObject,
);
export type CreatePortRequest = Static<typeof CreatePortRequest>;
export const UpdatePortRequest = CreatePortRequest;
export type UpdatePortRequest = CreatePortRequest;

export const PortInput = Type.Object(
  { id: Uuid, number: PortNumber, protocol: TransportProtocol },
  bodyObject,
);
export type PortInput = Static<typeof PortInput>;
