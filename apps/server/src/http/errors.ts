/**
 * The one error registry: every failure a handler can raise, with its HTTP status and message template.
 * Handlers throw AppError; the central handler (error-handler.ts) renders the envelope.
 */
export const errorRegistry = {
  validation_failed: { status: 400, message: '{detail}' },
  validation_required: { status: 400, message: '{field} is required' },
  validation_invalid_format: { status: 400, message: '{detail}' },
  validation_bulk_empty: { status: 400, message: 'At least one id is required' },
  payload_too_large: { status: 413, message: 'Request body is larger than {limit} bytes' },
  unsupported_media_type: {
    status: 415,
    message: 'Content-Type {type} is not supported; send application/json',
  },
  route_not_found: { status: 404, message: 'Route {method} {url} not found' },
  auth_invalid_credentials: { status: 401, message: 'Invalid email or password' },
  auth_not_authenticated: { status: 401, message: 'Not authenticated' },
  auth_session_expired: { status: 401, message: 'Session expired' },
  auth_daemon_key_not_created: { status: 401, message: 'Daemon API key not found; it may not be saved yet' },
  auth_daemon_required: { status: 403, message: 'X-Daemon-ID header is required with a daemon API key' },
  auth_permission_denied: { status: 403, message: 'This action requires the {role} role' },
  auth_password_invalid: { status: 400, message: '{detail}' },
  external_service_denied: { status: 403, message: '{detail}' },
  auth_registration_disabled: { status: 403, message: 'Registration is disabled on this server' },
  auth_too_many_attempts: {
    status: 429,
    message: 'Too many failed attempts; try again in {seconds} seconds',
  },
  user_email_in_use: { status: 409, message: 'An account with this email already exists' },
  auth_oidc_not_configured: { status: 404, message: 'No OIDC sign-in provider is configured on this server' },
  auth_oidc_provider_error: { status: 502, message: 'Sign-in with {provider} failed: {detail}' },
  auth_oidc_state_invalid: {
    status: 400,
    message: 'This sign-in attempt is invalid or has expired; please start it again',
  },
  auth_oidc_no_account: {
    status: 404,
    message:
      'No account is linked to this {provider} identity; sign in with your password and link {provider} in your settings',
  },
  auth_oidc_identity_conflict: { status: 409, message: '{detail}' },
  auth_password_required: {
    status: 403,
    message: 'Set a password before unlinking {provider}: without one you could not sign in',
  },
  user_email_managed_by_oidc: {
    status: 400,
    message: 'The email address of an account linked to {provider} is managed by that provider',
  },
  entity_not_found: { status: 404, message: '{entity} not found' },
  entity_already_exists: { status: 409, message: '{entity} already exists' },
  entity_in_use: { status: 409, message: '{entity} is in use: {detail}' },
  entity_reference_invalid: { status: 400, message: 'Referenced entity does not exist' },
  entity_access_denied: { status: 403, message: 'You do not have access to this {entity}' },
  entity_expired: { status: 403, message: '{entity} has expired' },
  entity_disabled: { status: 403, message: '{entity} is disabled' },
  entity_network_mismatch: { status: 400, message: '{detail}' },
  entity_update_conflict: {
    status: 409,
    message: '{entity} was changed by someone else; reload it and try again',
  },
  interface_ip_out_of_range: { status: 400, message: 'IP address {ip} is not inside subnet {cidr}' },
  daemon_network_mismatch: { status: 403, message: 'Daemon does not belong to this network' },
  daemon_identity_mismatch: { status: 403, message: 'Daemon id does not match the authenticated daemon' },
  discovery_session_not_found: { status: 404, message: 'Discovery session not found' },
  discovery_historical_read_only: {
    status: 400,
    message: 'Historical discoveries are records of finished sessions and cannot be run or edited',
  },
  rate_limit_exceeded: { status: 429, message: 'Rate limit exceeded. Try again in {seconds} seconds.' },
  service_unavailable: { status: 503, message: '{detail}' },
  internal_error: { status: 500, message: 'Internal server error (request {request_id})' },
  entity_update_forbidden: { status: 403, message: '{detail}' },
  entity_delete_forbidden: { status: 403, message: '{detail}' },
  user_last_owner: { status: 409, message: 'An organization must keep at least one Owner' },
  share_password_required: { status: 401, message: 'This share is protected by a password' },
  share_password_incorrect: { status: 401, message: 'Incorrect share password' },
  share_domain_not_allowed: { status: 403, message: 'This share may not be embedded on this site' },
  invite_invalid: { status: 400, message: 'The invitation has expired or was already used' },
  invite_email_mismatch: { status: 403, message: 'This invitation was sent to a different email address' },
  email_not_configured: { status: 400, message: 'Email is not configured on this server' },
  auth_email_not_verified: {
    status: 403,
    message: 'Email address not verified; follow the link we emailed you or ask for a new one',
  },
  auth_token_invalid: { status: 400, message: 'This link is invalid, expired or was already used' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof errorRegistry;

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    readonly params: Record<string, string | number> = {},
  ) {
    const def = errorRegistry[code];
    super(def.message.replace(/\{(\w+)\}/g, (_, k: string) => String(params[k] ?? k)));
    this.status = def.status;
  }
}

export const badRequest = (detail: string) => new AppError('validation_failed', { detail });
export const notFound = (entity: string) => new AppError('entity_not_found', { entity });
