import { Type, type Static } from 'typebox';
import { DaemonMode, DateTime, DiscoveryPhase, DiscoveryType, Nullable, strict, Uuid } from './common.ts';
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
  strict,
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

export const DaemonStartupRequest = Type.Object({ daemon_version: Type.String() }, strict);
export type DaemonStartupRequest = Static<typeof DaemonStartupRequest>;

/** Body of POST /api/daemons/{id}/request-work (the DaemonPoll heartbeat). */
export const DaemonStatusPayload = Type.Object(
  {
    name: Type.String(),
    mode: DaemonMode,
    version: Type.Optional(Nullable(Type.String())),
    url: Type.Optional(Nullable(Type.String())),
  },
  strict,
);
export type DaemonStatusPayload = Static<typeof DaemonStatusPayload>;

/** Deprecated pre-0.14 heartbeat body. */
export const DaemonHeartbeatPayload = Type.Object(
  { url: Type.String(), name: Type.String(), mode: DaemonMode },
  strict,
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
  strict,
);
export type DiscoveryUpdatePayload = Static<typeof DiscoveryUpdatePayload>;

/** request-work answers a 2-element array: the session to run (or null) and whether to cancel the current one. */
export const RequestWorkResponse = Type.Tuple([Nullable(DiscoveryUpdatePayload), Type.Boolean()]);
export type RequestWorkResponse = Static<typeof RequestWorkResponse>;

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
  strict,
);
export type DiscoveryHostRequest = Static<typeof DiscoveryHostRequest>;
