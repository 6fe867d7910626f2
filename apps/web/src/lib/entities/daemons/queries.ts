import { apiDelete, apiPost } from '$lib/api/client.ts';
import { daemonQueries, resourceQueries } from '$lib/api/queries.ts';
import type { DaemonApiKey, DaemonApiKeyResponse, DaemonResponse } from '$lib/api/types.ts';
import type {
  CreateDaemonApiKeyRequest,
  ProvisionDaemonRequest,
  ProvisionDaemonResponse,
} from '@scanopy/contracts';

export { daemonQueries };
export const daemonKeyQueries = resourceQueries<DaemonApiKey, CreateDaemonApiKeyRequest>('auth/daemon');

/** daemon_poll: a key scoped to the network; the daemon registers itself with it. */
export const createDaemonKey = (name: string, network_id: string) =>
  apiPost<DaemonApiKeyResponse>('/api/v1/auth/daemon', {
    name,
    network_id,
  } satisfies CreateDaemonApiKeyRequest);

/** server_poll: the server records the daemon at `url` and returns its key. */
export const provisionDaemon = (body: ProvisionDaemonRequest) =>
  apiPost<ProvisionDaemonResponse>('/api/v1/daemons/provision', body);

/** A new key for the daemon's key (the old one stops working at once); the new plaintext is shown once. */
export const rotateDaemonKey = (apiKeyId: string) =>
  apiPost<string>(`/api/v1/auth/daemon/${encodeURIComponent(apiKeyId)}/rotate`);

export const deleteDaemonKey = (id: string) => apiDelete(`/api/v1/auth/daemon/${encodeURIComponent(id)}`);

export type { DaemonResponse };
