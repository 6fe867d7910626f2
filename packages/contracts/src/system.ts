import { Type, type Static } from 'typebox';

/** GET /api/health answers outside the usual envelope (no meta), as the reference does (api-model.md §4.1). */
export const HealthResponse = Type.Object({
  success: Type.Boolean(),
  data: Type.String(),
  error: Type.Null(),
});
export type HealthResponse = Static<typeof HealthResponse>;

/** The 503 of GET /api/health when the database does not answer. */
export const HealthFailureResponse = Type.Object({
  success: Type.Boolean(),
  data: Type.Null(),
  error: Type.String(),
});
export type HealthFailureResponse = Static<typeof HealthFailureResponse>;

/** What GET /api/version answers: VersionInfo without min_compatible_client. */
export const VersionResponse = Type.Object({ api_version: Type.Integer(), server_version: Type.String() });
export type VersionResponse = Static<typeof VersionResponse>;

/**
 * What GET /api/config answers. Its values always fit PublicConfigResponse (the reference's shape, in auth.ts); this
 * schema is looser (any deployment_type string, no posthog_key) and is the one the route declares.
 */
export const PublicConfig = Type.Object({
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
export type PublicConfig = Static<typeof PublicConfig>;
