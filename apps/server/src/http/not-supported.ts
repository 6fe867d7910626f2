/**
 * Entities of the v0.17 reference that this server does not model (yet). Clients written for v0.17 call them; their
 * paths (and every subpath) answer 404 with code `not_supported` and what is missing, not `route_not_found`, so a
 * client can tell "this server lacks the feature" from "wrong URL". docs/architecture.md lists them.
 */
export const NOT_SUPPORTED: readonly { path: string; feature: string }[] = [
  { path: '/api/v1/vlans', feature: 'VLANs' },
  { path: '/api/v1/credentials', feature: 'Credentials (SNMP, SSH, Docker, API tokens and the rest)' },
  { path: '/api/v1/snmp-credentials', feature: 'SNMP credentials' },
  { path: '/api/v1/if-entries', feature: 'SNMP ifTable entries (v0.17 "interfaces")' },
  { path: '/api/v1/snapshots', feature: 'Snapshots' },
];

/** The unsupported entity a request path is about, if any. */
export function unsupportedAt(path: string): { path: string; feature: string } | undefined {
  return NOT_SUPPORTED.find((e) => path === e.path || path.startsWith(`${e.path}/`));
}
