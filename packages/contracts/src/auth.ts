import { Type, type Static } from 'typebox';
import { Name, Nullable, bodyObject, Uuid } from './common.ts';

const Email = Type.String({ format: 'email', maxLength: 254 });

/** Password complexity (≥10 chars, upper, lower, digit) is checked by the server to return a clear message. */
export const RegisterRequest = Type.Object(
  {
    email: Email,
    password: Type.String(),
    terms_accepted: Type.Optional(Type.Boolean()),
    marketing_opt_in: Type.Optional(Type.Boolean()),
    // Honeypot field of the reference UI: non-empty means a bot.
    website: Type.Optional(Nullable(Type.String())),
  },
  bodyObject,
);
export type RegisterRequest = Static<typeof RegisterRequest>;

export const LoginRequest = Type.Object({ email: Email, password: Type.String() }, bodyObject);
export type LoginRequest = Static<typeof LoginRequest>;

export const NetworkSetup = Type.Object(
  {
    name: Name,
    snmp_enabled: Type.Optional(Type.Boolean()),
    snmp_version: Type.Optional(Nullable(Type.String())),
    snmp_community: Type.Optional(Nullable(Type.String({ maxLength: 256 }))),
  },
  bodyObject,
);
export type NetworkSetup = Static<typeof NetworkSetup>;

export const SetupRequest = Type.Object({ organization_name: Name, network: NetworkSetup }, bodyObject);
export type SetupRequest = Static<typeof SetupRequest>;

export const SetupResponse = Type.Object({ network_id: Uuid });
export type SetupResponse = Static<typeof SetupResponse>;

// check-email, resend-verification and forgot-password all take just an address.
const EmailRequest = Type.Object({ email: Email }, bodyObject);
export const CheckEmailRequest = EmailRequest;
export type CheckEmailRequest = Static<typeof EmailRequest>;
export const ResendVerificationRequest = EmailRequest;
export type ResendVerificationRequest = Static<typeof EmailRequest>;
export const ForgotPasswordRequest = EmailRequest;
export type ForgotPasswordRequest = Static<typeof EmailRequest>;

/** The token of an emailed link. */
export const VerifyEmailRequest = Type.Object({ token: Type.String({ maxLength: 256 }) }, bodyObject);
export type VerifyEmailRequest = Static<typeof VerifyEmailRequest>;

export const ResetPasswordRequest = Type.Object(
  { token: Type.String({ maxLength: 256 }), password: Type.String() },
  bodyObject,
);
export type ResetPasswordRequest = Static<typeof ResetPasswordRequest>;

/** current_password is required when the account has one (accounts created through OIDC may not). */
export const RequestEmailChangeRequest = Type.Object(
  { current_password: Type.Optional(Nullable(Type.String())), new_email: Email },
  bodyObject,
);
export type RequestEmailChangeRequest = Static<typeof RequestEmailChangeRequest>;

export const UpdatePasswordRequest = Type.Object(
  { current_password: Type.Optional(Nullable(Type.String())), new_password: Type.String() },
  bodyObject,
);
export type UpdatePasswordRequest = Static<typeof UpdatePasswordRequest>;

export const OidcProviderMetadata = Type.Object({
  name: Type.String(),
  slug: Type.String(),
  logo: Type.Optional(Nullable(Type.String())),
});
export type OidcProviderMetadata = Static<typeof OidcProviderMetadata>;

/** Why the browser goes to the provider: sign in, create an account, or link the signed-in user. */
export const OIDC_FLOWS = ['login', 'register', 'link'] as const;
export const OidcFlow = Type.Union(
  OIDC_FLOWS.map((f) => Type.Literal(f)),
  { default: 'login' },
);
export type OidcFlow = Static<typeof OidcFlow>;

export const OidcProviderParams = Type.Object({
  slug: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,49}$' }),
});
export type OidcProviderParams = Static<typeof OidcProviderParams>;

/** GET /api/auth/oidc/{slug}/authorize, a browser navigation. */
export const OidcAuthorizeQuery = Type.Object({
  flow: Type.Optional(OidcFlow),
  return_url: Type.Optional(Type.String({ maxLength: 2048 })),
  terms_accepted: Type.Optional(Type.Boolean()),
  marketing_opt_in: Type.Optional(Type.Boolean()),
});
export type OidcAuthorizeQuery = Static<typeof OidcAuthorizeQuery>;

// Providers may add their own parameters (session_state, iss, scope), so only the ones read are constrained.
export const OidcCallbackQuery = Type.Object({
  state: Type.Optional(Type.String({ maxLength: 1024 })),
  code: Type.Optional(Type.String({ maxLength: 4096 })),
});
export type OidcCallbackQuery = Static<typeof OidcCallbackQuery>;

export const DeploymentType = Type.Enum(['cloud', 'commercial', 'community']);
export type DeploymentType = Static<typeof DeploymentType>;

/** GET /api/config. `needs_setup` is ours: true while no user exists, so the SPA can route to onboarding. */
export const PublicConfigResponse = Type.Object({
  server_port: Type.Integer({ minimum: 0 }),
  disable_registration: Type.Boolean(),
  oidc_providers: Type.Array(OidcProviderMetadata),
  billing_enabled: Type.Boolean(),
  has_integrated_daemon: Type.Boolean(),
  has_email_service: Type.Boolean(),
  has_email_opt_in: Type.Boolean(),
  public_url: Type.String(),
  needs_cookie_consent: Type.Boolean(),
  deployment_type: DeploymentType,
  posthog_key: Type.Optional(Nullable(Type.String())),
  needs_setup: Type.Boolean(),
});
export type PublicConfigResponse = Static<typeof PublicConfigResponse>;

export const VersionInfo = Type.Object({
  api_version: Type.Integer({ minimum: 0 }),
  server_version: Type.String(),
  min_compatible_client: Type.Optional(Nullable(Type.String())),
});
export type VersionInfo = Static<typeof VersionInfo>;
