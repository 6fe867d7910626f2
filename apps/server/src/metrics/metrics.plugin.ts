import type { FastifyInstance } from 'fastify';
import type { ServerConfig } from '../config.ts';
import type { EventBus } from '../events/bus.ts';

/** Prometheus metrics (filled in by the metrics work). */
export async function installMetrics(_app: FastifyInstance, _deps: { config: ServerConfig; bus: EventBus }) {}
