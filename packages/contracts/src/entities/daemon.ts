import { Type, type Static } from 'typebox';
import { DaemonMode, DateTime, entityMeta, Name, Nullable, bodyObject, TagIds, Uuid } from '../common.ts';

/** Also the body of POST /api/daemons/{id}/update-capabilities. */
export const DaemonCapabilities = Type.Object(
  { has_docker_socket: Type.Boolean(), interfaced_subnet_ids: Type.Array(Uuid) },
  bodyObject,
);
export type DaemonCapabilities = Static<typeof DaemonCapabilities>;

/** POST /api/daemons/{id}/update-capabilities: as the reference, only the subnet list is required. */
export const UpdateCapabilitiesBody = Type.Object(
  { has_docker_socket: Type.Optional(Type.Boolean()), interfaced_subnet_ids: Type.Array(Uuid) },
  bodyObject,
);
export type UpdateCapabilitiesBody = Static<typeof UpdateCapabilitiesBody>;

export const Daemon = Type.Object({
  ...entityMeta,
  network_id: Uuid,
  host_id: Uuid,
  user_id: Uuid,
  name: Type.String(),
  url: Type.String(),
  mode: DaemonMode,
  capabilities: DaemonCapabilities,
  last_seen: Nullable(DateTime),
  version: Nullable(Type.String()),
  api_key_id: Nullable(Uuid),
  is_unreachable: Type.Boolean(),
  standby: Type.Boolean(),
  tags: TagIds,
});
export type Daemon = Static<typeof Daemon>;

export const DeprecationSeverity = Type.Enum(['Info', 'Warning', 'Critical']);
export type DeprecationSeverity = Static<typeof DeprecationSeverity>;

export const DeprecationWarning = Type.Object({
  message: Type.String(),
  severity: DeprecationSeverity,
  sunset_date: Type.Optional(Nullable(Type.String())),
});
export type DeprecationWarning = Static<typeof DeprecationWarning>;

export const VersionHealthStatus = Type.Enum(['Current', 'Outdated', 'Deprecated']);
export type VersionHealthStatus = Static<typeof VersionHealthStatus>;

export const DaemonVersionStatus = Type.Object({
  status: VersionHealthStatus,
  version: Type.Optional(Nullable(Type.String())),
  warnings: Type.Array(DeprecationWarning),
});
export type DaemonVersionStatus = Static<typeof DaemonVersionStatus>;

export const DaemonResponse = Type.Object({ ...Daemon.properties, version_status: DaemonVersionStatus });
export type DaemonResponse = Static<typeof DaemonResponse>;

/** POST /api/v1/daemons/provision: a server_poll daemon the server will call at `url`. */
export const ProvisionDaemonRequest = Type.Object(
  {
    name: Name,
    network_id: Uuid,
    url: Type.String({ minLength: 1, maxLength: 2000 }),
  },
  bodyObject,
);
export type ProvisionDaemonRequest = Static<typeof ProvisionDaemonRequest>;

/** The key is shown once, here. */
export const ProvisionDaemonResponse = Type.Object({ daemon: DaemonResponse, daemon_api_key: Type.String() });
export type ProvisionDaemonResponse = Static<typeof ProvisionDaemonResponse>;
