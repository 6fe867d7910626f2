import { HealthFailureResponse, HealthResponse, PublicConfig, VersionResponse } from '@scanopy/contracts';
import type { RouteApp } from '../../http/route-app.ts';
import type { Services } from '../../services.ts';
import { ok } from '../../http/envelope.ts';
import { ItemResponse } from '../../http/schemas.ts';
import { SERVER_VERSION } from '../../version.ts';
import { emailEnabled } from '../../auth/email.service.ts';
import { oidcProviders } from '../../auth/oidc.settings.ts';

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
          200: HealthResponse,
          503: HealthFailureResponse,
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
        response: { 200: ItemResponse(VersionResponse) },
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
