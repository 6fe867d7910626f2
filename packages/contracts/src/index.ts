import type { TSchema } from 'typebox';
import * as auth from './auth.ts';
import * as common from './common.ts';
import * as dashboard from './dashboard.ts';
import * as daemonProtocol from './daemon-protocol.ts';
import * as apiKey from './entities/api-key.ts';
import * as binding from './entities/binding.ts';
import * as daemon from './entities/daemon.ts';
import * as dependency from './entities/dependency.ts';
import * as discovery from './entities/discovery.ts';
import * as group from './entities/group.ts';
import * as host from './entities/host.ts';
import * as iface from './entities/interface.ts';
import * as ipAddress from './entities/ip-address.ts';
import * as invite from './entities/invite.ts';
import * as network from './entities/network.ts';
import * as organization from './entities/organization.ts';
import * as port from './entities/port.ts';
import * as service from './entities/service.ts';
import * as share from './entities/share.ts';
import * as subnet from './entities/subnet.ts';
import * as tag from './entities/tag.ts';
import * as topology from './entities/topology.ts';
import * as user from './entities/user.ts';
import * as envelope from './envelope.ts';
import * as errors from './errors.ts';
import * as metadata from './metadata.ts';
import * as system from './system.ts';

export * from './auth.ts';
export * from './common.ts';
export * from './dashboard.ts';
export * from './daemon-protocol.ts';
export * from './entities/api-key.ts';
export * from './entities/binding.ts';
export * from './entities/daemon.ts';
export * from './entities/dependency.ts';
export * from './entities/discovery.ts';
export * from './entities/group.ts';
export * from './entities/host.ts';
export * from './entities/interface.ts';
export * from './entities/ip-address.ts';
export * from './entities/invite.ts';
export * from './entities/network.ts';
export * from './entities/organization.ts';
export * from './entities/port.ts';
export * from './entities/service.ts';
export * from './entities/share.ts';
export * from './entities/subnet.ts';
export * from './entities/tag.ts';
export * from './entities/topology.ts';
export * from './entities/user.ts';
export * from './envelope.ts';
export * from './errors.ts';
export * from './mac.ts';
export * from './metadata.ts';
export * from './system.ts';

const isSchema = (value: unknown): value is TSchema =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Every exported schema by its export name, for OpenAPI components. Schemas carry no `$id`, so they can be
 * nested and reused freely; a server that wants `$ref`s registers copies: `addSchema({ ...s, $id: name })`.
 */
export const componentSchemas: Record<string, TSchema> = Object.fromEntries(
  [
    auth,
    common,
    dashboard,
    daemonProtocol,
    apiKey,
    binding,
    daemon,
    dependency,
    discovery,
    group,
    host,
    iface,
    ipAddress,
    invite,
    network,
    organization,
    port,
    service,
    share,
    subnet,
    tag,
    topology,
    user,
    envelope,
    errors,
    metadata,
    system,
  ]
    .flatMap((module) => Object.entries(module))
    .filter(([name, value]) => /^[A-Z][A-Za-z]+$/.test(name) && isSchema(value)),
);
