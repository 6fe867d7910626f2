import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/client.ts';
import { hostChildRoutes } from './hosts/host-children.routes.ts';
import { hostExportRoutes } from './hosts/hosts-export.routes.ts';
import { hostRoutes } from './hosts/hosts.routes.ts';
import { tagRoutes } from './tags/tags.routes.ts';

/** Create and update routes of hosts, interfaces, ports, services, bindings and tags. */
export async function entityWriteRoutes(app: FastifyInstance, opts: { db: Db }) {
  await app.register(hostRoutes, opts);
  await app.register(hostChildRoutes, opts);
  await app.register(hostExportRoutes, opts);
  await app.register(tagRoutes, opts);
}
