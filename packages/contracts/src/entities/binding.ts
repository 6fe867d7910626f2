import { Type, type Static } from 'typebox';
import { echoedMeta, entityMeta, Nullable, bodyObject, Uuid } from '../common.ts';

// A binding is tagged by `type`; a Port binding with interface_id null listens on all interfaces.
const interfaceTarget = { type: Type.Literal('Interface'), interface_id: Uuid };
/**
 * v0.17 names: `ip_address_id` for `interface_id` and type "IPAddress" for "Interface" (an IP on a host). Accepted on
 * write and stored as the v0.14 binding; responses keep the v0.14 type and carry ip_address_id beside interface_id.
 */
const ipAddressTarget = { type: Type.Literal('IPAddress'), ip_address_id: Uuid };
const ipAddressAlias = { ip_address_id: Type.Optional(Nullable(Uuid)) };
// interface_id may be left out when ip_address_id names the address (v0.17) or for all interfaces (null).
const portTarget = { type: Type.Literal('Port'), port_id: Uuid, interface_id: Nullable(Uuid) };
const portTargetInput = { ...portTarget, interface_id: Type.Optional(Nullable(Uuid)), ...ipAddressAlias };
const owner = { service_id: Uuid, network_id: Uuid };

export const Binding = Type.Union([
  // Always sent by the server; optional in the type so v0.14 producers (the daemon's reports) need not send it.
  Type.Object({ ...entityMeta, ...owner, ...interfaceTarget, ip_address_id: Type.Optional(Uuid) }),
  Type.Object({ ...entityMeta, ...owner, ...portTarget, ...ipAddressAlias }),
]);
export type Binding = Static<typeof Binding>;

/** POST /api/v1/bindings and PUT /api/v1/bindings/{id}. */
export const CreateBindingRequest = Type.Union([
  Type.Object({ ...echoedMeta, ...owner, ...interfaceTarget }, bodyObject),
  Type.Object({ ...echoedMeta, ...owner, ...portTargetInput }, bodyObject),
  Type.Object({ ...echoedMeta, ...owner, ...ipAddressTarget }, bodyObject),
]);
export type CreateBindingRequest = Static<typeof CreateBindingRequest>;
export const UpdateBindingRequest = CreateBindingRequest;
export type UpdateBindingRequest = CreateBindingRequest;

/** Binding inside a service of CreateHostRequest/UpdateHostRequest: client-chosen id, owner implied. */
export const BindingInput = Type.Union([
  Type.Object({ id: Uuid, ...interfaceTarget }, bodyObject),
  Type.Object({ id: Uuid, ...portTargetInput }, bodyObject),
  Type.Object({ id: Uuid, ...ipAddressTarget }, bodyObject),
]);
export type BindingInput = Static<typeof BindingInput>;

/** Binding inside CreateServiceRequest: ids are minted by the server. */
export const CreateBindingInput = Type.Union([
  Type.Object(interfaceTarget, bodyObject),
  Type.Object(portTargetInput, bodyObject),
  Type.Object(ipAddressTarget, bodyObject),
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
  Type.Object(
    { ...echoedMeta, service_id: Type.Optional(Uuid), network_id: Type.Optional(Uuid), ...ipAddressTarget },
    bodyObject,
  ),
]);
export type ServiceBindingUpdate = Static<typeof ServiceBindingUpdate>;
