import { describe, expect, it } from 'vitest';
import { Value } from 'typebox/value';
import { DiscoveryHostRequest, type DiscoveryMetadata } from '@scanopy/contracts';
import { buildHostReport, type ScannedHost } from './report.ts';

const networkId = '2b7c6f0e-8f8e-4d8a-9a53-3f8c2b1f0a03';
const metadata: DiscoveryMetadata = {
  type: 'Network',
  subnet_ids: null,
  host_naming_fallback: 'BestService',
  daemon_id: 'ab7c6f0e-8f8e-4d8a-9a53-3f8c2b1f0a12',
  date: '2026-01-02T03:04:05Z',
};

const host = (over: Partial<ScannedHost> = {}): ScannedHost => ({
  ip: '10.77.60.5',
  subnetId: '4b7c6f0e-8f8e-4d8a-9a53-3f8c2b1f0a05',
  subnetType: 'Lan',
  mac: 'aa:bb:cc:00:00:05',
  macVendor: null,
  hostname: null,
  isGateway: false,
  openTcp: [],
  openUdp: [],
  http: [],
  ...over,
});

describe('network discovery host report', () => {
  it('identifies services, binds them to the scanned interface and keeps every open port', () => {
    const r = buildHostReport(
      host({
        openTcp: [22, 8123, 40000],
        http: [{ port: 8123, path: '/', status: 200, headers: {}, body: '<title>Home Assistant</title>' }],
      }),
      { networkId, metadata, namingFallback: 'BestService' },
    );
    expect(
      Value.Check(DiscoveryHostRequest, r),
      JSON.stringify([...Value.Errors(DiscoveryHostRequest, r)]),
    ).toBe(true);
    expect(r.ports.map((p) => p.number).sort((a, b) => a - b)).toEqual([22, 8123, 40000]);
    const defs = r.services.map((s) => s.service_definition);
    expect(defs).toEqual(expect.arrayContaining(['Home Assistant', 'SSH', 'Unclaimed Open Ports']));
    const ha = r.services.find((s) => s.service_definition === 'Home Assistant')!;
    const port8123 = r.ports.find((p) => p.number === 8123)!;
    expect(ha.bindings).toEqual([
      expect.objectContaining({ type: 'Port', port_id: port8123.id, interface_id: r.interfaces[0].id }),
    ]);
    expect(ha.source).toMatchObject({
      type: 'DiscoveryWithMatch',
      details: { confidence: expect.any(String) },
    });
    // No reverse-DNS name: the best specific service names the host.
    expect(r.host.name).toBe('Home Assistant');
    expect(r.interfaces[0]).toMatchObject({ ip_address: '10.77.60.5', mac_address: 'aa:bb:cc:00:00:05' });
  });

  it('names hosts by hostname first, then by the IP when asked to or when nothing specific matched', () => {
    const ctx = { networkId, metadata, namingFallback: 'BestService' as const };
    expect(buildHostReport(host({ hostname: 'nas.lan', openTcp: [22] }), ctx).host.name).toBe('nas.lan');
    expect(buildHostReport(host({ openTcp: [22] }), { ...ctx, namingFallback: 'Ip' }).host.name).toBe(
      '10.77.60.5',
    );
    expect(buildHostReport(host(), ctx).host.name).toBe('10.77.60.5');
  });

  it('records UDP services found by protocol probes', () => {
    const r = buildHostReport(host({ openUdp: [53] }), { networkId, metadata, namingFallback: 'Ip' });
    expect(r.ports).toEqual([expect.objectContaining({ number: 53, protocol: 'Udp' })]);
    expect(r.services.map((s) => s.service_definition)).toContain('DNS Server');
  });
});

describe('network discovery port plan', () => {
  it('probes the catalog ports first, within the chosen ranges only', async () => {
    const { portPlan } = await import('./network-discovery.ts');
    const { planSize, portOrder, catalogTcpPorts } = await import('@scanopy/detection');
    const all = portPlan(null);
    expect(planSize(all)).toBe(65535);
    expect([...portOrder(all)].slice(0, catalogTcpPorts.length)).toEqual([...new Set(catalogTcpPorts)]);
    expect(planSize(portPlan('catalog'))).toBe(new Set(catalogTcpPorts).size);
    const some = portPlan('1-1024');
    const order = [...portOrder(some)];
    expect(order).toHaveLength(1024);
    expect(order.slice(0, some.priority.length).every((p) => catalogTcpPorts.includes(p) && p <= 1024)).toBe(
      true,
    );
    expect(() => portPlan('80-70000')).toThrow();
  });
});
