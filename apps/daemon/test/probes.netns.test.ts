import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { netnsAvailable, NetnsLab, sweepStaleLabs } from '@scanopy/lab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCidr } from '../src/platform/ipv4.ts';
import { parseRouteTable } from '../src/platform/routes.ts';
import {
  connectAndPeek,
  gatewaysOf,
  isGateway,
  lookupHostName,
  netbiosStatus,
  scanHttpEndpoints,
  scanUdpPorts,
} from '../src/probes/index.ts';
import type { LabServicesSpec } from './support/lab-services.ts';

/**
 * Every probe against real sockets of real servers in lab namespaces (10.77.50.0/24–10.77.52.0/24).
 * The probes run in the test process, in the root namespace, which reaches each namespace over its own
 * veth pair; the services are support/lab-services.ts, protocol-correct responders (no DNS, NTP, SNMP
 * or DHCP daemon is installed on the build machines) plus node's own HTTP and HTTPS servers with an
 * openssl-made self-signed certificate.
 */

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const available = await netnsAvailable();
if (!available.ok && process.env.CI) throw new Error(`CI must run the namespace tests: ${available.reason}`);
const title = `protocol probes against lab services${available.ok ? '' : ` (skipped: ${available.reason})`}`;

const SVC = '10.77.50.2'; // DNS, NTP, SNMP, BACnet, mDNS, NetBIOS, HTTP(S), TCP banners
const GW = '10.77.51.2'; // DHCP server, SNMP agent with a non-default community
const FAR = '10.77.52.2'; // HTTP server that must never see a request (redirect target)

interface Service {
  child: ChildProcess;
  events: Array<Record<string, unknown>>;
}

describe.skipIf(!available.ok)(title, () => {
  const lab = new NetnsLab();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'scanopy-probes-'));
  const services = new Map<string, Service>();
  let svcNs = '';

  async function start(ns: string, spec: LabServicesSpec): Promise<Service> {
    const child = lab.spawnIn(
      ns,
      process.execPath,
      ['--import', 'tsx', 'apps/daemon/test/support/lab-services.ts', JSON.stringify(spec)],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const service: Service = { child, events: [] };
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    await new Promise<void>((resolve, reject) => {
      let buffered = '';
      child.stdout?.on('data', (c: Buffer) => {
        buffered += c.toString();
        for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
          const event = JSON.parse(buffered.slice(0, nl)) as Record<string, unknown>;
          buffered = buffered.slice(nl + 1);
          if (event.event === 'ready') resolve();
          else service.events.push(event);
        }
      });
      child.once('exit', (code) => reject(new Error(`lab services in ${ns} exited with ${code}: ${stderr}`)));
    });
    return service;
  }

  const eventsOf = (ip: string, kind: string) =>
    (services.get(ip)?.events ?? []).filter((e) => e.event === kind);

  /** Events arrive over a pipe from another process: waits (up to 5 s) until `count` of a kind are in. */
  async function waitForEvents(
    ip: string,
    kind: string,
    count: number,
  ): Promise<Array<Record<string, unknown>>> {
    const deadline = Date.now() + 5000;
    while (eventsOf(ip, kind).length < count && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return eventsOf(ip, kind);
  }

  beforeAll(async () => {
    await sweepStaleLabs();
    const cert = path.join(tmp, 'cert.pem');
    const key = path.join(tmp, 'key.pem');
    // A self-signed certificate for "lab.test": invalid for the IP the probes connect to, as on real devices.
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=lab.test',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );

    const [svc, gw, far] = await Promise.all([
      lab.addNamespace('s'),
      lab.addNamespace('g'),
      lab.addNamespace('f'),
    ]);
    svcNs = svc;
    for (const [ns, third, suffix] of [
      [svc, 50, 'a'],
      [gw, 51, 'b'],
      [far, 52, 'c'],
    ] as const) {
      await lab.addVeth({
        ns,
        nsIfname: 'eth0',
        nsAddress: `10.77.${third}.2/24`,
        hostSuffix: suffix,
        hostAddress: `10.77.${third}.1/24`,
      });
      const route = await lab.runIn(ns, 'ip', ['route', 'add', 'default', 'via', `10.77.${third}.1`]);
      if (route.code !== 0) throw new Error(`default route in ${ns}: ${route.stderr}`);
    }

    const started = await Promise.all([
      start(svc, {
        dns: {
          a: { 'google.com': '203.0.113.7' },
          ptr: { '2.50.77.10.in-addr.arpa': 'alpha.lab.test' },
        },
        ntp: { stratum: 2 },
        snmp: { community: 'public', sysDescr: 'Lab agent 1.0 (lab-services)' },
        bacnet: { deviceInstance: 1234 },
        mdns: { ptr: { '2.50.77.10.in-addr.arpa': 'alpha.local' } },
        netbios: { name: 'ALPHA', group: 'LABGROUP', mac: '02:11:22:33:44:55' },
        tls: { cert, key },
        http: [
          {
            port: 80,
            kind: 'http',
            routes: {
              '/': { status: 200, headers: { 'X-Lab': 'plain' }, body: '<title>Lab plain</title>' },
              '/to-tls': { status: 302, headers: { Location: `https://${SVC}:8443/secure` } },
              '/offsite': { status: 302, headers: { Location: `http://${FAR}/` }, body: 'moved away' },
            },
          },
          {
            port: 8443,
            kind: 'https',
            routes: {
              '/': { status: 200, body: 'secure root' },
              '/secure': { status: 200, body: 'secure page' },
            },
          },
          { port: 8080, kind: 'sniff', routes: { '/': { status: 200, body: 'behind tls' } } },
        ],
        tcp: [
          { port: 22, mode: 'banner', banner: 'SSH-2.0-LabSSH_1.0\r\n' },
          { port: 4443, mode: 'close' },
          { port: 7000, mode: 'silent' },
          { port: 9100, mode: 'silent' },
        ],
      }),
      start(gw, {
        dhcp: { offer: '10.77.51.100', serverId: GW },
        snmp: { community: 'not-public', sysDescr: 'hidden' },
      }),
      start(far, { http: [{ port: 80, kind: 'http', routes: { '/': { status: 200, body: 'far away' } } }] }),
    ]);
    services.set(SVC, started[0]);
    services.set(GW, started[1]);
    services.set(FAR, started[2]);
  }, 120_000);

  afterAll(async () => {
    await lab.teardown();
    rmSync(tmp, { recursive: true, force: true });
  }, 60_000);

  it('UDP: DNS, NTP, SNMP sysDescr and BACnet answer; ports without a probe are never reported', async () => {
    const findings = await scanUdpPorts(SVC, [53, 67, 123, 161, 515, 1194, 10001, 47808, 51820], {
      isGateway: false,
      ratePps: 500,
    });
    expect(findings.map((f) => f.port)).toEqual([53, 123, 161, 47808]);
    const byProtocol = Object.fromEntries(findings.map((f) => [f.protocol, f]));
    expect(byProtocol.dns).toMatchObject({ rcode: 0, answers: 1 });
    expect(byProtocol.ntp).toMatchObject({ stratum: 2 });
    const ntpTime = byProtocol.ntp?.protocol === 'ntp' ? byProtocol.ntp.serverTime.getTime() : 0;
    expect(Math.abs(ntpTime - Date.now())).toBeLessThan(60_000);
    expect(byProtocol.snmp).toMatchObject({ sysDescr: 'Lab agent 1.0 (lab-services)' });
    expect(byProtocol.bacnet).toMatchObject({ bvlcFunction: 0x0a });
    expect(eventsOf(SVC, 'dns')).toContainEqual({ event: 'dns', name: 'google.com', type: 1 });
    expect(eventsOf(SVC, 'snmp')).toContainEqual({ event: 'snmp', community: 'public' });
  });

  it('UDP: DHCP DISCOVER goes to a gateway only; the OFFER must come from the target', async () => {
    const asHost = await scanUdpPorts(GW, [53, 67, 161], { isGateway: false, ratePps: 500, timeoutMs: 1000 });
    expect(asHost).toEqual([]);
    expect(eventsOf(GW, 'dhcp')).toEqual([]);
    // The agent saw "public" and stayed silent, as agents with another community do.
    expect(eventsOf(GW, 'snmp')).toEqual([{ event: 'snmp', community: 'public' }]);

    const asGateway = await scanUdpPorts(GW, [67], {
      isGateway: true,
      broadcastAddress: '10.77.51.255',
      ratePps: 500,
    });
    expect(asGateway).toEqual([
      { protocol: 'dhcp', port: 67, messageType: 'offer', offeredIp: '10.77.51.100', serverId: GW },
    ]);
    // The DISCOVER went to the subnet broadcast address and to the target: the server saw both.
    const discovers = await waitForEvents(GW, 'dhcp', 2);
    expect(discovers).toHaveLength(2);
    for (const d of discovers) expect(String(d.from)).toMatch(/^10\.77\.51\.1:\d+$/);
  });

  it('names: reverse DNS first, then mDNS, then NetBIOS; null when nobody answers', async () => {
    expect(await lookupHostName(SVC, { dnsServers: [SVC] })).toEqual({
      name: 'alpha.lab.test',
      source: 'dns',
    });
    expect(await lookupHostName(SVC, { sources: ['mdns', 'netbios'] })).toEqual({
      name: 'alpha.local',
      source: 'mdns',
    });
    expect(await lookupHostName(SVC, { sources: ['netbios'] })).toEqual({ name: 'ALPHA', source: 'netbios' });
    expect(await netbiosStatus(SVC)).toEqual({ name: 'ALPHA', group: 'LABGROUP', mac: '02:11:22:33:44:55' });
    expect(eventsOf(SVC, 'mdns')).toContainEqual({
      event: 'mdns',
      name: '2.50.77.10.in-addr.arpa',
      unicastBit: true,
    });
    expect(await lookupHostName(GW, { dnsServers: [SVC] })).toBeNull();
  });

  it('HTTP(S): both schemes, TLS-first ports, self-signed certificates, same-host redirects only', async () => {
    const httpBefore = eventsOf(SVC, 'http').length;
    const results = await scanHttpEndpoints(
      SVC,
      [
        { port: 80, path: '/' },
        { port: 80, path: '/to-tls' },
        { port: 80, path: '/offsite' },
        { port: 8443, path: '/' },
        { port: 8080, path: '/' },
        { port: 81, path: '/' },
        { port: 9100, path: '/' },
      ],
      { batchSize: 200, tlsPorts: new Set([8443]) },
    );
    const summary = results.map((r) => ({
      path: `${r.endpoint.port}${r.endpoint.path}`,
      scheme: r.scheme,
      status: r.status,
      url: r.url,
      body: r.body,
    }));
    expect(summary).toEqual([
      { path: '80/', scheme: 'http', status: 200, url: `http://${SVC}/`, body: '<title>Lab plain</title>' },
      {
        path: '80/to-tls',
        scheme: 'http',
        status: 200,
        url: `https://${SVC}:8443/secure`,
        body: 'secure page',
      },
      { path: '80/offsite', scheme: 'http', status: 302, url: `http://${SVC}/offsite`, body: 'moved away' },
      { path: '8443/', scheme: 'https', status: 200, url: `https://${SVC}:8443/`, body: 'secure root' },
      // Not flagged TLS: plain HTTP came first and got the 400, which was held back for https.
      { path: '8080/', scheme: 'https', status: 200, url: `https://${SVC}:8080/`, body: 'behind tls' },
    ]);
    expect(results[0].headers['x-lab']).toBe('plain');
    // The redirect elsewhere was not followed, and the raw printer port was never touched.
    expect(eventsOf(FAR, 'http')).toEqual([]);
    expect(eventsOf(SVC, 'tcp').filter((e) => e.port === 9100)).toEqual([]);
    // 8443 was asked over https only (https first answered); 8080 over plain first.
    const seen = eventsOf(SVC, 'http').slice(httpBefore);
    expect(seen.filter((e) => e.port === 8443 && e.secure === false)).toEqual([]);
    expect(seen).toContainEqual({ event: 'http', port: 8080, path: 'plain-on-tls', secure: false });
  });

  it('HTTPS with certificate checks on: a self-signed server gives no response', async () => {
    const results = await scanHttpEndpoints(SVC, [{ port: 8443, path: '/' }], {
      batchSize: 200,
      tlsPorts: new Set([8443]),
      acceptInvalidCerts: false,
    });
    expect(results).toEqual([]);
  });

  it('TCP peek: banner, clean close as likely TLS, silence, and the always-TLS ports', async () => {
    const wait = { waitMs: 500 };
    expect(await connectAndPeek(SVC, 22, wait)).toEqual({
      open: true,
      likelyTls: false,
      banner: 'SSH-2.0-LabSSH_1.0\r\n',
    });
    expect(await connectAndPeek(SVC, 4443, wait)).toEqual({ open: true, likelyTls: true, banner: null });
    expect(await connectAndPeek(SVC, 7000)).toEqual({ open: true, likelyTls: false, banner: null });
    // A TLS server waits for the client's hello, so only the port list flags 8443.
    expect(await connectAndPeek(SVC, 8443)).toEqual({ open: true, likelyTls: true, banner: null });
    expect(await connectAndPeek(SVC, 23)).toEqual({ open: false, refused: true });
  });

  it('gateways: the routing table of a namespace names its default gateway', async () => {
    const table = await lab.runIn(svcNs, 'cat', ['/proc/net/route']);
    expect(table.code).toBe(0);
    const gateways = gatewaysOf(parseRouteTable(table.stdout));
    expect(gateways).toEqual(['10.77.50.1']);
    const subnet = parseCidr('10.77.50.0/24')!;
    expect(isGateway('10.77.50.1', gateways, subnet)).toBe(true);
    expect(isGateway('10.77.50.254', gateways, subnet)).toBe(false);
    expect(isGateway(SVC, gateways, subnet)).toBe(false);
  });
});
