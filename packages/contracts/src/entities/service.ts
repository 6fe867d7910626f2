import { Type, type Static } from 'typebox';
import {
  echoedMeta,
  entityMeta,
  EntitySource,
  Name,
  Nullable,
  ServiceVirtualization,
  bodyObject,
  TagIds,
  Uuid,
} from '../common.ts';
import { Binding, BindingInput, CreateBindingInput, ServiceBindingUpdate } from './binding.ts';

export const Service = Type.Object({
  ...entityMeta,
  host_id: Uuid,
  network_id: Uuid,
  name: Type.String(),
  service_definition: Type.String(),
  bindings: Type.Array(Binding),
  position: Type.Integer(),
  source: EntitySource,
  virtualization: Nullable(ServiceVirtualization),
  tags: TagIds,
});
export type Service = Static<typeof Service>;

/** source is forced to Manual and position appended by the server. */
export const CreateServiceRequest = Type.Object(
  {
    host_id: Uuid,
    network_id: Uuid,
    name: Name,
    service_definition: Type.String({ minLength: 1 }),
    tags: TagIds,
    virtualization: Type.Optional(Nullable(ServiceVirtualization)),
    bindings: Type.Optional(Type.Array(CreateBindingInput)),
  },
  bodyObject,
);
export type CreateServiceRequest = Static<typeof CreateServiceRequest>;

/** The reference PUT body is a whole Service; source is immutable and only echoed. */
export const UpdateServiceRequest = Type.Object(
  {
    ...echoedMeta,
    host_id: Uuid,
    network_id: Uuid,
    name: Name,
    service_definition: Type.String({ minLength: 1 }),
    bindings: Type.Optional(Type.Array(ServiceBindingUpdate)),
    position: Type.Optional(Type.Integer({ minimum: 0 })),
    source: Type.Optional(EntitySource),
    virtualization: Type.Optional(Nullable(ServiceVirtualization)),
    tags: TagIds,
  },
  bodyObject,
);
export type UpdateServiceRequest = Static<typeof UpdateServiceRequest>;

/** Service inside CreateHostRequest/UpdateHostRequest. */
export const ServiceInput = Type.Object(
  {
    id: Uuid,
    name: Name,
    service_definition: Type.String({ minLength: 1 }),
    bindings: Type.Optional(Type.Array(BindingInput)),
    position: Type.Optional(Nullable(Type.Integer({ minimum: 0 }))),
    tags: Type.Optional(TagIds),
    virtualization: Type.Optional(Nullable(ServiceVirtualization)),
  },
  bodyObject,
);
export type ServiceInput = Static<typeof ServiceInput>;
