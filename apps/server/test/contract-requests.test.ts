import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../src/config.ts';
import { generateOpenApi } from '../src/openapi.ts';
import { outOfScope } from './contract.test.ts';

type Schema = Record<string, unknown> & {
  $ref?: string;
  allOf?: Schema[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  properties?: Record<string, Schema>;
  required?: string[];
  readOnly?: boolean;
  const?: unknown;
  enum?: unknown[];
};
interface Operation {
  operationId?: string;
  requestBody?: { content?: Record<string, { schema?: Schema }> };
}
interface Doc {
  paths: Record<string, Record<string, Operation>>;
}

const reference = JSON.parse(
  readFileSync(path.join(repoRoot, '../shared/spec/reference-openapi-v1.json'), 'utf8'),
) as Doc;

function deref(doc: Doc, s: Schema | undefined): Schema | undefined {
  let cur = s;
  while (cur?.$ref) {
    cur = cur.$ref
      .replace('#/', '')
      .split('/')
      .reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], doc) as Schema;
  }
  return cur;
}

interface Variant {
  required: Set<string>;
  props: Record<string, Schema>;
}

/** The object variants a body schema allows: unions split, allOf parts merged. */
function variants(doc: Doc, s0: Schema | undefined): Variant[] {
  const s = deref(doc, s0);
  if (!s) return [];
  const union = s.oneOf ?? s.anyOf;
  if (union) return union.flatMap((x) => variants(doc, x));
  const parts: Schema[] = s.allOf ? [...s.allOf, { properties: s.properties, required: s.required }] : [s];
  let acc: Variant[] = [{ required: new Set(), props: {} }];
  for (const p0 of parts) {
    const p = deref(doc, p0)!;
    const vs: Variant[] =
      p.allOf || p.oneOf || p.anyOf
        ? variants(doc, p)
        : [{ required: new Set(p.required ?? []), props: { ...(p.properties ?? {}) } }];
    acc = acc.flatMap((a) =>
      vs.map((v) => ({
        required: new Set([...a.required, ...v.required]),
        props: { ...a.props, ...v.props },
      })),
    );
  }
  return acc;
}

/**
 * The fields a request must carry, per union variant ("Port:host_id,number" ...). Read-only properties are left out:
 * OpenAPI applies `required` to them in responses only.
 */
function requiredFields(doc: Doc, op: Operation): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const v of variants(doc, op.requestBody?.content?.['application/json']?.schema)) {
    const type = deref(doc, v.props.type);
    // A tag is a const, or (as the generated documents write it) a one-value enum.
    const one = type?.const ?? (type?.enum?.length === 1 ? type.enum[0] : undefined);
    const tag = one !== undefined ? String(one) : '';
    const req = [...v.required].filter((k) => !deref(doc, v.props[k])?.readOnly).sort();
    out.set(tag, [...new Set([...(out.get(tag) ?? []), ...req])].sort());
  }
  return out;
}

/** The `type` tags a body's union variants may carry (const or enum), e.g. Interface and Port for a binding. */
function typeTags(doc: Doc, op: Operation): Set<string> {
  const out = new Set<string>();
  for (const v of variants(doc, op.requestBody?.content?.['application/json']?.schema)) {
    const type = deref(doc, v.props.type);
    if (type?.const !== undefined) out.add(String(type.const));
    for (const e of type?.enum ?? []) out.add(String(e));
  }
  return out;
}

/** Topology create and full save: the server builds the graph and snapshots; parts a client leaves out are kept. */
const TOPOLOGY_GRAPH = [
  'bindings',
  'edges',
  'entity_tags',
  'groups',
  'hosts',
  'if_entries',
  'interfaces',
  'is_locked',
  'is_stale',
  'last_refreshed',
  'nodes',
  'options',
  'ports',
  'removed_bindings',
  'removed_groups',
  'removed_hosts',
  'removed_if_entries',
  'removed_interfaces',
  'removed_ports',
  'removed_services',
  'removed_subnets',
  'services',
  'subnets',
  'tags',
];

/**
 * Fields the reference requires that we accept absent, per operation, and why. Nothing else may differ: we never
 * require a field the reference does not (a client that works against the reference works against us).
 * - organization_id, user_id: the caller's organization and user; the server assigns them.
 * - tags, binding_ids: an absent list is an empty one.
 * - edge_style, name (interfaces), terms_accepted: defaulted (SmoothStep, no name, not accepted).
 * - position, bindings, source (service and subnet updates): absent keeps the stored value.
 * - network_id on updates of daemon keys and subnets, email/permissions/network_ids/organization_id on user updates:
 *   not changeable through that route (another route, or never), so there is nothing to send.
 * - the deprecated heartbeat accepts any object (daemons before 0.14 sent varying fields).
 * - topology create and full save: the graph, entity snapshots and state are built by the server; absent parts
 *   keep what is stored.
 */
const defaulted: Record<string, string[]> = {
  'post /api/auth/register': ['terms_accepted'],
  'post /api/daemons/{id}/heartbeat': ['mode', 'name', 'url'],
  'post /api/v1/auth/daemon': ['tags'],
  'put /api/v1/auth/daemon/{id}': ['network_id', 'tags'],
  'post /api/v1/auth/keys': ['organization_id', 'tags', 'user_id'],
  'put /api/v1/auth/keys/{id}': ['organization_id', 'tags', 'user_id'],
  'post /api/v1/discovery': ['tags'],
  'put /api/v1/discovery/{id}': ['tags'],
  'post /api/v1/groups': ['binding_ids', 'edge_style', 'tags'],
  'put /api/v1/groups/{id}': ['binding_ids', 'edge_style', 'tags'],
  'post /api/v1/interfaces': ['name'],
  'put /api/v1/interfaces/{id}': ['name'],
  'post /api/v1/networks': ['organization_id', 'tags'],
  'put /api/v1/networks/{id}': ['organization_id', 'tags'],
  'put /api/v1/services/{id}': ['bindings', 'position', 'source'],
  'post /api/v1/subnets': ['source', 'tags'],
  'put /api/v1/subnets/{id}': ['network_id', 'source', 'tags'],
  'post /api/v1/tags': ['organization_id'],
  'put /api/v1/tags/{id}': ['organization_id'],
  'put /api/v1/users/{id}': ['email', 'network_ids', 'organization_id', 'permissions'],
  'put /api/v1/users/{id}/admin': ['email', 'organization_id'],
  'post /api/v1/topology': TOPOLOGY_GRAPH,
  'put /api/v1/topology/{id}': TOPOLOGY_GRAPH,
};

const METHODS = ['get', 'post', 'put', 'delete', 'patch'];
const shape = (p: string) => p.replace(/\{[^}]+\}/g, '{}');

describe('contract: requests and operation ids against the reference v1 document', () => {
  let ours: Doc;
  const shared: { key: string; ref: Operation; ours: Operation }[] = [];

  beforeAll(async () => {
    ours = JSON.parse(await generateOpenApi()) as Doc;
    const byShape = new Map<string, Operation>();
    for (const [p, ops] of Object.entries(ours.paths)) {
      for (const [m, op] of Object.entries(ops)) byShape.set(`${m} ${shape(p)}`, op);
    }
    for (const [p, ops] of Object.entries(reference.paths)) {
      if (outOfScope.some((r) => r.test(p))) continue;
      for (const [m, op] of Object.entries(ops)) {
        const mine = METHODS.includes(m) ? byShape.get(`${m} ${shape(p)}`) : undefined;
        if (mine) shared.push({ key: `${m} ${p}`, ref: op, ours: mine });
      }
    }
  });

  it('names every shared operation with the reference operationId', () => {
    expect(shared.length).toBeGreaterThan(100);
    const differ = shared
      .filter((o) => o.ours.operationId !== o.ref.operationId)
      .map((o) => `${o.key}: ours ${o.ours.operationId}, reference ${o.ref.operationId}`);
    expect(differ).toEqual([]);
  });

  it('never requires a request field the reference does not, and defaults only the listed ones', () => {
    const problems: string[] = [];
    let bodies = 0;
    for (const o of shared) {
      const ref = requiredFields(reference, o.ref);
      const mine = requiredFields(ours, o.ours);
      if (!ref.size && !mine.size) continue;
      bodies++;
      // Our union variants are keyed by their type tag; the reference may describe the same body without one.
      const refAll = [...ref.values()].flat();
      const refTags = typeTags(reference, o.ref);
      for (const [tag, fields] of mine) {
        // A variant the v0.14 reference has no tag for is a v0.17 alias (binding type "IPAddress"): no v0.14 client
        // sends it, so there is nothing of v0.14 to compare it with.
        if (tag && refTags.size && !refTags.has(tag)) continue;
        const allowed = new Set(ref.get(tag) ?? (ref.size === 1 ? [...ref.values()][0] : refAll));
        for (const f of fields)
          if (!allowed.has(f)) problems.push(`${o.key}: we require ${f}, the reference does not`);
      }
      const ourAll = new Set([...mine.values()].flat());
      const absent = [...new Set(refAll)].filter((f) => !ourAll.has(f)).sort();
      const expected = [...(defaulted[o.key] ?? [])].sort();
      if (JSON.stringify(absent) !== JSON.stringify(expected)) {
        problems.push(
          `${o.key}: reference-required fields we default ${JSON.stringify(absent)}, listed ${JSON.stringify(expected)}`,
        );
      }
    }
    expect(problems).toEqual([]);
    expect(bodies).toBeGreaterThan(30);
  });
});
