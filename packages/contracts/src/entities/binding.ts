import { Type, type Static } from 'typebox';
import { echoedMeta, entityMeta, Nullable, bodyObject, Uuid } from '../common.ts';

// A binding is tagged by `type`; a Port binding with interface_id null listens on all interfaces.
const interfaceTarget = { type: Type.Literal('Interface'), interface_id: Uuid };
const portTarget = { type: Type.Literal('Port'), port_id: Uuid, interface_id: Nullable(Uuid) };
const portTargetInput = { ...portTarget, interface_id: Type.Optional(Nullable(Uuid)) };
const owner = { service_id: Uuid, network_id: Uuid };

export const Binding = Type.Union([
  Type.Object({ ...entityMeta, ...owner, ...interfaceTarget }),
  Type.Object({ ...entityMeta, ...owner, ...portTarget }),
]);
export type Binding = Static<typeof Binding>;

/** POST /api/v1/bindings and PUT /api/v1/bindings/{id}. */
export const CreateBindingRequest = Type.Union([
  Type.Object({ ...echoedMeta, ...owner, ...interfaceTarget }, bodyObject),
  Type.Object({ ...echoedMeta, ...owner, ...portTarget }, bodyObject),
]);
export type CreateBindingRequest = Static<typeof CreateBindingRequest>;
export const UpdateBindingRequest = CreateBindingRequest;
export type UpdateBindingRequest = CreateBindingRequest;

/** Binding inside a service of CreateHostRequest/UpdateHostRequest: client-chosen id, owner implied. */
export const BindingInput = Type.Union([
  Type.Object({ id: Uuid, ...interfaceTarget }, bodyObject),
  Type.Object({ id: Uuid, ...portTargetInput }, bodyObject),
]);
export type BindingInput = Static<typeof BindingInput>;

/** Binding inside CreateServiceRequest: ids are minted by the server. */
export const CreateBindingInput = Type.Union([
  Type.Object(interfaceTarget, bodyObject),
  Type.Object(portTargetInput, bodyObject),
]);
export type CreateBindingInput = Static<typeof CreateBindingInput>;

/** Binding inside a PUT /services body: the reference sends whole Binding objects. */
export const ServiceBindingUpdate = Type.Union([
  Type.Object(
    {
      ...echoedMeta,
      service_id: Type.Optional(Uuid),
      network_id: Type.Optional(Uuid),
      ...interfaceTarget,
    },
    bodyObject,
  ),
  Type.Object(
    { ...echoedMeta, service_id: Type.Optional(Uuid), network_id: Type.Optional(Uuid), ...portTargetInput },
    bodyObject,
  ),
]);
export type ServiceBindingUpdate = Static<typeof ServiceBindingUpdate>;
