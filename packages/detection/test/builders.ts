import {
  definitionById,
  normalizeProbePath,
  parseDefinition,
  portKey,
  type HostProbe,
  type HttpResponse,
  type PortRef,
  type Rule,
  type RuleContext,
  type ServiceDefinition,
} from '../src/index.ts';

export function tcp(number: number): PortRef {
  return { number, protocol: 'tcp' };
}

export function udp(number: number): PortRef {
  return { number, protocol: 'udp' };
}

export function response(
  port: number,
  path: string,
  body: string,
  extra: { status?: number; headers?: HttpResponse['headers'] } = {},
): HttpResponse {
  return { port, path, body, status: extra.status ?? 200, headers: extra.headers ?? {} };
}

/** A rule context for evaluating single nodes; every open port starts unbound. */
export function context(overrides: Partial<RuleContext> = {}): RuleContext {
  const openPorts = overrides.openPorts ?? [];
  return {
    openPorts,
    unbound: overrides.unbound ?? new Set(openPorts.map(portKey)),
    responses: [],
    macVendor: null,
    isGateway: false,
    subnetType: null,
    docker: null,
    matched: [],
    ...overrides,
  };
}

/** A definition record with defaults, run through the real catalog parser. */
export function definition(fields: {
  id: string;
  rule: Rule;
  generic?: boolean;
  name?: string;
  logo?: boolean;
}): ServiceDefinition {
  return parseDefinition({
    id: fields.id,
    name: fields.name ?? fields.id,
    category: 'Custom',
    generic: fields.generic ?? false,
    tcp: [],
    udp: [],
    http: [],
    mac_vendors: [],
    docker_images: [],
    combine: 'single',
    ports_only: false,
    is_gateway_service: false,
    requires_not_gateway: false,
    subnet_type: [],
    rule: fields.rule,
    logo_url: fields.logo === true ? 'https://cdn.jsdelivr.net/gh/x/y.svg' : '',
    logo_needs_white_background: false,
  });
}

export function catalogDefinition(id: string): ServiceDefinition {
  const found = definitionById(id);
  if (!found) throw new Error(`no catalog definition ${id}`);
  return found;
}

interface Draft {
  openPorts: PortRef[];
  httpResponses: HttpResponse[];
  macVendor?: string;
  isGateway?: boolean;
  subnetType?: HostProbe['subnetType'];
  docker?: HostProbe['docker'];
}

/** True when some input can satisfy the rule (only `none` cannot, alone or inside `all`). */
export function satisfiable(rule: Rule): boolean {
  if ('none' in rule) return false;
  if ('any' in rule) return rule.any.some(satisfiable);
  if ('all' in rule) return rule.all.every(satisfiable);
  return true;
}

function addPositive(rule: Rule, draft: Draft): void {
  if ('any' in rule) {
    const first = rule.any.find(satisfiable);
    if (first) addPositive(first, draft);
  } else if ('all' in rule) {
    for (const child of rule.all) addPositive(child, draft);
  } else if ('port' in rule) {
    draft.openPorts.push({ number: rule.port, protocol: rule.proto });
  } else if ('http' in rule) {
    const { port, path, body_contains, status } = rule.http;
    // The daemon stores a response under the path it requested, i.e. the normalised probe path.
    draft.httpResponses.push(
      response(port, normalizeProbePath(path), `<html>${body_contains || 'ok'}</html>`, {
        status: status ? status[0] : 200,
      }),
    );
  } else if ('header' in rule) {
    const { port, name, value_contains, status } = rule.header;
    draft.httpResponses.push(
      response(port ?? 80, '/', '', {
        status: status ? status[0] : 200,
        headers: { [name]: value_contains },
      }),
    );
  } else if ('mac_vendor' in rule) {
    draft.macVendor = rule.mac_vendor;
  } else if ('is_gateway' in rule) {
    draft.isGateway = true;
  } else if ('subnet_type' in rule) {
    draft.subnetType = rule.subnet_type;
  } else if ('docker_container' in rule) {
    draft.docker = { containerId: 'c0ffee', containerName: 'synthetic' };
  } else if ('custom' in rule && rule.custom === 'unbound_ports_nonempty_bind_all') {
    draft.openPorts.push(tcp(49999));
  } else if ('custom' in rule && rule.custom === 'container_id_present_and_not_already_matched') {
    draft.docker = { containerId: 'c0ffee', containerName: 'synthetic' };
  }
  // `not` nodes hold when their child is absent, which the positive draft leaves out; the gateway custom
  // check holds while nothing else matched.
}

/** The smallest probe result built only from the positive parts of a rule. */
export function syntheticProbe(rule: Rule): HostProbe {
  const draft: Draft = { openPorts: [], httpResponses: [] };
  addPositive(rule, draft);
  return draft;
}
