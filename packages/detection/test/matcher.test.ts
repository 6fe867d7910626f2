import { describe, expect, it } from 'vitest';
import {
  bestServiceName,
  catalog,
  evaluationOrder,
  isGatewayAddress,
  isGatewayDefinition,
  matchDetails,
  matchServices,
  priorityBucket,
  ruleSpecificity,
  type HostProbe,
  type MatchResult,
} from '../src/index.ts';
import { catalogDefinition, definition, response, tcp, udp } from './builders.ts';

function names(result: MatchResult): string[] {
  return result.services.map((s) => s.definition.name);
}

function service(result: MatchResult, name: string) {
  const found = result.services.find((s) => s.definition.name === name);
  if (!found) throw new Error(`${name} did not match; matched: ${names(result).join(', ')}`);
  return found;
}

describe('evaluation order', () => {
  it('sorts non-generic, then generic, then Docker Container and Gateway, then Unclaimed Open Ports', () => {
    const order = evaluationOrder(catalog);
    const buckets = order.map(priorityBucket);
    expect(buckets).toEqual([...buckets].sort((a, b) => a - b));
    expect(buckets.filter((b) => b === 0)).toHaveLength(189);
    expect(buckets.filter((b) => b === 1)).toHaveLength(43);
    expect(order.slice(-3).map((d) => d.name)).toEqual([
      'Gateway',
      'Docker Container',
      'Unclaimed Open Ports',
    ]);
    // Inside a bucket: the more specific rule first, then the catalog (module) order.
    const rank = (d: (typeof catalog)[number]) => [
      priorityBucket(d),
      -ruleSpecificity(d.rule),
      catalog.indexOf(d),
    ];
    for (let i = 1; i < order.length; i++) {
      const [a, b] = [rank(order[i - 1]), rank(order[i])];
      const cmp = a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
      expect(cmp, `${order[i - 1].id} before ${order[i].id}`).toBeLessThan(0);
    }
  });

  it('counts the conditions a rule needs at least', () => {
    expect(ruleSpecificity({ port: 22, proto: 'tcp', named: 'Ssh', conf: 'Low' })).toBe(1);
    expect(ruleSpecificity(catalogDefinition('kubernetes').rule)).toBe(2);
    expect(ruleSpecificity(catalogDefinition('switch').rule)).toBe(3);
    expect(ruleSpecificity({ none: true })).toBe(0);
  });

  it('fix: Workstation (RDP + SMB) is tried before the generic RDP and Samba that would take its ports', () => {
    expect(names(matchServices({ openPorts: [tcp(3389), tcp(445)] }))).toEqual(['Workstation']);
    expect(names(matchServices({ openPorts: [tcp(3389)] }))).toEqual(['Remote Desktop']);
  });

  it('lets a specific definition claim a port before a generic one, whatever the list order', () => {
    const generic = definition({
      id: 'generic-ssh',
      generic: true,
      rule: { port: 22, proto: 'tcp', named: 'Ssh', conf: 'Low' },
    });
    const specific = definition({
      id: 'ssh-appliance',
      rule: { port: 22, proto: 'tcp', named: 'Ssh', conf: 'Low' },
    });
    const result = matchServices({ openPorts: [tcp(22)] }, { definitions: [generic, specific] });
    expect(names(result)).toEqual(['ssh-appliance']);
  });

  it('returns the same result for the same input', () => {
    const probe: HostProbe = {
      openPorts: [tcp(22), tcp(80), udp(53), tcp(40000)],
      httpResponses: [response(80, '/admin', 'Pi-hole admin')],
    };
    expect(matchServices(probe)).toEqual(matchServices(probe));
  });

  it('matches nothing on a host with no signals', () => {
    expect(matchServices({ openPorts: [] }).services).toEqual([]);
  });
});

describe('port claiming', () => {
  it('a matched service removes its ports from what later Port patterns can see', () => {
    // Unbound (53/udp + 8953) claims 53/udp, so the generic DNS Server has nothing left.
    const unbound = matchServices({ openPorts: [udp(53), tcp(8953)] });
    expect(names(unbound)).toEqual(['Unbound DNS']);
    expect(service(unbound, 'Unbound DNS').ports).toEqual([udp(53), tcp(8953)]);
    // Without 8953 the generic DNS Server takes 53/udp.
    expect(names(matchServices({ openPorts: [udp(53)] }))).toEqual(['DNS Server']);
  });

  it('Active Directory takes 88, 389 and 445, so Kerberos, LDAP, Samba and Workstation do not match', () => {
    const result = matchServices({ openPorts: [tcp(88), tcp(389), tcp(445), tcp(3389)] });
    expect(names(result)).toEqual(['Active Directory', 'Remote Desktop']);
  });

  it('HTTP patterns ignore claims, so two HTTP services can share one port', () => {
    const a = definition({
      id: 'a',
      rule: { http: { port: 8080, named: null, path: '/', body_contains: 'a', status: null } },
    });
    const b = definition({
      id: 'b',
      rule: { http: { port: 8080, named: null, path: '/', body_contains: 'b', status: null } },
    });
    const generic = definition({
      id: 'g',
      generic: true,
      rule: { port: 8080, proto: 'tcp', named: 'Http8080', conf: 'Low' },
    });
    const result = matchServices(
      { openPorts: [tcp(8080)], httpResponses: [response(8080, '/', 'a and b')] },
      { definitions: [a, b, generic] },
    );
    expect(names(result)).toEqual(['a', 'b']);
    expect(result.services.map((s) => s.ports)).toEqual([[tcp(8080)], [tcp(8080)]]);
  });

  it('an HTTP match claims its port from the generic services too', () => {
    const result = matchServices({
      openPorts: [udp(53), tcp(80)],
      httpResponses: [response(80, '/admin', 'Pi-hole')],
    });
    expect(names(result)).toEqual(['Pi-Hole']);
    expect(service(result, 'Pi-Hole').bindings).toEqual([
      { type: 'Port', port: udp(53) },
      { type: 'Port', port: tcp(80) },
    ]);
  });

  it('a port that answered HTTP counts as open even if the TCP scan missed it', () => {
    const result = matchServices({ openPorts: [], httpResponses: [response(8123, '/', 'nothing known')] });
    expect(result.openPorts).toEqual([tcp(8123)]);
    expect(names(result)).toEqual(['Unclaimed Open Ports']);
  });
});

describe('catch-all web servers', () => {
  // An appliance (or a single-page app) that answers every path with 200 and the same page.
  const page = '<html><title>Device</title><div id="app"></div></html>';
  const catchAll: HostProbe = {
    openPorts: [tcp(80)],
    httpResponses: [response(80, '/', page), response(80, '/ipa/ui', page)],
    httpCatchAll: [response(80, '/scanopy-0c4f9a2e81d7b365', page)],
  };

  it('is not given a name whose rule is "this path exists" when a random path answers the same', () => {
    expect(names(matchServices({ ...catchAll, httpCatchAll: [] }))).toContain('FreeIPA');
    const result = matchServices(catchAll);
    expect(names(result)).not.toContain('FreeIPA');
    expect(result.services.every((s) => s.definition.name !== 'FreeIPA')).toBe(true);
  });

  it('still matches a path whose content the random path does not have, and rules on the root page', () => {
    const result = matchServices({
      openPorts: [tcp(8096)],
      httpResponses: [response(8096, '/emby/System/Info/Public', '{"ProductName":"Emby Server"}')],
      httpCatchAll: [response(8096, '/scanopy-0c4f9a2e81d7b365', page)],
    });
    expect(names(result)).toContain('Emby');
    // A 404 for the random path: every path-exists rule stays in force.
    const honest = matchServices({
      ...catchAll,
      httpCatchAll: [response(80, '/scanopy-0c4f9a2e81d7b365', 'not found', { status: 404 })],
    });
    expect(names(honest)).toContain('FreeIPA');
  });
});

describe('results', () => {
  it('gives generic services NotApplicable and wraps their reason as "Generic service"', () => {
    const ssh = service(matchServices({ openPorts: [tcp(22)] }), 'SSH');
    expect(matchDetails(ssh)).toEqual({
      confidence: 'NotApplicable',
      reason: {
        type: 'container',
        data: ['Generic service', [{ type: 'reason', data: 'Port 22/tcp is open' }]],
      },
    });
    expect(ssh.bindings).toEqual([{ type: 'Port', port: tcp(22) }]);
  });

  it('orders services by confidence plus one for a logo, keeping match order on ties', () => {
    const port = (n: number, conf: 'Low' | 'Medium') => ({
      port: n,
      proto: 'tcp' as const,
      named: null,
      conf,
    });
    const defs = [
      definition({ id: 'low-logo', logo: true, rule: port(1001, 'Low') }),
      definition({ id: 'medium', rule: port(1002, 'Medium') }),
      definition({ id: 'low', rule: port(1003, 'Low') }),
      definition({
        id: 'high',
        rule: { http: { port: 1004, named: null, path: '/', body_contains: '', status: null } },
      }),
    ];
    const result = matchServices(
      { openPorts: [tcp(1001), tcp(1002), tcp(1003)], httpResponses: [response(1004, '/', '')] },
      { definitions: defs },
    );
    expect(names(result)).toEqual(['high', 'low-logo', 'medium', 'low']);
    expect(result.services.some((s) => s.confidence === 'Certain')).toBe(false);
  });

  it('names the host after the best non-generic service', () => {
    const result = matchServices({ openPorts: [tcp(22), tcp(6767)] });
    expect(names(result)).toEqual(['Bazarr', 'SSH']);
    expect(bestServiceName(result.services)).toBe('Bazarr');
    expect(bestServiceName(matchServices({ openPorts: [tcp(22)] }).services)).toBeNull();
  });
});

describe('Gateway', () => {
  it('matches a gateway with nothing else on it, with an interface binding', () => {
    const result = matchServices({ openPorts: [], isGateway: true });
    expect(names(result)).toEqual(['Gateway']);
    expect(service(result, 'Gateway').bindings).toEqual([{ type: 'Interface' }]);
    expect(service(result, 'Gateway').confidence).toBe('NotApplicable');
  });

  it('is stopped by any earlier non-gateway match, such as SSH', () => {
    expect(names(matchServices({ openPorts: [tcp(22)], isGateway: true }))).toEqual(['SSH']);
  });

  it('still matches after a vendor gateway, because that is a gateway service too', () => {
    const result = matchServices({ openPorts: [], isGateway: true, macVendor: 'eero inc' });
    expect(names(result)).toEqual(['Eero Gateway', 'Gateway']);
    expect(service(result, 'Eero Gateway').bindings).toEqual([{ type: 'Interface' }]);
  });

  it('is not required: unclaimed ports still go to Unclaimed Open Ports after it', () => {
    expect(names(matchServices({ openPorts: [tcp(40000)], isGateway: true }))).toEqual([
      'Gateway',
      'Unclaimed Open Ports',
    ]);
  });

  it('the derived gateway flag agrees with the catalog', () => {
    expect(catalog.filter(isGatewayDefinition).map((d) => d.id)).toEqual(
      catalog.filter((d) => d.is_gateway_service).map((d) => d.id),
    );
  });
});

describe('vendor gateways and extenders', () => {
  it('splits Eero and Fios devices on IsGateway', () => {
    expect(names(matchServices({ openPorts: [], macVendor: 'eero Inc' }))).toEqual(['Eero Repeater']);
    const fios = [response(80, '/', '<div>Fios router</div>')];
    expect(names(matchServices({ openPorts: [tcp(80)], httpResponses: fios, isGateway: true }))).toEqual([
      'Fios Gateway',
      'Gateway',
    ]);
    expect(names(matchServices({ openPorts: [tcp(80)], httpResponses: fios }))).toEqual(['Fios Extender']);
  });

  it('Switch is a host with HTTP and Telnet that is not a gateway', () => {
    expect(names(matchServices({ openPorts: [tcp(80), tcp(23)] }))).toEqual(['Switch']);
    expect(names(matchServices({ openPorts: [tcp(80), tcp(23)], isGateway: true }))).toEqual([
      'Telnet',
      'Unclaimed Open Ports',
    ]);
  });
});

describe('Unclaimed Open Ports', () => {
  it('runs last and binds every port no other service claimed', () => {
    const result = matchServices({ openPorts: [tcp(22), tcp(40000), udp(40001)] });
    expect(names(result)).toEqual(['SSH', 'Unclaimed Open Ports']);
    const open = service(result, 'Unclaimed Open Ports');
    expect(open.ports).toEqual([tcp(40000), udp(40001)]);
    expect(open.confidence).toBe('NotApplicable');
    expect(result.unclaimedPorts).toEqual([]);
  });

  it('does not match when every port is claimed', () => {
    expect(names(matchServices({ openPorts: [tcp(22)] }))).toEqual(['SSH']);
  });
});

describe('Docker containers', () => {
  const docker = { containerId: '4f2a', containerName: 'homeassistant' };

  it('get exactly one service, the first match in priority order', () => {
    const result = matchServices({
      openPorts: [tcp(22), tcp(8123)],
      httpResponses: [response(8123, '/', 'Home Assistant')],
      docker,
    });
    expect(names(result)).toEqual(['Home Assistant']);
    expect(result.services[0].name).toBe('Home Assistant');
    expect(result.services[0].containerId).toBe('4f2a');
    expect(result.unclaimedPorts).toEqual([tcp(22)]);
  });

  it('a generic match takes the container name', () => {
    const result = matchServices({
      openPorts: [tcp(6379)],
      docker: { containerId: 'r1', containerName: 'cache' },
    });
    expect(names(result)).toEqual(['Redis']);
    expect(result.services[0].name).toBe('cache');
    expect(result.services[0].confidence).toBe('NotApplicable');
  });

  it('fall back to Docker Container when nothing else matches, leaving ports unclaimed', () => {
    const result = matchServices({ openPorts: [tcp(40000)], docker });
    expect(names(result)).toEqual(['Docker Container']);
    expect(result.services[0].name).toBe('homeassistant');
    expect(result.services[0].bindings).toEqual([{ type: 'Interface' }]);
    expect(result.unclaimedPorts).toEqual([tcp(40000)]);
  });

  it('Docker Container needs a container id', () => {
    const result = matchServices({ openPorts: [tcp(40000)], docker: { containerName: 'x' } });
    expect(names(result)).toEqual(['Unclaimed Open Ports']);
  });

  it('Docker Container never matches outside Docker discovery', () => {
    expect(names(matchServices({ openPorts: [] }))).toEqual([]);
  });
});

describe('isGatewayAddress', () => {
  it('uses the known gateways of the subnet when there are any', () => {
    expect(isGatewayAddress('10.77.0.5', ['10.77.0.5'])).toBe(true);
    expect(isGatewayAddress('10.77.0.1', ['10.77.0.5'])).toBe(false);
  });

  it('otherwise accepts addresses ending in 1 or 254', () => {
    expect(
      ['10.77.0.1', '10.77.0.254', '10.77.0.2', '10.77.1.100'].map((ip) => isGatewayAddress(ip, [])),
    ).toEqual([true, true, false, false]);
    expect(
      ['2001:db8::1', '2001:db8::fe', '2001:db8::', '2001:db8::2'].map((ip) => isGatewayAddress(ip, [])),
    ).toEqual([true, true, false, false]);
  });
});
