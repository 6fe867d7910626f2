import { Type } from 'typebox';
import type { RouteApp } from '../../http/route-app.ts';
import type { Services } from '../../services.ts';
import { ok } from '../../http/envelope.ts';
import { ItemResponse } from '../../http/schemas.ts';
import { SERVER_VERSION } from '../../version.ts';
import { emailEnabled } from '../../auth/email.service.ts';
import { oidcProviders } from '../../auth/oidc.settings.ts';

const PublicConfig = Type.Object({
  server_port: Type.Integer(),
  disable_registration: Type.Boolean(),
  oidc_providers: Type.Array(
    Type.Object({ name: Type.String(), slug: Type.String(), logo: Type.Optional(Type.String()) }),
  ),
  billing_enabled: Type.Boolean(),
  has_integrated_daemon: Type.Boolean(),
  has_email_service: Type.Boolean(),
  has_email_opt_in: Type.Boolean(),
  public_url: Type.String(),
  needs_cookie_consent: Type.Boolean(),
  deployment_type: Type.String(),
  needs_setup: Type.Boolean(),
});

export async function systemRoutes(app: RouteApp, { config, system }: Services) {
  // Name, slug and logo only: issuers and client credentials stay on the server.
  const providers = oidcProviders(config).map(({ name, slug, logo }) => ({
    name,
    slug,
    ...(logo ? { logo } : {}),
  }));

  app.get(
    '/api/health',
    {
      config: { access: 'public' },
      schema: {
        operationId: 'get_health',
        tags: ['system'],
        response: {
          200: Type.Object({ success: Type.Boolean(), data: Type.String(), error: Type.Null() }),
          503: Type.Object({ success: Type.Boolean(), data: Type.Null(), error: Type.String() }),
        },
      },
    },
    async (_req, reply) => {
      if (!(await system.databaseUp())) {
        return reply.status(503).send({ success: false, data: null, error: 'Database unavailable' });
      }
      void reply.header('Access-Control-Allow-Origin', '*');
      return { success: true, data: `Scanopy Server ${SERVER_VERSION}`, error: null };
    },
  );

  app.get(
    '/api/version',
    {
      config: { access: 'public' },
      schema: {
        operationId: 'get_version',
        tags: ['system'],
        response: {
          200: ItemResponse(Type.Object({ api_version: Type.Integer(), server_version: Type.String() })),
        },
      },
    },
    async () => ok({ api_version: 1, server_version: SERVER_VERSION }),
  );

  app.get(
    '/api/config',
    {
      config: { access: 'public' },
      schema: {
        operationId: 'get_public_config',
        tags: ['system'],
        response: { 200: ItemResponse(PublicConfig) },
      },
    },
    async () => {
      const needsSetup = await system.needsSetup();
      return ok({
        server_port: config.serverPort,
        disable_registration: config.disableRegistration,
        oidc_providers: providers,
        billing_enabled: false,
        has_integrated_daemon: config.integratedDaemon,
        has_email_service: emailEnabled(config),
        has_email_opt_in: false,
        public_url: config.publicUrl,
        needs_cookie_consent: false,
        deployment_type: 'community',
        needs_setup: needsSetup,
      });
    },
  );
}
