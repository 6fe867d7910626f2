import { catalog } from './catalog.ts';
import { normalizeProbePath } from './probes.ts';
import { walkRule } from './rule.ts';
import {
  confidenceLevels,
  type Confidence,
  type EndpointRule,
  type HeaderRule,
  type Protocol,
  type Rule,
  type ServiceDefinition,
  type StatusRange,
  type SubnetType,
} from './types.ts';

export interface PortRef {
  readonly number: number;
  readonly protocol: Protocol;
}

/** One stored HTTP probe result (daemon.md §4.4): the first response of any status for a probed endpoint. */
export interface HttpResponse {
  /** TCP port the request went to. */
  readonly port: number;
  /** The endpoint path that was requested, as listed by `httpProbeEndpoints`. */
  readonly path: string;
  /** Final status after redirects. */
  readonly status: number;
  /** Response headers; names are compared case-insensitively, repeated headers may be given as a list. */
  readonly headers: Readonly<Record<string, string | readonly string[]>>;
  readonly body: string;
}

/** Set when the candidate is a Docker container (virtualization `Docker`). */
export interface DockerContext {
  readonly containerId?: string | null;
  /** Container name without the leading "/". */
  readonly containerName?: string | null;
}

/** Everything the daemon learned about one interface of a host (service-detection.md §6). */
export interface HostProbe {
  /** Open TCP ports and UDP ports that answered a protocol probe (or came from Docker's port list). */
  readonly openPorts: readonly PortRef[];
  readonly httpResponses?: readonly HttpResponse[];
  /**
   * Per port, the response to a random path that cannot exist. A server that answers it as it answers a probed
   * path (catch-all web servers, single-page apps) proves nothing by answering that path: an endpoint rule that
   * would also match this response does not match.
   */
  readonly httpCatchAll?: readonly HttpResponse[];
  /** OUI company name of the interface MAC, if known. */
  readonly macVendor?: string | null;
  /** See `isGatewayAddress`. */
  readonly isGateway?: boolean;
  readonly subnetType?: SubnetType | null;
  readonly docker?: DockerContext | null;
}

/** Match provenance, as in EntitySource `DiscoveryWithMatch.details.reason` (api-model.md). */
export type MatchReason =
  { type: 'reason'; data: string } | { type: 'container'; data: [string, MatchReason[]] };

export interface MatchDetails {
  confidence: Confidence;
  reason: MatchReason;
}

/** `Port`: the service listens on this port of the scanned interface; `Interface`: it lives at the IP. */
export type MatchBinding = { readonly type: 'Interface' } | { readonly type: 'Port'; readonly port: PortRef };

export interface ServiceMatch {
  readonly definition: ServiceDefinition;
  /** Service name: the definition name, or the container name for a generic service in a named container. */
  readonly name: string;
  readonly confidence: Confidence;
  readonly reason: MatchReason;
  /** Ports this service claimed (empty for an interface binding). */
  readonly ports: readonly PortRef[];
  readonly bindings: readonly MatchBinding[];
  readonly containerId: string | null;
}

export interface MatchResult {
  /** Matched services, best first (service-detection.md §3.6). */
  readonly services: readonly ServiceMatch[];
  /** All open ports, including those that only showed up through an HTTP response. */
  readonly openPorts: readonly PortRef[];
  /** Open ports no service claimed (non-empty only when matching stopped early for a container). */
  readonly unclaimedPorts: readonly PortRef[];
}

/** Outcome of one rule node. */
export type RuleOutcome =
  | {
      readonly matched: true;
      readonly confidence: Confidence;
      readonly ports: readonly PortRef[];
      readonly reason: MatchReason;
    }
  | { readonly matched: false; readonly reason: string };

/** What a rule sees while it is evaluated. */
export interface RuleContext {
  readonly openPorts: readonly PortRef[];
  /** Keys (`portKey`) of open ports no service on this host claimed yet. */
  readonly unbound: ReadonlySet<string>;
  readonly responses: readonly HttpResponse[];
  /** Responses to a random path, per port (`HostProbe.httpCatchAll`). */
  readonly catchAll?: readonly HttpResponse[];
  readonly macVendor: string | null;
  readonly isGateway: boolean;
  readonly subnetType: SubnetType | null;
  readonly docker: DockerContext | null;
  /** Services matched on this host so far, in match order. */
  readonly matched: readonly ServiceMatch[];
}

export function portKey(port: PortRef): string {
  return `${port.number}/${port.protocol}`;
}

function rank(confidence: Confidence): number {
  return confidenceLevels.indexOf(confidence);
}

function maxConfidence(a: Confidence, b: Confidence): Confidence {
  return rank(a) >= rank(b) ? a : b;
}

function reason(data: string): MatchReason {
  return { type: 'reason', data };
}

function reasonText(r: MatchReason): string {
  return r.type === 'reason' ? r.data : `${r.data[0]}: ${r.data[1].map(reasonText).join('; ')}`;
}

function unionPorts(lists: readonly (readonly PortRef[])[]): PortRef[] {
  const seen = new Map<string, PortRef>();
  for (const list of lists) for (const p of list) if (!seen.has(portKey(p))) seen.set(portKey(p), p);
  return [...seen.values()];
}

/** MAC vendor normalisation of service-detection.md §2: trim, lowercase, keep only letters and digits. */
export function normalizeVendor(vendor: string): string {
  return vendor
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]/gu, '');
}

const defaultStatus: StatusRange = [200, 400];

/**
 * Status ranges are half-open `[lo, hi)`. Fix (§9): an empty range `[n, n]` — upstream's `401..401`, which can
 * never hold — is read as "exactly n", which is what Plex's header branch and CrowdSec intend.
 */
export function statusInRange(status: number, range: StatusRange | null): boolean {
  const [lo, hi] = range ?? defaultStatus;
  return lo === hi ? status === lo : status >= lo && status < hi;
}

function headerValues(response: HttpResponse, name: string): string[] {
  const wanted = name.toLowerCase();
  const values: string[] = [];
  for (const [key, value] of Object.entries(response.headers)) {
    if (key.toLowerCase() !== wanted) continue;
    if (typeof value === 'string') values.push(value);
    else values.push(...value);
  }
  return values;
}

function rangeText(range: StatusRange | null): string {
  const [lo, hi] = range ?? defaultStatus;
  return lo === hi ? `${lo}` : `${lo}-${hi - 1}`;
}

function evaluateEndpoint(rule: EndpointRule, ctx: RuleContext): RuleOutcome {
  const { port, path, body_contains: needle, status } = rule.http;
  const wantedPath = normalizeProbePath(path);
  const lowerNeedle = needle.toLowerCase();
  const hit = ctx.responses.find(
    (r) =>
      r.port === port &&
      normalizeProbePath(r.path) === wantedPath &&
      statusInRange(r.status, status) &&
      r.body.toLowerCase().includes(lowerNeedle),
  );
  const where = `${port}${wantedPath}`;
  const what = needle === '' ? `status ${rangeText(status)}` : `"${needle}" (status ${rangeText(status)})`;
  if (!hit) return { matched: false, reason: `No response on ${where} with ${what}` };
  // "This path exists" proves nothing on a server that answers a random path the same way. The root page is
  // exempt: every web server has one, so a rule on "/" never claimed that a path exists.
  const random =
    wantedPath === '/'
      ? undefined
      : ctx.catchAll?.find(
          (r) =>
            r.port === port && statusInRange(r.status, status) && r.body.toLowerCase().includes(lowerNeedle),
        );
  if (random)
    return {
      matched: false,
      reason: `Port ${port} answers a random path (${random.path}) with ${what} too: ${where} proves nothing`,
    };
  return {
    matched: true,
    confidence: 'High',
    ports: [{ number: hit.port, protocol: 'tcp' }],
    reason: reason(
      needle === ''
        ? `Endpoint ${where} answered with status ${hit.status}`
        : `Endpoint ${where} response contained "${needle}"`,
    ),
  };
}

function evaluateHeader(rule: HeaderRule, ctx: RuleContext): RuleOutcome {
  const { port, name, value_contains: needle, status } = rule.header;
  const lowerNeedle = needle.toLowerCase();
  const hit = ctx.responses.find(
    (r) =>
      (port === null || r.port === port) &&
      statusInRange(r.status, status) &&
      headerValues(r, name).some((v) => v.toLowerCase().includes(lowerNeedle)),
  );
  const where = port === null ? 'any port' : `port ${port}`;
  if (!hit) return { matched: false, reason: `No ${name} header containing "${needle}" on ${where}` };
  return {
    matched: true,
    confidence: 'High',
    ports: [{ number: hit.port, protocol: 'tcp' }],
    reason: reason(`Header ${name} on port ${hit.port} contained "${needle}"`),
  };
}

function isGatewayRule(rule: Rule): boolean {
  let positive = false;
  walkRule(rule, (node, negated) => {
    if ('is_gateway' in node && !negated) positive = true;
  });
  return positive;
}

const gatewayDefinitions = new WeakMap<ServiceDefinition, boolean>();

/** The derived `is_gateway` flag: a positive IsGateway outside any `not` (service-detection.md §1). */
export function isGatewayDefinition(definition: ServiceDefinition): boolean {
  let flag = gatewayDefinitions.get(definition);
  if (flag === undefined) {
    flag = isGatewayRule(definition.rule);
    gatewayDefinitions.set(definition, flag);
  }
  return flag;
}

/** Evaluates one rule node against a host (pure). */
export function evaluateRule(rule: Rule, ctx: RuleContext): RuleOutcome {
  if ('any' in rule) {
    const outcomes = rule.any.map((child) => evaluateRule(child, ctx));
    const hits = outcomes.filter((o) => o.matched);
    if (hits.length === 0) {
      return { matched: false, reason: `None of: ${outcomes.map((o) => o.reason as string).join('; ')}` };
    }
    return {
      matched: true,
      confidence: hits.reduce<Confidence>((c, o) => maxConfidence(c, o.confidence), 'Low'),
      ports: unionPorts(hits.map((o) => o.ports)),
      reason: { type: 'container', data: ['Any of', hits.map((o) => o.reason)] },
    };
  }
  if ('all' in rule) {
    const hits = [];
    for (const child of rule.all) {
      const outcome = evaluateRule(child, ctx);
      if (!outcome.matched) return outcome;
      hits.push(outcome);
    }
    let confidence = hits.reduce<Confidence>((c, o) => maxConfidence(c, o.confidence), 'NotApplicable');
    // Many weak signals together are worth one step more (service-detection.md §2).
    if (hits.length > 3 && (confidence === 'Low' || confidence === 'Medium')) {
      confidence = confidence === 'Low' ? 'Medium' : 'High';
    }
    return {
      matched: true,
      confidence,
      ports: unionPorts(hits.map((o) => o.ports)),
      reason: { type: 'container', data: ['All of', hits.map((o) => o.reason)] },
    };
  }
  if ('not' in rule) {
    const inner = evaluateRule(rule.not, ctx);
    if (inner.matched) return { matched: false, reason: `Excluded because ${reasonText(inner.reason)}` };
    return { matched: true, confidence: 'Low', ports: [], reason: reason(`Not: ${inner.reason}`) };
  }
  if ('port' in rule) {
    const p: PortRef = { number: rule.port, protocol: rule.proto };
    if (!ctx.unbound.has(portKey(p))) {
      return { matched: false, reason: `Port ${portKey(p)} is not open or already claimed` };
    }
    return { matched: true, confidence: rule.conf, ports: [p], reason: reason(`Port ${portKey(p)} is open`) };
  }
  if ('http' in rule) return evaluateEndpoint(rule, ctx);
  if ('header' in rule) return evaluateHeader(rule, ctx);
  if ('mac_vendor' in rule) {
    if (ctx.macVendor !== null && normalizeVendor(ctx.macVendor) === normalizeVendor(rule.mac_vendor)) {
      return {
        matched: true,
        confidence: 'Medium',
        ports: [],
        reason: reason(`MAC vendor is ${rule.mac_vendor}`),
      };
    }
    return { matched: false, reason: `MAC vendor is not ${rule.mac_vendor}` };
  }
  if ('is_gateway' in rule) {
    return ctx.isGateway
      ? { matched: true, confidence: 'High', ports: [], reason: reason('Host is a gateway of its subnet') }
      : { matched: false, reason: 'Host is not a gateway of its subnet' };
  }
  if ('subnet_type' in rule) {
    return ctx.subnetType === rule.subnet_type
      ? { matched: true, confidence: 'Low', ports: [], reason: reason(`Subnet type is ${rule.subnet_type}`) }
      : { matched: false, reason: `Subnet type is not ${rule.subnet_type}` };
  }
  if ('docker_container' in rule) {
    return ctx.docker
      ? { matched: true, confidence: 'Low', ports: [], reason: reason('Host is a Docker container') }
      : { matched: false, reason: 'Host is not a Docker container' };
  }
  if ('custom' in rule) {
    switch (rule.custom) {
      case 'all_previously_matched_services_are_gateway_services': {
        const other = ctx.matched.find((s) => !isGatewayDefinition(s.definition));
        return other
          ? {
              matched: false,
              reason: `${other.definition.name} already matched and is not a gateway service`,
            }
          : {
              matched: true,
              confidence: rule.conf,
              ports: [],
              reason: reason('No non-gateway service matched on this host'),
            };
      }
      case 'container_id_present_and_not_already_matched': {
        const id = ctx.docker?.containerId;
        if (!id) return { matched: false, reason: 'No container id' };
        if (ctx.matched.some((s) => s.containerId === id)) {
          return { matched: false, reason: 'Another service already matched this container' };
        }
        const label = ctx.docker?.containerName || id;
        return {
          matched: true,
          confidence: rule.conf,
          ports: [],
          reason: reason(`Container ${label} has no other service`),
        };
      }
      case 'unbound_ports_nonempty_bind_all': {
        const ports = ctx.openPorts.filter((p) => ctx.unbound.has(portKey(p)));
        if (ports.length === 0) return { matched: false, reason: 'No unclaimed open ports' };
        return {
          matched: true,
          confidence: rule.conf,
          ports,
          reason: reason(`Unclaimed open ports: ${ports.map(portKey).join(', ')}`),
        };
      }
    }
  }
  return { matched: false, reason: 'This service is only added by hand or by the system' };
}

/**
 * Priority bucket of service-detection.md §3.1: 0 non-generic, 1 other generic, 2 Docker Container and
 * Gateway, 3 Unclaimed Open Ports.
 */
export function priorityBucket(definition: ServiceDefinition): 0 | 1 | 2 | 3 {
  if (definition.name === 'Unclaimed Open Ports') return 3;
  if (definition.name === 'Docker Container' || definition.name === 'Gateway') return 2;
  return definition.generic ? 1 : 0;
}

/**
 * How many conditions must hold at least for the rule to match: leaves and `not` count one, `all` adds its
 * children up, `any` takes its cheapest child. `none` never matches and sorts last.
 */
export function ruleSpecificity(rule: Rule): number {
  if ('all' in rule) return rule.all.reduce((sum, child) => sum + ruleSpecificity(child), 0);
  if ('any' in rule) return Math.min(...rule.any.map(ruleSpecificity));
  if ('none' in rule) return 0;
  return 1;
}

/**
 * Definitions in evaluation order: by priority bucket, then (fix, see README) the more specific rule first, then
 * catalog (module) order. Upstream's order inside a bucket is unspecified (link-time registration); in module
 * order the generic RDP and Samba claim 3389 and 445 before Workstation (RDP + SMB) is tried, so it never matched.
 */
export function evaluationOrder(definitions: readonly ServiceDefinition[]): ServiceDefinition[] {
  return definitions
    .map((definition, index) => ({
      definition,
      index,
      bucket: priorityBucket(definition),
      specificity: ruleSpecificity(definition.rule),
    }))
    .sort((a, b) => a.bucket - b.bucket || b.specificity - a.specificity || a.index - b.index)
    .map((entry) => entry.definition);
}

const catalogOrder = evaluationOrder(catalog);

function sortScore(service: ServiceMatch): number {
  return rank(service.confidence) + (service.definition.logo_url === '' ? 0 : 1);
}

export interface MatchOptions {
  /** Definitions to try (default: the whole catalog). */
  readonly definitions?: readonly ServiceDefinition[];
}

/**
 * Identifies the services of one host interface (service-detection.md §3). Pure: no I/O, same input gives the
 * same output.
 */
export function matchServices(probe: HostProbe, options: MatchOptions = {}): MatchResult {
  const responses = probe.httpResponses ?? [];
  // A port that answered HTTP is open even if the TCP scan missed it (daemon.md §4.4).
  const openPorts = unionPorts([
    probe.openPorts,
    responses.map((r) => ({ number: r.port, protocol: 'tcp' })),
  ]);
  const unbound = new Set(openPorts.map(portKey));
  const docker = probe.docker ?? null;
  const containerId = docker?.containerId || null;
  const matched: ServiceMatch[] = [];
  const order = options.definitions ? evaluationOrder(options.definitions) : catalogOrder;

  for (const definition of order) {
    const outcome = evaluateRule(definition.rule, {
      openPorts,
      unbound,
      responses,
      catchAll: probe.httpCatchAll ?? [],
      macVendor: probe.macVendor ?? null,
      isGateway: probe.isGateway ?? false,
      subnetType: probe.subnetType ?? null,
      docker,
      matched,
    });
    if (!outcome.matched) continue;
    for (const p of outcome.ports) unbound.delete(portKey(p));
    const bindings: MatchBinding[] =
      outcome.ports.length === 0
        ? [{ type: 'Interface' }]
        : outcome.ports.map((port) => ({ type: 'Port', port }));
    matched.push({
      definition,
      name: definition.generic && docker?.containerName ? docker.containerName : definition.name,
      confidence: definition.generic ? 'NotApplicable' : outcome.confidence,
      reason: definition.generic
        ? { type: 'container', data: ['Generic service', [outcome.reason]] }
        : outcome.reason,
      ports: outcome.ports,
      bindings,
      containerId,
    });
    // A container gets exactly one service: the first match in priority order (service-detection.md §3.4).
    if (containerId) break;
  }

  const services = matched
    .map((service, index) => ({ service, index }))
    .sort((a, b) => sortScore(b.service) - sortScore(a.service) || a.index - b.index)
    .map((entry) => entry.service);
  return { services, openPorts, unclaimedPorts: openPorts.filter((p) => unbound.has(portKey(p))) };
}

/** `DiscoveryWithMatch.details` for a matched service. */
export function matchDetails(service: ServiceMatch): MatchDetails {
  return { confidence: service.confidence, reason: service.reason };
}

/**
 * Name for a host without a hostname under `HostNamingFallback = BestService`: the first non-generic service
 * in result order, or null (the caller then uses the IP).
 */
export function bestServiceName(services: readonly ServiceMatch[]): string | null {
  return services.find((s) => !s.definition.generic)?.name ?? null;
}
