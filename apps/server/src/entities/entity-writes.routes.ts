import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/client.ts';

/** Create and update routes of hosts, interfaces, ports, services, bindings and tags. */
export async function entityWriteRoutes(_app: FastifyInstance, _opts: { db: Db }) {}
