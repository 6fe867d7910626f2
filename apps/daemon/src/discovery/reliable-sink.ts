import type {
  DaemonCapabilities,
  DiscoveryHostRequest,
  DiscoveryUpdatePayload,
  HostResponse,
  Subnet,
} from '@scanopy/contracts';
import { isApiError, isTransportError } from '../link/api-client.ts';
import { BACKOFF, retry, type BackoffPolicy } from '../link/retry.ts';
import type { DiscoverySink } from '../link/server-api.ts';
import type { Logger } from '../logger.ts';

/** Worth retrying: the server was unreachable or failed internally (not a 4xx about our data). */
export function isRetryableEntityError(err: unknown): boolean {
  return isTransportError(err) || (isApiError(err) && (err.status >= 500 || err.status === 429));
}

export interface ReliableSinkOptions {
  /** Schedule of one subnet or host POST; default `BACKOFF.entity` (0.5 s doubling to 30 s, 5 tries). */
  policy?: BackoffPolicy;
  /** The session's logger: retries and the outcome of each subnet are logged there. */
  log: Logger;
}

/**
 * The sink every discovery runner posts through, made once per session around the daemon's sink. Subnet
 * and host POSTs are retried with capped exponential backoff on transport errors, 5xx and 429 (never on
 * a 4xx about the data); capabilities and session updates pass through as they are (the session manager
 * retries its own updates).
 */
export class ReliableSink implements DiscoverySink {
  readonly listSubnets?: (networkId: string, signal?: AbortSignal) => Promise<Subnet[]>;
  private readonly policy: BackoffPolicy;
  private readonly log: Logger;

  constructor(
    private readonly inner: DiscoverySink,
    options: ReliableSinkOptions,
  ) {
    this.policy = options.policy ?? BACKOFF.entity;
    this.log = options.log;
    // Only where the inner sink can call the server (absent in server_poll mode).
    if (inner.listSubnets) this.listSubnets = inner.listSubnets.bind(inner);
  }

  createSubnet(subnet: Subnet, signal?: AbortSignal): Promise<Subnet> {
    return retry(() => this.inner.createSubnet(subnet, signal), {
      policy: this.policy,
      shouldRetry: isRetryableEntityError,
      onRetry: (err, attempt, ms) =>
        this.log.warn(
          { cidr: subnet.cidr, attempt, retry_in_ms: ms, err: (err as Error).message },
          'subnet create failed; retrying',
        ),
      signal,
    });
  }

  /**
   * Every subnet gets its own POST, concurrently, and one failing never drops the others (the fix for
   * the reference's first-self-report race): one settled result per subnet, in the given order. The
   * caller decides what a failure means. Throws the signal's reason when the session was cancelled.
   */
  async createSubnets(
    subnets: readonly Subnet[],
    signal: AbortSignal,
  ): Promise<PromiseSettledResult<Subnet>[]> {
    const results = await Promise.allSettled(subnets.map((s) => this.createSubnet(s, signal)));
    results.forEach((result, i) => {
      const cidr = subnets[i].cidr;
      if (result.status === 'fulfilled') {
        this.log.info(
          { cidr, subnet_id: result.value.id, subnet_type: result.value.subnet_type },
          'subnet stored',
        );
      } else {
        this.log.error({ cidr, err: (result.reason as Error).message }, 'subnet could not be created');
      }
    });
    if (signal.aborted) throw signal.reason;
    return results;
  }

  createHost(request: DiscoveryHostRequest, signal?: AbortSignal): Promise<HostResponse> {
    return retry(() => this.inner.createHost(request, signal), {
      policy: this.policy,
      shouldRetry: isRetryableEntityError,
      onRetry: (err, attempt, ms) =>
        this.log.warn(
          { attempt, retry_in_ms: ms, err: (err as Error).message },
          'host report failed; retrying',
        ),
      signal,
    });
  }

  updateCapabilities(capabilities: DaemonCapabilities, signal?: AbortSignal): Promise<void> {
    return this.inner.updateCapabilities(capabilities, signal);
  }

  updateSession(payload: DiscoveryUpdatePayload, signal?: AbortSignal): Promise<void> {
    return this.inner.updateSession(payload, signal);
  }
}
