import { describe, expect, it } from 'vitest';
import {
  catalog,
  catalogEndpointsByPort,
  catalogHttpEndpoints,
  definitionById,
  httpProbeEndpoints,
  matchServices,
  normalizeProbePath,
  type HostProbe,
} from '../src/index.ts';
import { catalogDefinition, response, tcp } from './builders.ts';

// The rules of service-detection.md §9 that upstream can never match or matches oddly, each fixed on purpose
// (see README).

function matchedIds(probe: HostProbe): string[] {
  return matchServices(probe).services.map((s) => s.definition.id);
}

function probes(port: number, path: string): boolean {
  return catalogHttpEndpoints.some((e) => e.port === port && e.path === path);
}

describe('fix: endpoints with a status range are probed', () => {
  const cases: [id: string, port: number, path: string, body: string][] = [
    ['ansible_awx', 80, '/api/v2/', '{"description":"AWX REST API"}'],
    ['bigbluebutton', 80, '/bigbluebutton/api', '<response><returncode>SUCCESS</returncode></response>'],
    ['freeipa', 80, '/ipa/ui', '<html>Identity Management</html>'],
    ['jira_server', 8080, '/rest/api/2/serverInfo', '{"serverTitle":"Jira"}'],
    ['minio', 9000, '/minio/health/live', ''],
    ['tyk', 8080, '/hello', '{"status":"pass","description":"Tyk GW"}'],
  ];

  it.each(cases)(
    '%s: its endpoint is in the probe list and a 2xx response matches',
    (id, port, path, body) => {
      expect(probes(port, path)).toBe(true);
      expect(matchedIds({ openPorts: [tcp(port)], httpResponses: [response(port, path, body)] })).toContain(
        id,
      );
    },
  );

  it('the range still applies: a 3xx does not match a [200,300) endpoint', () => {
    const probe = {
      openPorts: [tcp(8080)],
      httpResponses: [response(8080, '/hello', 'tyk', { status: 302 })],
    };
    expect(matchedIds(probe)).not.toContain('tyk');
  });
});

describe('fix: the empty range 401..401 means "exactly 401"', () => {
  it('CrowdSec matches its 401 answer', () => {
    const answer = response(8080, '/v1/allowlists', '{"message":"cookie token is empty"}', { status: 401 });
    expect(probes(8080, '/v1/allowlists')).toBe(true);
    expect(matchedIds({ openPorts: [tcp(8080)], httpResponses: [answer] })).toContain('crowdsec');
    const ok = response(8080, '/v1/allowlists', 'cookie token is empty', { status: 200 });
    expect(matchedIds({ openPorts: [tcp(8080)], httpResponses: [ok] })).not.toContain('crowdsec');
  });

  it('Plex matches through its X-Plex-Protocol header on a 401, not only through /web/index.html', () => {
    const answer = response(32400, '/', 'Unauthorized', {
      status: 401,
      headers: { 'x-plex-protocol': '1.0' },
    });
    expect(probes(32400, '/')).toBe(true);
    expect(matchedIds({ openPorts: [tcp(32400)], httpResponses: [answer] })).toContain('plex');
    const ok = response(32400, '/', '', { status: 200, headers: { 'x-plex-protocol': '1.0' } });
    expect(matchedIds({ openPorts: [tcp(32400)], httpResponses: [ok] })).not.toContain('plex');
  });
});

describe('fix: paths with a fragment or an empty path are requested and compared as sent', () => {
  it('requests / once for all of them', () => {
    expect(catalogEndpointsByPort.get(80)?.filter((p) => p === '/')).toEqual(['/']);
  });

  it('normalises the probe path the way an HTTP client sends it', () => {
    expect(['/#/login/', '/#!/auth', '', '/api#x', '/web/index.html'].map(normalizeProbePath)).toEqual([
      '/',
      '/',
      '/',
      '/api',
      '/web/index.html',
    ]);
    expect(catalogHttpEndpoints.filter((e) => e.path === '' || e.path.includes('#'))).toEqual([]);
  });

  it('Fios Gateway matches the page served at / on a gateway', () => {
    const fios = {
      openPorts: [tcp(80)],
      httpResponses: [response(80, '/', 'Verizon Fios Router')],
      isGateway: true,
    };
    expect(matchedIds(fios)).toContain('fios_gateway');
    // A caller that stored the response under the literal pattern path still matches.
    expect(matchedIds({ ...fios, httpResponses: [response(80, '/#/login/', 'Fios')] })).toContain(
      'fios_gateway',
    );
  });

  it('Portainer matches on 9443 through its /#!/auth endpoint', () => {
    expect(probes(9443, '/')).toBe(true);
    const probe = {
      openPorts: [tcp(9443)],
      httpResponses: [response(9443, '/', '<a href="https://portainer.io">')],
    };
    expect(matchedIds(probe)).toContain('portainer');
  });

  it('HP printers and Nginx Proxy Manager match the page served at /', () => {
    const hp = { openPorts: [tcp(80), tcp(631)], httpResponses: [response(80, '/', 'HP LaserJet Pro')] };
    expect(matchedIds(hp)).toContain('hp_printer');
    const npm = { openPorts: [tcp(80)], httpResponses: [response(80, '/', 'Nginx Proxy Manager')] };
    expect(matchedIds(npm)).toContain('nginx_proxy_manager');
  });
});

describe('fix: endpoints under `not` are probed', () => {
  it("Overseerr's exclusion endpoint is probed without relying on Jellyseerr", () => {
    const overseerr = catalogDefinition('overseerr');
    expect(httpProbeEndpoints([overseerr])).toEqual([
      { port: 5055, path: '/site.webmanifest' },
      { port: 5055, path: '/' },
    ]);
  });

  it('Overseerr matches its manifest unless / says Jellyseerr', () => {
    const manifest = response(5055, '/site.webmanifest', '{"name":"Overseerr"}');
    expect(
      matchedIds({ openPorts: [tcp(5055)], httpResponses: [manifest, response(5055, '/', 'Overseerr')] }),
    ).toEqual(['overseerr']);
    expect(
      matchedIds({
        openPorts: [tcp(5055)],
        httpResponses: [manifest, response(5055, '/', '<title>Jellyseerr</title>')],
      }),
    ).toEqual(['jellyseerr']);
  });
});

describe('Salt Project', () => {
  it('is left out: the fork-only definition does not compile and its any/all intent is unknown', () => {
    expect(definitionById('saltproject')).toBeUndefined();
    expect(catalog.some((d) => d.name === 'Salt Project')).toBe(false);
  });
});
