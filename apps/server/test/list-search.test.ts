import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, registerOwner, startTestServer, type TestServer } from './harness.ts';

describe.each(backends)('list search and the subnet type filter on %s', (backend) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(backend);
  });
  afterAll(async () => s?.close());

  it('finds rows whose searchable columns contain the term, in the list and its CSV export', async () => {
    const { client, networkId } = await registerOwner(s.app);
    const add = (name: string, cidr: string, subnet_type: string) =>
      client.json('POST', '/api/v1/subnets', { network_id: networkId, cidr, name, subnet_type });
    await add('Office LAN', '10.20.1.0/24', 'Lan');
    await add('Guest Wi-Fi', '10.20.2.0/24', 'Guest');
    await add('Lab 100%_x', '10.30.0.0/16', 'Lan');

    const names = async (query: string) =>
      ((await client.json('GET', `/api/v1/subnets?network_id=${networkId}&${query}`)) as { name: string }[])
        .map((r) => r.name)
        .sort();
    expect(await names('search=office')).toEqual(['Office LAN']);
    // The CIDR is searchable too, and LIKE wildcards in the term are literal characters.
    expect(await names('search=10.20.')).toEqual(['Guest Wi-Fi', 'Office LAN']);
    expect(await names(`search=${encodeURIComponent('100%_')}`)).toEqual(['Lab 100%_x']);
    expect(await names(`search=${encodeURIComponent('%')}`)).toEqual(['Lab 100%_x']);
    expect(await names('subnet_type=Guest')).toEqual(['Guest Wi-Fi']);
    expect(await names('subnet_type=Lan&search=lab')).toEqual(['Lab 100%_x']);

    const csv = await s.app.inject({
      method: 'GET',
      url: `/api/v1/subnets/export/csv?network_id=${networkId}&search=wi-fi`,
      headers: { cookie: `session_id=${client.cookie}` },
    });
    expect(csv.statusCode).toBe(200);
    const rows = csv.body.trim().split('\n');
    expect(rows).toHaveLength(2);
    expect(rows[1]).toContain('Guest Wi-Fi');
  });

  it('refuses an unknown subnet type', async () => {
    const { client } = await registerOwner(s.app);
    const res = await s.app.inject({
      method: 'GET',
      url: '/api/v1/subnets?subnet_type=Nope',
      headers: { cookie: `session_id=${client.cookie}` },
    });
    expect(res.statusCode).toBe(400);
  });
});

describe.each(backends)('host search and filters on %s', (backend) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(backend);
  });
  afterAll(async () => s?.close());

  it('searches hosts by name, hostname and description, filters hidden and virtualized ones, and services by name', async () => {
    const { client, networkId } = await registerOwner(s.app);
    const host = (name: string, extra: Record<string, unknown> = {}) =>
      client.json('POST', '/api/v1/hosts', { name, network_id: networkId, tags: [], ...extra });
    const nas = await host('nas', { hostname: 'files.lan' });
    await host('printer', { description: 'Office laser', hidden: true });
    const pve = await host('pve');
    await client.json('POST', '/api/v1/services', {
      host_id: pve.id,
      network_id: networkId,
      name: 'Proxmox VE',
      service_definition: 'Proxmox',
      tags: [],
    });
    const proxmox = (
      (await client.json('GET', `/api/v1/services?network_id=${networkId}&search=proxmox`)) as {
        id: string;
      }[]
    )[0]!;
    await host('vm-1', {
      virtualization: { type: 'Proxmox', details: { service_id: proxmox.id, vm_id: '101', vm_name: 'vm-1' } },
    });

    const names = async (query: string) =>
      ((await client.json('GET', `/api/v1/hosts?network_id=${networkId}&${query}`)) as { name: string }[])
        .map((r) => r.name)
        .sort();
    expect(await names('search=FILES')).toEqual(['nas']);
    expect(await names('search=laser')).toEqual(['printer']);
    expect(await names('hidden=true')).toEqual(['printer']);
    expect(await names('hidden=false&virtualized=false')).toEqual(['nas', 'pve']);
    expect(await names('virtualized=true')).toEqual(['vm-1']);
    expect(nas.hostname).toBe('files.lan');
  });
});
