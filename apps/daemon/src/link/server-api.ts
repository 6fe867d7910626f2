import type {
  DaemonCapabilities,
  DaemonRegistrationRequest,
  DaemonRegistrationResponse,
  DaemonStatusPayload,
  DiscoveryHostRequest,
  DiscoveryUpdatePayload,
  HostResponse,
  RequestWorkResponse,
  ServerCapabilities,
  Subnet,
} from '@scanopy/contracts';
import type { ApiClient } from './api-client.ts';

/**
 * What discovery runners need from the server. Runners depend on this interface only, so they
 * never know whether results are POSTed now (daemon_poll) or buffered for the server (server_poll).
 */
export interface DiscoverySink {
  createSubnet(subnet: Subnet, signal?: AbortSignal): Promise<Subnet>;
  createHost(request: DiscoveryHostRequest, signal?: AbortSignal): Promise<HostResponse>;
  updateCapabilities(capabilities: DaemonCapabilities, signal?: AbortSignal): Promise<void>;
  updateSession(payload: DiscoveryUpdatePayload, signal?: AbortSignal): Promise<void>;
  /** The network's subnets as the server stores them (absent where the daemon cannot call the server). */
  listSubnets?(networkId: string, signal?: AbortSignal): Promise<Subnet[]>;
}

/** The daemon protocol endpoints of daemon.md §2.2, one method each. */
export class ServerApi implements DiscoverySink {
  constructor(private readonly client: ApiClient) {}

  get daemonId(): string {
    return this.client.daemonId;
  }

  register(request: DaemonRegistrationRequest, signal?: AbortSignal): Promise<DaemonRegistrationResponse> {
    return this.client.post('/api/daemons/register', request, signal);
  }

  startup(daemonVersion: string, signal?: AbortSignal): Promise<ServerCapabilities> {
    return this.client.post(
      `/api/daemons/${this.daemonId}/startup`,
      { daemon_version: daemonVersion },
      signal,
    );
  }

  async updateCapabilities(capabilities: DaemonCapabilities, signal?: AbortSignal): Promise<void> {
    await this.client.post(`/api/daemons/${this.daemonId}/update-capabilities`, capabilities, signal);
  }

  requestWork(status: DaemonStatusPayload, signal?: AbortSignal): Promise<RequestWorkResponse> {
    return this.client.post(`/api/daemons/${this.daemonId}/request-work`, status, signal);
  }

  async updateSession(payload: DiscoveryUpdatePayload, signal?: AbortSignal): Promise<void> {
    await this.client.post(`/api/v1/discovery/${payload.session_id}/update`, payload, signal);
  }

  createSubnet(subnet: Subnet, signal?: AbortSignal): Promise<Subnet> {
    return this.client.post('/api/v1/subnets', subnet, signal);
  }

  listSubnets(networkId: string, signal?: AbortSignal): Promise<Subnet[]> {
    return this.client.get(`/api/v1/subnets?network_id=${encodeURIComponent(networkId)}&limit=0`, signal);
  }

  createHost(request: DiscoveryHostRequest, signal?: AbortSignal): Promise<HostResponse> {
    return this.client.post('/api/v1/hosts/discovery', request, signal);
  }
}
