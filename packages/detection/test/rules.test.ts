import { describe, expect, it } from 'vitest';
import {
  CatalogShapeError,
  evaluateRule,
  normalizeVendor,
  parseRule,
  statusInRange,
  type Rule,
  type RuleOutcome,
} from '../src/index.ts';
import { catalogDefinition, context, response, tcp, udp } from './builders.ts';

function hit(outcome: RuleOutcome) {
  if (!outcome.matched) throw new Error(`expected a match, got: ${outcome.reason}`);
  return outcome;
}

const ssh: Rule = { port: 22, proto: 'tcp', named: 'Ssh', conf: 'Low' };
const custom: Rule = { port: 10086, proto: 'tcp', named: null, conf: 'Medium' };

describe('Port', () => {
  it('matches an open unbound port with the precomputed confidence and binds it', () => {
    const low = hit(evaluateRule(ssh, context({ openPorts: [tcp(22)] })));
    expect(low.confidence).toBe('Low');
    expect(low.ports).toEqual([tcp(22)]);
    expect(low.reason).toEqual({ type: 'reason', data: 'Port 22/tcp is open' });
    expect(hit(evaluateRule(custom, context({ openPorts: [tcp(10086)] }))).confidence).toBe('Medium');
  });

  it('does not see closed ports, ports of the other protocol, or ports another service claimed', () => {
    expect(evaluateRule(ssh, context()).matched).toBe(false);
    expect(evaluateRule(ssh, context({ openPorts: [udp(22)] })).matched).toBe(false);
    expect(evaluateRule(ssh, context({ openPorts: [tcp(22)], unbound: new Set() })).matched).toBe(false);
  });
});

describe('Endpoint', () => {
  const rule: Rule = {
    http: { port: 8123, named: null, path: '/', body_contains: 'Home Assistant', status: null },
  };

  it('matches a response on the same port and path whose body contains the needle, case-insensitively', () => {
    const outcome = hit(
      evaluateRule(rule, context({ responses: [response(8123, '/', '<title>home ASSISTANT</title>')] })),
    );
    expect(outcome.confidence).toBe('High');
    expect(outcome.ports).toEqual([tcp(8123)]);
  });

  it('needs the exact path and port and a status in the default range [200,400)', () => {
    const body = 'Home Assistant';
    for (const r of [
      response(8123, '/api', body),
      response(8124, '/', body),
      response(8123, '/', body, { status: 400 }),
      response(8123, '/', body, { status: 199 }),
      response(8123, '/', 'nothing here'),
    ]) {
      expect(evaluateRule(rule, context({ responses: [r] })).matched, JSON.stringify(r)).toBe(false);
    }
    expect(
      evaluateRule(rule, context({ responses: [response(8123, '/', body, { status: 399 })] })).matched,
    ).toBe(true);
    expect(
      evaluateRule(rule, context({ responses: [response(8123, '/', body, { status: 302 })] })).matched,
    ).toBe(true);
  });

  it('does not depend on the port being unbound', () => {
    const outcome = evaluateRule(
      rule,
      context({ responses: [response(8123, '/', 'Home Assistant')], unbound: new Set() }),
    );
    expect(outcome.matched).toBe(true);
  });

  it('treats an empty needle as "any response in range" and honours an explicit half-open range', () => {
    const any: Rule = {
      http: { port: 9000, named: null, path: '/minio/health/live', body_contains: '', status: [200, 300] },
    };
    expect(
      evaluateRule(any, context({ responses: [response(9000, '/minio/health/live', '')] })).matched,
    ).toBe(true);
    expect(
      evaluateRule(any, context({ responses: [response(9000, '/minio/health/live', '', { status: 300 })] }))
        .matched,
    ).toBe(false);
  });
});

describe('Header', () => {
  const withPort: Rule = {
    header: { port: 443, named: 'Https', name: 'Server', value_contains: 'http server', status: null },
  };
  const anyPort: Rule = {
    header: {
      port: null,
      named: null,
      name: 'set-cookie',
      value_contains: 'linkstack_session',
      status: null,
    },
  };

  it('compares the header name case-insensitively and the value as a case-insensitive substring, on any path', () => {
    const r = response(443, '/some/path', '', { headers: { server: 'QNAP HTTP Server 1.0' } });
    const outcome = hit(evaluateRule(withPort, context({ responses: [r] })));
    expect(outcome.confidence).toBe('High');
    expect(outcome.ports).toEqual([tcp(443)]);
  });

  it('only counts responses from its port, and statuses in range', () => {
    const other = response(80, '/', '', { headers: { server: 'http server' } });
    expect(evaluateRule(withPort, context({ responses: [other] })).matched).toBe(false);
    const bad = response(443, '/', '', { status: 500, headers: { server: 'http server' } });
    expect(evaluateRule(withPort, context({ responses: [bad] })).matched).toBe(false);
  });

  it('without a port, counts a response from any port and binds that port; repeated headers all count', () => {
    const r = response(8080, '/', '', { headers: { 'Set-Cookie': ['a=1', 'linkstack_session=xyz'] } });
    expect(hit(evaluateRule(anyPort, context({ responses: [r] }))).ports).toEqual([tcp(8080)]);
  });
});

describe('MacVendor', () => {
  const rule: Rule = { mac_vendor: 'TP-LINK TECHNOLOGIES CO.,LTD', vendor_const: 'TPLINK' };

  it('matches on normalised equality with Medium confidence and binds nothing', () => {
    const outcome = hit(evaluateRule(rule, context({ macVendor: '  tp-link technologies co., ltd ' })));
    expect(outcome.confidence).toBe('Medium');
    expect(outcome.ports).toEqual([]);
    expect(normalizeVendor('Google, Inc.')).toBe('googleinc');
  });

  it('is not a substring test', () => {
    expect(evaluateRule(rule, context({ macVendor: 'TP-LINK TECHNOLOGIES CO.,LTD. SHENZHEN' })).matched).toBe(
      false,
    );
    expect(evaluateRule(rule, context({ macVendor: 'TP-LINK' })).matched).toBe(false);
    expect(evaluateRule(rule, context()).matched).toBe(false);
  });
});

describe('IsGateway, SubnetIsType, DockerContainer, None', () => {
  it('IsGateway is High and binds nothing', () => {
    const outcome = hit(evaluateRule({ is_gateway: true }, context({ isGateway: true })));
    expect([outcome.confidence, outcome.ports]).toEqual(['High', []]);
    expect(evaluateRule({ is_gateway: true }, context()).matched).toBe(false);
  });

  it('SubnetIsType is Low and compares the subnet type', () => {
    expect(
      hit(evaluateRule({ subnet_type: 'VpnTunnel' }, context({ subnetType: 'VpnTunnel' }))).confidence,
    ).toBe('Low');
    expect(evaluateRule({ subnet_type: 'VpnTunnel' }, context({ subnetType: 'Lan' })).matched).toBe(false);
    expect(evaluateRule({ subnet_type: 'VpnTunnel' }, context()).matched).toBe(false);
  });

  it('DockerContainer is Low and true only for a Docker-virtualised candidate', () => {
    expect(
      hit(evaluateRule({ docker_container: true }, context({ docker: { containerId: 'a' } }))).confidence,
    ).toBe('Low');
    expect(evaluateRule({ docker_container: true }, context()).matched).toBe(false);
  });

  it('None never matches', () => {
    const everything = context({ openPorts: [tcp(80)], isGateway: true, docker: { containerId: 'a' } });
    expect(evaluateRule({ none: true }, everything).matched).toBe(false);
  });
});

describe('Not', () => {
  it('succeeds with Low and no ports when the child fails, and fails when the child succeeds', () => {
    const outcome = hit(evaluateRule({ not: { is_gateway: true } }, context()));
    expect([outcome.confidence, outcome.ports]).toEqual(['Low', []]);
    expect(evaluateRule({ not: { is_gateway: true } }, context({ isGateway: true })).matched).toBe(false);
    expect(evaluateRule({ not: ssh }, context({ openPorts: [tcp(22)] })).matched).toBe(false);
  });
});

describe('AnyOf', () => {
  it('binds the union of the matched children and takes their best confidence', () => {
    const rule: Rule = {
      any: [ssh, custom, { http: { port: 80, named: 'Http', path: '/', body_contains: 'x', status: null } }],
    };
    const outcome = hit(evaluateRule(rule, context({ openPorts: [tcp(22), tcp(10086)] })));
    expect(outcome.confidence).toBe('Medium');
    expect(outcome.ports).toEqual([tcp(22), tcp(10086)]);
    expect(outcome.reason).toEqual({
      type: 'container',
      data: [
        'Any of',
        [
          { type: 'reason', data: 'Port 22/tcp is open' },
          { type: 'reason', data: 'Port 10086/tcp is open' },
        ],
      ],
    });
  });

  it('has Low as its floor and fails when no child matches', () => {
    const rule: Rule = { any: [{ custom: 'unbound_ports_nonempty_bind_all', conf: 'NotApplicable' }] };
    expect(hit(evaluateRule(rule, context({ openPorts: [tcp(1)] }))).confidence).toBe('Low');
    expect(evaluateRule({ any: [ssh, custom] }, context()).matched).toBe(false);
  });
});

describe('AllOf', () => {
  const ports = (n: number): Rule[] =>
    Array.from({ length: n }, (_, i) => ({ port: 1000 + i, proto: 'tcp', named: null, conf: 'Low' }) as Rule);
  const open = (n: number) => context({ openPorts: Array.from({ length: n }, (_, i) => tcp(1000 + i)) });

  it('needs every child, binds the union, and takes the best confidence', () => {
    const rule: Rule = { all: [ssh, custom] };
    const outcome = hit(evaluateRule(rule, context({ openPorts: [tcp(22), tcp(10086)] })));
    expect([outcome.confidence, outcome.ports]).toEqual(['Medium', [tcp(22), tcp(10086)]]);
    expect(evaluateRule(rule, context({ openPorts: [tcp(22)] })).matched).toBe(false);
  });

  it('raises Low or Medium one step when more than 3 children matched, never High', () => {
    expect(hit(evaluateRule({ all: ports(3) }, open(3))).confidence).toBe('Low');
    expect(hit(evaluateRule({ all: ports(4) }, open(4))).confidence).toBe('Medium');
    const medium: Rule = { all: [...ports(3), { port: 2000, proto: 'tcp', named: null, conf: 'Medium' }] };
    expect(
      hit(evaluateRule(medium, context({ openPorts: [...open(3).openPorts, tcp(2000)] }))).confidence,
    ).toBe('High');
    const high: Rule = { all: [...ports(3), { is_gateway: true }] };
    expect(
      hit(evaluateRule(high, context({ openPorts: open(3).openPorts, isGateway: true }))).confidence,
    ).toBe('High');
  });
});

describe('catalog examples', () => {
  it('Kubernetes needs 6443 plus one of its node ports; Active Directory needs 88, 389 and 445', () => {
    const k8s = catalogDefinition('kubernetes').rule;
    expect(evaluateRule(k8s, context({ openPorts: [tcp(6443)] })).matched).toBe(false);
    expect(evaluateRule(k8s, context({ openPorts: [tcp(6443), tcp(10250)] })).matched).toBe(true);
    const ad = catalogDefinition('active_directory').rule;
    expect(evaluateRule(ad, context({ openPorts: [tcp(88), tcp(389)] })).matched).toBe(false);
    expect(evaluateRule(ad, context({ openPorts: [tcp(88), tcp(389), tcp(445)] })).matched).toBe(true);
  });

  it('WG Dashboard is excluded on a VPN tunnel subnet', () => {
    const rule = catalogDefinition('wg_dashboard').rule;
    expect(evaluateRule(rule, context({ openPorts: [tcp(10086)], subnetType: 'Lan' })).matched).toBe(true);
    expect(evaluateRule(rule, context({ openPorts: [tcp(10086)], subnetType: 'VpnTunnel' })).matched).toBe(
      false,
    );
  });
});

describe('status ranges and rule parsing', () => {
  it('reads ranges as half-open with the default [200,400)', () => {
    expect([199, 200, 399, 400].map((s) => statusInRange(s, null))).toEqual([false, true, true, false]);
    expect([199, 200, 299, 300].map((s) => statusInRange(s, [200, 300]))).toEqual([false, true, true, false]);
  });

  it('rejects malformed rule nodes', () => {
    const bad: unknown[] = [
      null,
      { any: [] },
      { port: 0, proto: 'tcp', named: null, conf: 'Low' },
      { port: 22, proto: 'sctp', named: null, conf: 'Low' },
      { port: 22, proto: 'tcp', named: null, conf: 'Sure' },
      { http: { port: 80, named: null, path: '/', body_contains: 'x', status: [300, 200] } },
      { custom: 'something_else', conf: 'Low' },
      { subnet_type: 'Moon' },
      { docker_image: 'nginx' },
      { is_gateway: true, extra: 1 },
    ];
    for (const node of bad) expect(() => parseRule(node), JSON.stringify(node)).toThrow(CatalogShapeError);
  });
});
