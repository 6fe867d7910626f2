import {
  confidenceLevels,
  serviceCategoryIds,
  subnetTypes,
  type Confidence,
  type CustomRule,
  type Rule,
  type ServiceCategory,
  type ServiceDefinition,
  type StatusRange,
  type SubnetType,
} from './types.ts';

/** A catalog record or rule that does not have the shape of service-detection.md §10. */
export class CatalogShapeError extends Error {
  constructor(where: string, problem: string) {
    super(`${where}: ${problem}`);
    this.name = 'CatalogShapeError';
  }
}

const customRules: readonly CustomRule[] = [
  'all_previously_matched_services_are_gateway_services',
  'container_id_present_and_not_already_matched',
  'unbound_ports_nonempty_bind_all',
];

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function onlyKeys(node: Json, keys: readonly string[], where: string): void {
  for (const key of Object.keys(node)) {
    if (!keys.includes(key)) throw new CatalogShapeError(where, `unexpected field "${key}"`);
  }
}

function port(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535) {
    throw new CatalogShapeError(where, `bad port ${JSON.stringify(value)}`);
  }
  return value;
}

function text(value: unknown, where: string): string {
  if (typeof value !== 'string') throw new CatalogShapeError(where, `expected a string`);
  return value;
}

function nullableText(value: unknown, where: string): string | null {
  return value === null ? null : text(value, where);
}

function confidence(value: unknown, where: string): Confidence {
  if (!confidenceLevels.includes(value as Confidence)) {
    throw new CatalogShapeError(where, `bad confidence ${JSON.stringify(value)}`);
  }
  return value as Confidence;
}

function statusRange(value: unknown, where: string): StatusRange | null {
  if (value === null) return null;
  if (
    !Array.isArray(value) ||
    value.length !== 2 ||
    !value.every((n) => typeof n === 'number' && Number.isInteger(n) && n >= 100 && n <= 599) ||
    (value[0] as number) > (value[1] as number)
  ) {
    throw new CatalogShapeError(where, `bad status range ${JSON.stringify(value)}`);
  }
  return [value[0] as number, value[1] as number];
}

/** Validates one rule node (recursively) and returns it typed. Unknown node kinds are an error. */
export function parseRule(node: unknown, where = 'rule'): Rule {
  if (!isObject(node)) throw new CatalogShapeError(where, 'rule node must be an object');
  if ('any' in node || 'all' in node) {
    const kind = 'any' in node ? 'any' : 'all';
    onlyKeys(node, [kind], where);
    const children = node[kind];
    if (!Array.isArray(children) || children.length === 0) {
      throw new CatalogShapeError(where, `"${kind}" needs a non-empty list`);
    }
    const parsed = children.map((child, i) => parseRule(child, `${where}.${kind}[${i}]`));
    return kind === 'any' ? { any: parsed } : { all: parsed };
  }
  if ('not' in node) {
    onlyKeys(node, ['not'], where);
    return { not: parseRule(node.not, `${where}.not`) };
  }
  if ('port' in node) {
    onlyKeys(node, ['port', 'proto', 'named', 'conf'], where);
    if (node.proto !== 'tcp' && node.proto !== 'udp') throw new CatalogShapeError(where, 'bad proto');
    return {
      port: port(node.port, where),
      proto: node.proto,
      named: nullableText(node.named, where),
      conf: confidence(node.conf, where),
    };
  }
  if ('http' in node) {
    onlyKeys(node, ['http'], where);
    const h = node.http;
    if (!isObject(h)) throw new CatalogShapeError(where, '"http" must be an object');
    onlyKeys(h, ['port', 'named', 'path', 'body_contains', 'status'], where);
    return {
      http: {
        port: port(h.port, where),
        named: nullableText(h.named, where),
        path: text(h.path, where),
        body_contains: text(h.body_contains, where),
        status: statusRange(h.status, where),
      },
    };
  }
  if ('header' in node) {
    onlyKeys(node, ['header'], where);
    const h = node.header;
    if (!isObject(h)) throw new CatalogShapeError(where, '"header" must be an object');
    onlyKeys(h, ['port', 'named', 'name', 'value_contains', 'status'], where);
    const name = text(h.name, where);
    if (name === '') throw new CatalogShapeError(where, 'empty header name');
    return {
      header: {
        port: h.port === null ? null : port(h.port, where),
        named: nullableText(h.named, where),
        name,
        value_contains: text(h.value_contains, where),
        status: statusRange(h.status, where),
      },
    };
  }
  if ('mac_vendor' in node) {
    onlyKeys(node, ['mac_vendor', 'vendor_const'], where);
    return { mac_vendor: text(node.mac_vendor, where), vendor_const: text(node.vendor_const, where) };
  }
  if ('is_gateway' in node) {
    onlyKeys(node, ['is_gateway'], where);
    if (node.is_gateway !== true) throw new CatalogShapeError(where, '"is_gateway" must be true');
    return { is_gateway: true };
  }
  if ('subnet_type' in node) {
    onlyKeys(node, ['subnet_type'], where);
    if (!subnetTypes.includes(node.subnet_type as SubnetType)) {
      throw new CatalogShapeError(where, `unknown subnet type ${JSON.stringify(node.subnet_type)}`);
    }
    return { subnet_type: node.subnet_type as SubnetType };
  }
  if ('docker_container' in node) {
    onlyKeys(node, ['docker_container'], where);
    if (node.docker_container !== true) throw new CatalogShapeError(where, '"docker_container" must be true');
    return { docker_container: true };
  }
  if ('custom' in node) {
    onlyKeys(node, ['custom', 'conf'], where);
    if (!customRules.includes(node.custom as CustomRule)) {
      throw new CatalogShapeError(where, `unknown custom rule ${JSON.stringify(node.custom)}`);
    }
    return { custom: node.custom as CustomRule, conf: confidence(node.conf, where) };
  }
  if ('none' in node) {
    onlyKeys(node, ['none'], where);
    if (node.none !== true) throw new CatalogShapeError(where, '"none" must be true');
    return { none: true };
  }
  throw new CatalogShapeError(where, `unknown rule node with fields ${Object.keys(node).join(', ')}`);
}

function boolean(value: unknown, where: string): boolean {
  if (typeof value !== 'boolean') throw new CatalogShapeError(where, 'expected a boolean');
  return value;
}

function numbers(value: unknown, where: string): number[] {
  if (!Array.isArray(value)) throw new CatalogShapeError(where, 'expected a list of ports');
  return value.map((p) => port(p, where));
}

function strings(value: unknown, where: string): string[] {
  if (!Array.isArray(value)) throw new CatalogShapeError(where, 'expected a list of strings');
  return value.map((s) => text(s, where));
}

const definitionKeys = [
  'id',
  'name',
  'category',
  'generic',
  'tcp',
  'udp',
  'http',
  'mac_vendors',
  'docker_images',
  'combine',
  'ports_only',
  'is_gateway_service',
  'requires_not_gateway',
  'subnet_type',
  'rule',
  'logo_url',
  'logo_needs_white_background',
] as const;

/** Validates one catalog record (service-detection.md §10) and returns it typed. */
export function parseDefinition(record: unknown): ServiceDefinition {
  if (!isObject(record)) throw new CatalogShapeError('definition', 'must be an object');
  const where = `definition ${typeof record.id === 'string' ? record.id : '?'}`;
  onlyKeys(record, definitionKeys, where);
  const category = record.category as ServiceCategory;
  if (!serviceCategoryIds.includes(category)) throw new CatalogShapeError(where, 'unknown category');
  const combine = record.combine;
  if (
    combine !== 'single' &&
    combine !== 'any' &&
    combine !== 'all' &&
    combine !== 'none' &&
    combine !== 'custom'
  ) {
    throw new CatalogShapeError(where, `bad combine ${JSON.stringify(combine)}`);
  }
  if (!Array.isArray(record.http)) throw new CatalogShapeError(where, 'http must be a list');
  if (!Array.isArray(record.subnet_type)) throw new CatalogShapeError(where, 'subnet_type must be a list');
  const id = text(record.id, where);
  const name = text(record.name, where);
  if (id === '' || name === '') throw new CatalogShapeError(where, 'empty id or name');
  return {
    id,
    name,
    category,
    generic: boolean(record.generic, where),
    tcp: numbers(record.tcp, where),
    udp: numbers(record.udp, where),
    http: record.http.map((item: unknown) => {
      if (!isObject(item)) throw new CatalogShapeError(where, 'http item must be an object');
      const kind = item.where;
      if (kind !== 'body' && kind !== 'header') throw new CatalogShapeError(where, 'bad http.where');
      return {
        port: item.port === null ? null : port(item.port, where),
        path: text(item.path, where),
        match: text(item.match, where),
        where: kind,
        ...(item.header === undefined ? {} : { header: text(item.header, where) }),
        status: statusRange(item.status, where),
        negate: boolean(item.negate, where),
      };
    }),
    mac_vendors: strings(record.mac_vendors, where),
    docker_images: strings(record.docker_images, where),
    combine,
    ports_only: boolean(record.ports_only, where),
    is_gateway_service: boolean(record.is_gateway_service, where),
    requires_not_gateway: boolean(record.requires_not_gateway, where),
    subnet_type: record.subnet_type.map((item: unknown) => {
      if (!isObject(item) || !subnetTypes.includes(item.type as SubnetType)) {
        throw new CatalogShapeError(where, 'bad subnet_type item');
      }
      return { type: item.type as SubnetType, negate: boolean(item.negate, where) };
    }),
    rule: parseRule(record.rule, `${where} rule`),
    logo_url: text(record.logo_url, where),
    logo_needs_white_background: boolean(record.logo_needs_white_background, where),
  };
}

/** Calls `visit` on every node of a rule tree, passing whether the node sits under a `not`. */
export function walkRule(rule: Rule, visit: (node: Rule, negated: boolean) => void, negated = false): void {
  visit(rule, negated);
  if ('any' in rule) for (const child of rule.any) walkRule(child, visit, negated);
  else if ('all' in rule) for (const child of rule.all) walkRule(child, visit, negated);
  else if ('not' in rule) walkRule(rule.not, visit, !negated);
}
