import { Type, type Static } from 'typebox';
import {
  Description,
  entityMeta,
  EntitySource,
  HostVirtualization,
  Name,
  Nullable,
  bodyObject,
  TagIds,
  DateTime,
  Uuid,
} from '../common.ts';
import { Interface, InterfaceInput } from './interface.ts';
import { Port, PortInput } from './port.ts';
import { Service, ServiceInput } from './service.ts';

const Hostname = Type.String({ maxLength: 100 });
const OptionalText = Type.Optional(Nullable(Type.String()));

/** SNMP-derived host fields (reference v0.14); we never fill them but keep them in the shape. */
const snmpFields = {
  sys_descr: OptionalText,
  sys_object_id: OptionalText,
  sys_location: OptionalText,
  sys_contact: OptionalText,
  management_url: OptionalText,
  chassis_id: OptionalText,
  snmp_credential_id: Type.Optional(Nullable(Uuid)),
};

const hostFields = {
  ...entityMeta,
  name: Type.String(),
  hostname: Nullable(Type.String()),
  description: Nullable(Type.String()),
  network_id: Uuid,
  source: EntitySource,
  virtualization: Nullable(HostVirtualization),
  hidden: Type.Boolean(),
  tags: TagIds,
  ...snmpFields,
};

export const Host = Type.Object(hostFields);
export type Host = Static<typeof Host>;

/** SNMP ifTable rows; we do not collect them, so lists are always empty and items are not modelled. */
export const IfEntries = Type.Array(Type.Unknown());

/**
 * `interfaces` keeps its v0.14 meaning (the host's IP addresses); `ip_addresses` is the v0.17 name of the same list.
 * (In v0.17 `interfaces` means SNMP ifTable rows, which we do not collect: v0.14 wins.)
 */
export const HostResponse = Type.Object({
  ...hostFields,
  interfaces: Type.Array(Interface),
  ip_addresses: Type.Array(Interface),
  ports: Type.Array(Port),
  services: Type.Array(Service),
  if_entries: IfEntries,
});
export type HostResponse = Static<typeof HostResponse>;

/** source is forced to Manual; children carry client-generated ids. */
export const CreateHostRequest = Type.Object(
  {
    name: Name,
    network_id: Uuid,
    hostname: Type.Optional(Nullable(Hostname)),
    description: Type.Optional(Nullable(Description)),
    virtualization: Type.Optional(Nullable(HostVirtualization)),
    hidden: Type.Optional(Type.Boolean()),
    tags: TagIds,
    interfaces: Type.Optional(Type.Array(InterfaceInput)),
    /** v0.17 name of `interfaces` (the host's IPs); `interfaces` wins when both are sent. */
    ip_addresses: Type.Optional(Type.Array(InterfaceInput)),
    ports: Type.Optional(Type.Array(PortInput)),
    services: Type.Optional(Type.Array(ServiceInput)),
    if_entries: Type.Optional(IfEntries),
    ...snmpFields,
  },
  bodyObject,
);
export type CreateHostRequest = Static<typeof CreateHostRequest>;

/** Child arrays: absent or null leaves children untouched; an array is a full sync. */
export const UpdateHostRequest = Type.Object(
  {
    id: Uuid,
    name: Name,
    hidden: Type.Boolean(),
    tags: TagIds,
    hostname: Type.Optional(Nullable(Hostname)),
    description: Type.Optional(Nullable(Description)),
    virtualization: Type.Optional(Nullable(HostVirtualization)),
    expected_updated_at: Type.Optional(Nullable(DateTime)),
    interfaces: Type.Optional(Nullable(Type.Array(InterfaceInput))),
    /**
     * v0.17 name of `interfaces`. A client that echoes both lists changes the one that differs from the stored IPs;
     * when both differ, `interfaces` (v0.14) wins.
     */
    ip_addresses: Type.Optional(Nullable(Type.Array(InterfaceInput))),
    ports: Type.Optional(Nullable(Type.Array(PortInput))),
    services: Type.Optional(Nullable(Type.Array(ServiceInput))),
  },
  bodyObject,
);
export type UpdateHostRequest = Static<typeof UpdateHostRequest>;

/** PUT /api/v1/hosts/{destination_host}/consolidate/{other_host}: other_host is merged into destination_host. */
export const ConsolidateHostsParams = Type.Object({ destination_host: Uuid, other_host: Uuid });
export type ConsolidateHostsParams = Static<typeof ConsolidateHostsParams>;
