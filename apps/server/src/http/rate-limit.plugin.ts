import type { FastifyInstance } from 'fastify';
import type { ServerConfig } from '../config.ts';

/** Per-principal rate limiting (filled in by the rate-limit work). */
export async function installRateLimit(_app: FastifyInstance, _deps: { config: ServerConfig }) {}
