import type { FastifyInstance } from 'fastify';
import type { ServerConfig } from '../../config.ts';
import type { Db } from '../../db/client.ts';
import { inviteRoutes } from '../invites/invites.routes.ts';
import { organizationRoutes } from '../organizations/organizations.routes.ts';
import { userRoutes } from './users.routes.ts';

/** The organization's people: the org itself, its users and the invites that bring new ones in. */
export async function accountRoutes(app: FastifyInstance, opts: { db: Db; config: ServerConfig }) {
  await app.register(organizationRoutes, { db: opts.db });
  await app.register(userRoutes, { db: opts.db });
  await app.register(inviteRoutes, opts);
}
