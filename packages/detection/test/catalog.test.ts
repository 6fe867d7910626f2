import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  catalog,
  catalogHttpEndpoints,
  catalogTcpPorts,
  catalogUdpPorts,
  categories,
  endpointOnlyPorts,
  endpointsToProbe,
  matchServices,
  parseDefinition,
  serviceCategoryIds,
  walkRule,
  type Rule,
  type ServiceDefinition,
} from '../src/index.ts';
import { satisfiable, syntheticProbe, tcp } from './builders.ts';

const dataFile = new URL('../data/service-catalog.json', import.meta.url);
const specFile = new URL('../../../../shared/spec/service-catalog.json', import.meta.url);

function leafKind(node: Rule): string {
  return Object.keys(node).find(
    (k) => k !== 'conf' && k !== 'named' && k !== 'proto' && k !== 'vendor_const',
  )!;
}

function countNodes(definitions: readonly ServiceDefinition[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const d of definitions)
    walkRule(d.rule, (node) => (counts[leafKind(node)] = (counts[leafKind(node)] ?? 0) + 1));
  return counts;
}

describe('the bundled catalog', () => {
  it('holds the 235 upstream definitions, each parsing into a rule tree, with unique ids and names', () => {
    const raw = JSON.parse(readFileSync(dataFile, 'utf8')) as unknown[];
    expect(raw).toHaveLength(235);
    expect(raw.map(parseDefinition)).toEqual(catalog);
    expect(new Set(catalog.map((d) => d.id)).size).toBe(235);
    expect(new Set(catalog.map((d) => d.name)).size).toBe(235);
  });

  it.skipIf(!existsSync(specFile))(
    'is the spec catalog minus the fork-only record and research fields',
    () => {
      const spec = JSON.parse(readFileSync(specFile, 'utf8')) as Record<string, unknown>[];
      const upstream = spec
        .filter((r) => r.upstream === true)
        .sort((a, b) => (a.mod_order as number) - (b.mod_order as number));
      expect(upstream.map((r) => r.id)).toEqual(catalog.map((d) => d.id));
      for (const [i, record] of upstream.entries()) {
        const { registry_id, mod_order: _m, upstream: _u, compiles: _c, flags: _f, ...rest } = record;
        expect(registry_id).toBe(record.name);
        expect(parseDefinition(rest)).toEqual(catalog[i]);
      }
    },
  );

  it('matches the statistics of service-detection.md §7-§8', () => {
    expect(catalog.filter((d) => d.generic)).toHaveLength(46);
    expect(countNodes(catalog)).toEqual({
      http: 178,
      port: 127,
      mac_vendor: 22,
      is_gateway: 8,
      header: 5,
      custom: 3,
      subnet_type: 1,
      docker_container: 1,
      none: 10,
      all: 58,
      any: 37,
      not: 6,
    });
    const perCategory = Object.fromEntries(serviceCategoryIds.map((c) => [c, 0]));
    for (const d of catalog) perCategory[d.category]++;
    expect(Object.values(perCategory)).toEqual([
      8, 11, 5, 11, 7, 25, 9, 10, 4, 2, 1, 32, 3, 7, 1, 1, 15, 4, 13, 16, 7, 7, 10, 8, 2, 2, 2, 3, 1, 4, 1, 0,
      2, 1,
    ]);
    expect(
      catalog
        .filter((d) => 'none' in d.rule)
        .map((d) => d.id)
        .sort(),
    ).toEqual(
      [
        'access_point',
        'firewall',
        'docker_daemon',
        'mariadb',
        'github_enterprise',
        'spinnaker',
        'web_service',
        'client',
        'iot',
        'tasmota',
      ].sort(),
    );
  });

  it('has Medium port confidence exactly for custom ports no other definition uses', () => {
    const users = new Map<string, Set<string>>();
    const ports: { id: string; node: Extract<Rule, { port: number }> }[] = [];
    for (const d of catalog) {
      walkRule(d.rule, (node) => {
        if (!('port' in node)) return;
        const key = `${node.port}/${node.proto}`;
        users.set(key, (users.get(key) ?? new Set()).add(d.id));
        ports.push({ id: d.id, node });
      });
    }
    for (const { id, node } of ports) {
      const unique = users.get(`${node.port}/${node.proto}`)!.size === 1;
      expect(node.conf, `${id} ${node.port}/${node.proto}`).toBe(
        node.named === null && unique ? 'Medium' : 'Low',
      );
    }
    expect(ports.filter((p) => p.node.conf === 'Medium')).toHaveLength(51);
  });

  it('lists the 34 categories with colour and icon, Custom unused, Scanopy and OpenPorts system-only', () => {
    expect(categories.map((c) => c.id)).toEqual([...serviceCategoryIds]);
    expect(new Set(catalog.map((d) => d.category)).size).toBe(33);
    expect(categories.filter((c) => !c.can_be_manually_added).map((c) => c.id)).toEqual([
      'Scanopy',
      'OpenPorts',
    ]);
    expect(categories.find((c) => c.id === 'Database')).toMatchObject({ color: 'Gray', icon: 'Database' });
  });
});

describe('every definition matches a host built from its own rule', () => {
  const matchable = catalog.filter((d) => satisfiable(d.rule));

  it('only the 10 None definitions are unmatchable', () => {
    expect(catalog.length - matchable.length).toBe(10);
  });

  it.each(matchable.map((d) => [d.id, d] as const))('%s', (_id, definition) => {
    const probe = syntheticProbe(definition.rule);
    const alone = matchServices(probe, { definitions: [definition] });
    expect(alone.services.map((s) => s.definition.id)).toEqual([definition.id]);
    // Against the whole catalog no other definition takes its ports first.
    expect(matchServices(probe).services.map((s) => s.definition.id)).toContain(definition.id);
    // The daemon would request every response the rule needs.
    // A host that answers HTTP on a port has that port open for the TCP scan.
    const open = [
      ...probe.openPorts.filter((p) => p.protocol === 'tcp').map((p) => p.number),
      ...(probe.httpResponses ?? []).map((r) => r.port),
    ];
    const selected = endpointsToProbe(open, { probeRawSocketPorts: true });
    for (const r of probe.httpResponses ?? []) {
      expect(selected, `${r.port}${r.path}`).toContainEqual({ port: r.port, path: r.path });
    }
  });
});

describe('probe helpers', () => {
  it('lists the 83 TCP and 9 UDP ports of the Port patterns', () => {
    expect(catalogTcpPorts).toHaveLength(83);
    expect(catalogTcpPorts).toContain(22);
    expect(catalogUdpPorts).toEqual([53, 67, 123, 161, 515, 1194, 10001, 47808, 51820]);
  });

  it('probes every endpoint upstream probes, plus the ranged and negated ones', () => {
    // Upstream's list (§6): non-ranged, non-negated Endpoint paths as written, plus (port ?? 80, "/") per Header.
    const upstream = new Set<string>();
    for (const d of catalog) {
      walkRule(d.rule, (node, negated) => {
        if ('http' in node && !negated && node.http.status === null)
          upstream.add(`${node.http.port} ${node.http.path}`);
        if ('header' in node) upstream.add(`${node.header.port ?? 80} /`);
      });
    }
    expect(upstream.size).toBe(113);
    const ours = new Set(catalogHttpEndpoints.map((e) => `${e.port} ${e.path}`));
    expect(ours.size).toBe(catalogHttpEndpoints.length);
    for (const key of upstream) {
      const [port, path] = [key.slice(0, key.indexOf(' ')), key.slice(key.indexOf(' ') + 1)];
      const sent = path.split('#')[0] || '/';
      expect(ours.has(`${port} ${sent}`), key).toBe(true);
    }
    expect(ours.has('8080 /v1/allowlists')).toBe(true);
  });

  it('selects endpoints on open ports plus endpoint-only ports, and skips raw printer ports unless asked', () => {
    expect(endpointOnlyPorts).toContain(8123);
    expect(endpointOnlyPorts).not.toContain(80);
    const closed = endpointsToProbe([]);
    expect(closed.some((e) => e.port === 80)).toBe(false);
    expect(closed).toContainEqual({ port: 8123, path: '/' });
    expect(endpointsToProbe([80])).toContainEqual({ port: 80, path: '/' });
    expect(endpointsToProbe([9100]).some((e) => e.port === 9100)).toBe(false);
    expect(endpointsToProbe([9100], { probeRawSocketPorts: true })).toContainEqual({
      port: 9100,
      path: '/metrics',
    });
  });

  it('every named protocol port except HTTP(S), Docker and Kubernetes is matched on its own by a generic service', () => {
    const named = new Map<string, { port: number; proto: 'tcp' | 'udp' }>();
    for (const d of catalog) {
      walkRule(d.rule, (node) => {
        if (
          'port' in node &&
          node.named !== null &&
          !/^(Https?\d*|Docker|DockerTls|Kubernetes)$/.test(node.named)
        ) {
          named.set(node.named, { port: node.port, proto: node.proto });
        }
      });
    }
    expect(named.size).toBeGreaterThan(30);
    for (const [name, { port, proto }] of named) {
      const services = matchServices({ openPorts: [{ number: port, protocol: proto }] }).services;
      const generic = services.find(
        (s) => s.definition.generic && s.definition.name !== 'Unclaimed Open Ports',
      );
      expect(generic?.ports, name).toEqual([{ number: port, protocol: proto }]);
    }
    expect(matchServices({ openPorts: [tcp(40000)] }).services.map((s) => s.definition.name)).toEqual([
      'Unclaimed Open Ports',
    ]);
  });
});
