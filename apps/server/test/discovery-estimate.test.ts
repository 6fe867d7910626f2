import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { estimateScan, PRESETS } from '@scanopy/detection';
import { registerOwner, startTestServer, type TestServer } from './harness.ts';

describe('discovery estimate', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer('pglite');
  });
  afterAll(async () => s?.close());

  it('reports probes, duration and per-host rate for the chosen subnets, preset and ports', async () => {
    const { client, networkId } = await registerOwner(s.app);
    const lan = await client.json('POST', '/api/v1/subnets', {
      network_id: networkId,
      cidr: '10.77.90.0/24',
      name: 'lan',
      subnet_type: 'Lan',
    });
    const small = await client.json('POST', '/api/v1/subnets', {
      network_id: networkId,
      cidr: '10.77.91.0/28',
      name: 'dmz',
      subnet_type: 'Dmz',
    });
    const all = await client.json('GET', `/api/v1/subnets?network_id=${networkId}`);
    const internet = all.find((x: { subnet_type: string }) => x.subnet_type === 'Internet');
    const e = await client.json('POST', '/api/v1/discovery/estimate', {
      network_id: networkId,
      subnet_ids: [lan.id, small.id, internet.id],
      scan_preset: 'polite',
      ports: '1-1000',
    });
    // 254 + 14 addresses; the Internet system subnet is never swept.
    expect(e.subnets).toEqual(['10.77.90.0/24', '10.77.91.0/28']);
    // Host discovery sweeps every address first; no host is known yet, so no address is assumed live: each host
    // found adds at most per_host_duration_s (not 268 × 1000 probes).
    expect(e).toMatchObject({ addresses: 268, hosts: 0, ports_per_host: 1000, probes: 0, preset: 'polite' });
    expect(e.host_discovery_s).toBeGreaterThan(0);
    expect(e.per_host_pps).toBeLessThanOrEqual(PRESETS.polite.scan_rate_pps);
    expect(e.per_host_duration_s).toBe(10);
    // The same arithmetic the daemon uses.
    expect(e).toMatchObject(estimateScan(0, 1000, PRESETS.polite, 268));

    const fast = await client.json('POST', '/api/v1/discovery/estimate', {
      network_id: networkId,
      subnet_ids: [lan.id],
      scan_preset: 'fast',
    });
    // Default ports: the catalog's first, then the full range (each port once).
    expect(fast.ports_per_host).toBe(65535);
    expect(fast.per_host_pps).toBeGreaterThan(e.per_host_pps);
  });

  it('answers 400 with the reason for a bad port list or a missing daemon', async () => {
    const { client, networkId } = await registerOwner(s.app);
    const bad = await client.req('POST', '/api/v1/discovery/estimate', {
      network_id: networkId,
      subnet_ids: [],
      ports: '80-70000',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatch(/ports/);
    const noDaemon = await client.req('POST', '/api/v1/discovery/estimate', {
      network_id: networkId,
      subnet_ids: null,
    });
    expect(noDaemon.statusCode).toBe(400);
    expect(noDaemon.json().error).toMatch(/daemon_id/);
  });
});
