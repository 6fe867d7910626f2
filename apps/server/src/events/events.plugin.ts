import type { FastifyInstance } from 'fastify';
import type { ServerConfig } from '../config.ts';
import type { Db } from '../db/client.ts';
import type { EventBus } from './bus.ts';

/** Event delivery into the bus and the SSE streams (filled in by the events work). */
export async function installEvents(
  _app: FastifyInstance,
  _deps: { config: ServerConfig; db: Db; bus: EventBus },
) {}
