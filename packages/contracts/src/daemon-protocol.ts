import { Type, type Static } from 'typebox';
import {
  DaemonMode,
  DateTime,
  DiscoveryPhase,
  DiscoveryType,
  Nullable,
  bodyObject,
  TransportProtocol,
  Uuid,
} from './common.ts';
import { Daemon, DaemonCapabilities, DeprecationWarning } from './entities/daemon.ts';
import { Host, IfEntries } from './entities/host.ts';
import { Interface } from './entities/interface.ts';
import { Port } from './entities/port.ts';
import { Service } from './entities/service.ts';

/** POST /api/daemons/register. `url` is sent by reference daemons and ignored; user_id null = first Owner. */
export const DaemonRegistrationRequest = Type.Object(
  {
    daemon_id: Uuid,
    network_id: Uuid,
    name: Type.String(),
    mode: DaemonMode,
    capabilities: DaemonCapabilities,
    user_id: Type.Optional(Nullable(Uuid)),
    version: Type.Optional(Nullable(Type.String())),
    url: Type.Optional(Nullable(Type.String())),
  },
  bodyObject,
);
export type DaemonRegistrationRequest = Static<typeof DaemonRegistrationRequest>;

export const ServerCapabilities = Type.Object({
  server_version: Type.String(),
  minimum_daemon_version: Type.String(),
  deprecation_warnings: Type.Optional(Type.Array(DeprecationWarning)),
});
export type ServerCapabilities = Static<typeof ServerCapabilities>;

export const DaemonRegistrationResponse = Type.Object({
  daemon: Daemon,
  host_id: Uuid,
  server_capabilities: Type.Optional(Nullable(ServerCapabilities)),
});
export type DaemonRegistrationResponse = Static<typeof DaemonRegistrationResponse>;

/**
 * What this server answers to a registration: always a ServerCapabilities, so the schema is stricter about it than
 * DaemonRegistrationResponse (what daemons accept from any server) and looser about host_id (any string).
 */
export const RegisterDaemonResponse = Type.Object({
  daemon: Daemon,
  host_id: Type.String(),
  server_capabilities: ServerCapabilities,
});
export type RegisterDaemonResponse = Static<typeof RegisterDaemonResponse>;

export const DaemonStartupRequest = Type.Object({ daemon_version: Type.String() }, bodyObject);
export type DaemonStartupRequest = Static<typeof DaemonStartupRequest>;

/** Body of POST /api/daemons/{id}/request-work (the DaemonPoll heartbeat). */
export const DaemonStatusPayload = Type.Object(
  {
    name: Type.String(),
    mode: DaemonMode,
    version: Type.Optional(Nullable(Type.String())),
    url: Type.Optional(Nullable(Type.String())),
  },
  bodyObject,
);
export type DaemonStatusPayload = Static<typeof DaemonStatusPayload>;

/** Body of POST /api/daemons/{id}/heartbeat: any object (old daemons send a DaemonHeartbeatPayload); ignored. */
export const DaemonHeartbeatBody = Type.Object({}, { additionalProperties: true });
export type DaemonHeartbeatBody = Static<typeof DaemonHeartbeatBody>;

/** Deprecated pre-0.14 heartbeat body. */
export const DaemonHeartbeatPayload = Type.Object(
  { url: Type.String(), name: Type.String(), mode: DaemonMode },
  bodyObject,
);
export type DaemonHeartbeatPayload = Static<typeof DaemonHeartbeatPayload>;

export const DiscoveryUpdatePayload = Type.Object(
  {
    session_id: Uuid,
    daemon_id: Uuid,
    network_id: Uuid,
    phase: DiscoveryPhase,
    discovery_type: DiscoveryType,
    progress: Type.Integer({ minimum: 0, maximum: 100 }),
    error: Type.Optional(Nullable(Type.String())),
    started_at: Type.Optional(Nullable(DateTime)),
    finished_at: Type.Optional(Nullable(DateTime)),
  },
  bodyObject,
);
export type DiscoveryUpdatePayload = Static<typeof DiscoveryUpdatePayload>;

/** request-work answers a 2-element array: the session to run (or null) and whether to cancel the current one. */
export const RequestWorkResponse = Type.Tuple([Nullable(DiscoveryUpdatePayload), Type.Boolean()]);
export type RequestWorkResponse = Static<typeof RequestWorkResponse>;

/**
 * The same answer as the route declares it: a 2-item array of a union, because fast-json-stringify mis-serializes a
 * tuple whose item is itself a union.
 */
export const RequestWorkArray = Type.Array(
  Type.Union([DiscoveryUpdatePayload, Type.Null(), Type.Boolean()]),
  {
    minItems: 2,
    maxItems: 2,
  },
);
export type RequestWorkArray = Static<typeof RequestWorkArray>;

/**
 * POST /api/v1/hosts/discovery. Children are whole entities with client-generated ids and nil host_id
 * placeholders; the server merges and returns a HostResponse whose ids may differ.
 */
export const DiscoveryHostRequest = Type.Object(
  {
    host: Host,
    interfaces: Type.Array(Interface),
    ports: Type.Array(Port),
    services: Type.Array(Service),
    if_entries: Type.Optional(IfEntries),
  },
  bodyObject,
);
export type DiscoveryHostRequest = Static<typeof DiscoveryHostRequest>;

const Json = Type.Record(Type.String(), Type.Unknown());

/**
 * The part of a host report that the server's ingestion reads. Every valid DiscoveryHostRequest is one (the routes and
 * server_poll validate the full request first), so the ingestion depends only on the fields it uses.
 */
export const DiscoveryHostBody = Type.Object({
  host: Type.Object({
    id: Uuid,
    name: Type.String(),
    hostname: Type.Optional(Nullable(Type.String())),
    description: Type.Optional(Nullable(Type.String())),
    network_id: Uuid,
    source: Type.Optional(Json),
    virtualization: Type.Optional(Nullable(Json)),
    hidden: Type.Optional(Type.Boolean()),
  }),
  interfaces: Type.Optional(
    Type.Array(
      Type.Object({
        id: Uuid,
        subnet_id: Uuid,
        ip_address: Type.String(),
        mac_address: Type.Optional(Nullable(Type.String())),
        name: Type.Optional(Nullable(Type.String())),
      }),
    ),
  ),
  ports: Type.Optional(
    Type.Array(
      Type.Object({
        id: Uuid,
        number: Type.Integer(),
        protocol: TransportProtocol,
        type: Type.Optional(Type.String()),
      }),
    ),
  ),
  services: Type.Optional(
    Type.Array(
      Type.Object({
        id: Uuid,
        name: Type.String(),
        service_definition: Type.String(),
        bindings: Type.Optional(
          Type.Array(
            Type.Object({
              id: Type.Optional(Uuid),
              type: Type.Enum(['Interface', 'Port']),
              interface_id: Type.Optional(Nullable(Uuid)),
              port_id: Type.Optional(Nullable(Uuid)),
            }),
          ),
        ),
        source: Type.Optional(Json),
        virtualization: Type.Optional(Nullable(Json)),
      }),
    ),
  ),
});
export type DiscoveryHostBody = Static<typeof DiscoveryHostBody>;
