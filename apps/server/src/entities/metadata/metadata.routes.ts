import type { FastifyInstance } from 'fastify';
import { MetadataResponse } from '@scanopy/contracts';
import { ok } from '../../http/envelope.ts';
import { ItemResponse } from '../../http/schemas.ts';
import { metadataRegistry } from './metadata.registry.ts';

export async function metadataRoutes(app: FastifyInstance) {
  app.get(
    '/api/metadata',
    {
      config: { access: 'public' },
      schema: {
        operationId: 'get_metadata_registry',
        tags: ['metadata'],
        description:
          'Names, descriptions, colours and icons of the types the UI shows (service definitions and categories, ' +
          'subnet, edge, group and discovery types, entities, ports, roles). Static for a given server version.',
        response: { 200: ItemResponse(MetadataResponse) },
      },
    },
    async (_req, reply) => {
      // The registries only change with the server version; an hour is short enough to pick up an upgrade.
      void reply.header('Cache-Control', 'public, max-age=3600, must-revalidate');
      return ok(metadataRegistry);
    },
  );
}
