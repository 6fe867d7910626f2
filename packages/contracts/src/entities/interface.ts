import { Type, type Static } from 'typebox';
import { echoedMeta, entityMeta, Nullable, bodyObject, Uuid } from '../common.ts';

export const Interface = Type.Object({
  ...entityMeta,
  host_id: Uuid,
  subnet_id: Uuid,
  network_id: Uuid,
  ip_address: Type.String(),
  mac_address: Nullable(Type.String()),
  name: Nullable(Type.String()),
  position: Type.Integer(),
});
export type Interface = Static<typeof Interface>;

/** position is assigned by the server on create (appended at the end). */
export const CreateInterfaceRequest = Type.Object(
  {
    ...echoedMeta,
    host_id: Uuid,
    subnet_id: Uuid,
    network_id: Uuid,
    ip_address: Type.String({ minLength: 1 }),
    mac_address: Type.Optional(Nullable(Type.String())),
    name: Type.Optional(Nullable(Type.String())),
    position: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  bodyObject,
);
export type CreateInterfaceRequest = Static<typeof CreateInterfaceRequest>;
export const UpdateInterfaceRequest = CreateInterfaceRequest;
export type UpdateInterfaceRequest = CreateInterfaceRequest;

/** Interface inside CreateHostRequest/UpdateHostRequest; host and network come from the host. */
export const InterfaceInput = Type.Object(
  {
    id: Uuid,
    subnet_id: Uuid,
    ip_address: Type.String({ minLength: 1 }),
    mac_address: Type.Optional(Nullable(Type.String())),
    name: Type.Optional(Nullable(Type.String())),
    position: Type.Optional(Nullable(Type.Integer({ minimum: 0 }))),
  },
  bodyObject,
);
export type InterfaceInput = Static<typeof InterfaceInput>;
