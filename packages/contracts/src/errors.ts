import { Type, type Static } from 'typebox';

export interface ErrorDefinition {
  readonly status: number;
  /** English message; `{name}` placeholders are filled from the error's params. */
  readonly message: string;
}

/**
 * Every error this server raises, with its HTTP status and message template: the server's error registry is this
 * object (apps/server/src/http/errors.ts), so a code, its status and its text are defined once. Most codes are the
 * reference's (api-model.md §4.1); the others are ours (schema rejection, body limit, unknown route, OIDC and email
 * flows, optimistic concurrency, …).
 */
export const ERROR_DEFINITIONS = {
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
  /** A v0.17 reference entity this server does not model (yet): a clearer 404 than an unknown route. */
  not_supported: { status: 404, message: '{feature} are not supported by this server ({path})' },
  auth_invalid_credentials: { status: 401, message: 'Invalid email or password' },
  auth_not_authenticated: { status: 401, message: 'Not authenticated' },
  auth_session_expired: { status: 401, message: 'Session expired' },
  auth_daemon_key_not_created: { status: 401, message: 'Daemon API key not found; it may not be saved yet' },
  auth_daemon_required: { status: 403, message: 'X-Daemon-ID header is required with a daemon API key' },
  auth_permission_denied: { status: 403, message: 'This action requires the {role} role' },
  auth_api_key_no_networks: {
    status: 403,
    message:
      'This API key has no network, so it cannot change network data: edit the key and give it the networks it should reach',
  },
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
  topology_locked: { status: 409, message: 'Topology is locked; unlock it before rebuilding' },
  topology_node_not_found: { status: 404, message: 'No {kind} {id} in this topology' },
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
} as const satisfies Record<string, ErrorDefinition>;

/** A code the server raises; AppError takes only these. */
export type RaisedErrorCode = keyof typeof ERROR_DEFINITIONS;

/**
 * Codes of the reference API that this server never raises (billing, demo mode, checks it makes differently). They
 * have no status or message of ours; they are listed so a client typed against ErrorCode also knows a reference
 * server's answers.
 */
export const REFERENCE_ONLY_ERROR_CODES = [
  'validation_empty',
  'validation_invalid_email',
  'validation_invalid_ip',
  'validation_min_length',
  'validation_max_length',
  'auth_organization_required',
  'auth_user_context_required',
  'auth_api_key_required',
  'auth_user_not_found',
  'auth_demo_mode',
  'entity_required',
  'hosts_consolidate_failed',
  'networks_access_denied',
  'invite_already_accepted',
  'discovery_subnet_network_mismatch',
  'daemon_standby',
  'billing_payment_required',
  'billing_plan_limit_reached',
  'billing_subscription_required',
  'billing_setup_incomplete',
  'billing_host_limit_reached',
  'billing_feature_not_available',
  'external_service_error',
  'database_error',
  'database_duplicate_entry',
] as const;

export const ERROR_CODES = [
  ...(Object.keys(ERROR_DEFINITIONS) as RaisedErrorCode[]),
  ...REFERENCE_ONLY_ERROR_CODES,
];

export const ErrorCode = Type.Enum(ERROR_CODES);
export type ErrorCode = Static<typeof ErrorCode>;
