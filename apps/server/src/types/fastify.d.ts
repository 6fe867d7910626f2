import type { Access, Principal } from '../auth/principal.ts';
import type { SessionRow } from '../auth/sessions.ts';
import type { EventBus } from '../events/bus.ts';

// What the server adds to Fastify's types: the caller resolved by the auth plugin, the event bus, and the access
// level every /api route declares in its config.
declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
    session?: SessionRow;
  }
  interface FastifyInstance {
    bus: EventBus;
  }
  interface FastifyContextConfig {
    access?: Access;
  }
}
