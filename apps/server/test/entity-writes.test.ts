import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { backends, Client, registerOwner, resetDb, startTestServer, type TestServer } from './harness.ts';
import { sqlRows } from './sql.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON payloads
type Json = Record<string, any>;

/** An owner with a network and one LAN subnet, the starting point of every test. */
async function world(s: TestServer) {
  const owner = await registerOwner(s.app);
  const c = owner.client;
  const subnet = await c.json('POST', '/api/v1/subnets', {
    network_id: owner.networkId,
    cidr: '10.1.0.0/24',
    name: 'lan',
    subnet_type: 'Lan',
  });
  return { ...owner, c, subnet };
}

/** A client authenticating with a user API key of the given role on the owner's network. */
async function keyClient(
  s: TestServer,
  owner: Client,
  networkId: string,
  role: 'Viewer' | 'Member' | 'Admin',
) {
  const { key } = await owner.json('POST', '/api/v1/auth/keys', {
    name: role,
    permissions: role,
    network_ids: [networkId],
  });
  const c = new Client(s.app);
  c.headers = { authorization: `Bearer ${key}` };
  return c;
}

function hostBody(
  networkId: string,
  subnetId: string,
  ip = '10.1.0.10',
  mac: string | null = 'AA-BB-CC-00-00-01',
) {
  const iface = randomUUID();
  const port = randomUUID();
  return {
    name: 'web',
    network_id: networkId,
    hostname: 'web.lan',
    description: '',
    tags: [],
    interfaces: [{ id: iface, subnet_id: subnetId, ip_address: ip, mac_address: mac, name: 'eth0' }],
    ports: [{ id: port, number: 443, protocol: 'Tcp' }],
    services: [
      {
        id: randomUUID(),
        name: 'nginx',
        service_definition: 'Nginx',
        bindings: [{ id: randomUUID(), type: 'Port', port_id: port, interface_id: iface }],
      },
    ],
  };
}

/** The UpdateHostRequest a client builds from a HostResponse (children as they are). */
function updateBody(h: Json, over: Json = {}) {
  return {
    id: h.id,
    name: h.name,
    hidden: h.hidden,
    tags: h.tags,
    hostname: h.hostname,
    description: h.description,
    expected_updated_at: h.updated_at,
    ...over,
  };
}

describe.each(backends)('entity create and update routes on %s', (backend) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(backend);
  });
  afterAll(async () => s?.close());
  beforeEach(async () => resetDb(s.db));

  it('creates a host with children whose bindings use client ids, forcing a Manual source', async () => {
    const { c, networkId, subnet } = await world(s);
    const tag = await c.json('POST', '/api/v1/tags', { name: 'prod', color: 'Red' });
    const body = { ...hostBody(networkId, subnet.id), tags: [tag.id] };
    const h = await c.json('POST', '/api/v1/hosts', body);
    expect(h.source).toEqual({ type: 'Manual' });
    expect(h.description).toBeNull();
    expect(h.tags).toEqual([tag.id]);
    expect(h.interfaces).toMatchObject([
      {
        id: body.interfaces[0].id,
        ip_address: '10.1.0.10',
        mac_address: 'aa:bb:cc:00:00:01',
        position: 0,
        host_id: h.id,
      },
    ]);
    expect(h.ports).toMatchObject([{ id: body.ports[0].id, number: 443, protocol: 'Tcp', type: 'Https' }]);
    expect(h.services[0].source).toEqual({ type: 'Manual' });
    expect(h.services[0].bindings).toMatchObject([
      {
        type: 'Port',
        port_id: body.ports[0].id,
        interface_id: body.interfaces[0].id,
        service_id: h.services[0].id,
      },
    ]);
    expect(await c.json('GET', `/api/v1/hosts/${h.id}`)).toEqual(h);
  });

  it('refuses a second host with the same subnet and IP or the same MAC', async () => {
    const { c, networkId, subnet } = await world(s);
    await c.json('POST', '/api/v1/hosts', hostBody(networkId, subnet.id));
    const sameIp = await c.req('POST', '/api/v1/hosts', hostBody(networkId, subnet.id, '10.1.0.10', null));
    expect(sameIp.statusCode).toBe(409);
    expect(sameIp.json().code).toBe('entity_already_exists');
    const sameMac = await c.req(
      'POST',
      '/api/v1/hosts',
      hostBody(networkId, subnet.id, '10.1.0.11', 'aa:bb:cc:00:00:01'),
    );
    expect(sameMac.statusCode).toBe(409);
    expect(await c.json('GET', '/api/v1/hosts')).toHaveLength(1);
  });

  it('rejects an interface outside its subnet and leaves nothing behind', async () => {
    const { c, networkId, subnet } = await world(s);
    const r = await c.req('POST', '/api/v1/hosts', hostBody(networkId, subnet.id, '10.9.0.1'));
    expect(r.statusCode).toBe(400);
    expect(r.json().code).toBe('interface_ip_out_of_range');
    const bad = await c.req('POST', '/api/v1/hosts', hostBody(networkId, subnet.id, 'not-an-ip'));
    expect(bad.statusCode).toBe(400);
    expect(await c.json('GET', '/api/v1/hosts')).toHaveLength(0);
  });

  it('syncs children in one PUT: adds, updates and removes, keeps MACs and renumbers positions', async () => {
    const { c, networkId, subnet } = await world(s);
    const h = await c.json('POST', '/api/v1/hosts', hostBody(networkId, subnet.id));
    const [eth0] = h.interfaces;
    const newIface = randomUUID();
    const newPort = randomUUID();
    const svc = h.services[0];
    const updated = await c.json(
      'PUT',
      `/api/v1/hosts/${h.id}`,
      updateBody(h, {
        name: 'web-renamed',
        hidden: true,
        interfaces: [
          { id: newIface, subnet_id: subnet.id, ip_address: '10.1.0.20', name: 'eth1', position: 0 },
          // An attempt to change the MAC of an interface that has one is ignored.
          {
            id: eth0.id,
            subnet_id: subnet.id,
            ip_address: eth0.ip_address,
            mac_address: '11:22:33:44:55:66',
            name: 'lan0',
            position: 1,
          },
        ],
        ports: [{ id: newPort, number: 22, protocol: 'Tcp' }],
        services: [
          {
            id: svc.id,
            name: 'ssh',
            service_definition: 'OpenSSH',
            bindings: [{ id: randomUUID(), type: 'Port', port_id: newPort, interface_id: null }],
          },
          {
            id: randomUUID(),
            name: 'gateway',
            service_definition: 'Gateway',
            bindings: [{ id: randomUUID(), type: 'Interface', interface_id: newIface }],
          },
        ],
      }),
    );
    expect(updated.name).toBe('web-renamed');
    expect(updated.hidden).toBe(true);
    expect(updated.source).toEqual({ type: 'Manual' });
    expect(updated.interfaces.map((i: Json) => [i.id, i.position, i.name, i.mac_address])).toEqual([
      [newIface, 0, 'eth1', null],
      [eth0.id, 1, 'lan0', 'aa:bb:cc:00:00:01'],
    ]);
    expect(updated.ports.map((p: Json) => [p.id, p.type])).toEqual([[newPort, 'Ssh']]);
    expect(updated.services.map((x: Json) => x.name)).toEqual(['ssh', 'gateway']);
    expect(updated.services[0].id).toBe(svc.id);
    expect(updated.services[0].bindings).toMatchObject([
      { type: 'Port', port_id: newPort, interface_id: null },
    ]);
    expect(updated.services[1].bindings).toMatchObject([{ type: 'Interface', interface_id: newIface }]);
    // The removed port took its old binding with it.
    expect(await sqlRows(s.db, 'SELECT 1 FROM ports WHERE id = $1', [h.ports[0].id])).toHaveLength(0);
    expect(await sqlRows(s.db, 'SELECT 1 FROM bindings WHERE port_id = $1', [h.ports[0].id])).toHaveLength(0);

    // Without child arrays (or with null) the children stay as they are.
    const same = await c.json(
      'PUT',
      `/api/v1/hosts/${h.id}`,
      updateBody(updated, { description: 'edge box', ports: null }),
    );
    expect(same.description).toBe('edge box');
    expect(same.interfaces).toEqual(updated.interfaces);
    expect(same.ports).toEqual(updated.ports);
    expect(same.services.map((x: Json) => x.id)).toEqual(updated.services.map((x: Json) => x.id));
  });

  it('refuses a host update based on a stale updated_at with 409', async () => {
    const { c, networkId, subnet } = await world(s);
    const h = await c.json('POST', '/api/v1/hosts', hostBody(networkId, subnet.id));
    await sqlRows(s.db, "UPDATE hosts SET updated_at = updated_at - interval '1 minute' WHERE id = $1", [
      h.id,
    ]);
    const fresh = await c.json('GET', `/api/v1/hosts/${h.id}`);
    await c.json('PUT', `/api/v1/hosts/${h.id}`, updateBody(fresh, { name: 'first' }));
    const stale = await c.req('PUT', `/api/v1/hosts/${h.id}`, updateBody(fresh, { name: 'second' }));
    expect(stale.statusCode).toBe(409);
    expect(stale.json().code).toBe('entity_update_conflict');
    expect((await c.json('GET', `/api/v1/hosts/${h.id}`)).name).toBe('first');
    // Without expected_updated_at the write is unconditional.
    await c.json(
      'PUT',
      `/api/v1/hosts/${h.id}`,
      updateBody(fresh, { name: 'third', expected_updated_at: undefined }),
    );
  });

  it('creates, updates and deletes interfaces with positions, MAC immutability and range checks', async () => {
    const { c, networkId, subnet } = await world(s);
    const h = await c.json('POST', '/api/v1/hosts', hostBody(networkId, subnet.id));
    const base = { host_id: h.id, network_id: networkId, subnet_id: subnet.id };
    const i2 = await c.json('POST', '/api/v1/interfaces', {
      ...base,
      ip_address: '10.1.0.11',
      mac_address: null,
      name: 'eth1',
    });
    expect(i2.position).toBe(1);
    const dup = await c.req('POST', '/api/v1/interfaces', { ...base, ip_address: '10.1.0.11' });
    expect(dup.statusCode).toBe(409);
    const out = await c.req('POST', '/api/v1/interfaces', { ...base, ip_address: '198.51.100.1' });
    expect(out.json().code).toBe('interface_ip_out_of_range');

    const moved = await c.json('PUT', `/api/v1/interfaces/${i2.id}`, {
      ...base,
      ip_address: '10.1.0.12',
      mac_address: 'aa:aa:aa:aa:aa:aa',
      name: 'eth1',
      position: 0,
    });
    expect(moved).toMatchObject({ ip_address: '10.1.0.12', mac_address: 'aa:aa:aa:aa:aa:aa', position: 0 });
    const again = await c.json('PUT', `/api/v1/interfaces/${i2.id}`, {
      ...base,
      ip_address: '10.1.0.12',
      mac_address: 'bb:bb:bb:bb:bb:bb',
      position: 0,
    });
    expect(again.mac_address).toBe('aa:aa:aa:aa:aa:aa');
    const listed = await c.json('GET', `/api/v1/interfaces?host_id=${h.id}`);
    expect(
      listed.sort((a: Json, b: Json) => a.position - b.position).map((i: Json) => [i.id, i.position]),
    ).toEqual([
      [i2.id, 0],
      [h.interfaces[0].id, 1],
    ]);
    const other = await c.json('POST', '/api/v1/hosts', {
      ...hostBody(networkId, subnet.id, '10.1.0.50', null),
      name: 'other',
    });
    const move = await c.req('PUT', `/api/v1/interfaces/${i2.id}`, {
      ...base,
      host_id: other.id,
      ip_address: '10.1.0.12',
    });
    expect(move.statusCode).toBe(400);

    await c.json('DELETE', `/api/v1/interfaces/${i2.id}`);
    expect((await c.req('GET', `/api/v1/interfaces/${i2.id}`)).statusCode).toBe(404);
  });

  it('creates, updates and deletes ports with derived types and unique number/protocol', async () => {
    const { c, networkId, subnet } = await world(s);
    const h = await c.json('POST', '/api/v1/hosts', hostBody(networkId, subnet.id));
    const base = { host_id: h.id, network_id: networkId };
    const ssh = await c.json('POST', '/api/v1/ports', { ...base, number: 22, protocol: 'Tcp' });
    expect(ssh.type).toBe('Ssh');
    const dup = await c.req('POST', '/api/v1/ports', { ...base, number: 22, protocol: 'Tcp' });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().code).toBe('entity_already_exists');
    expect((await c.json('POST', '/api/v1/ports', { ...base, number: 22, protocol: 'Udp' })).type).toBe(
      'Custom',
    );
    const clash = await c.req('PUT', `/api/v1/ports/${ssh.id}`, { ...base, number: 443, protocol: 'Tcp' });
    expect(clash.statusCode).toBe(409);
    const web = await c.json('PUT', `/api/v1/ports/${ssh.id}`, {
      ...base,
      number: 8080,
      protocol: 'Tcp',
      type: 'Ssh',
    });
    expect(web).toMatchObject({ id: ssh.id, number: 8080, type: 'Http8080' });
    await c.json('DELETE', `/api/v1/ports/${ssh.id}`);
    expect(await sqlRows(s.db, 'SELECT 1 FROM ports WHERE id = $1', [ssh.id])).toHaveLength(0);
  });

  it('creates, updates and deletes services and bindings with the binding rules', async () => {
    const { c, networkId, subnet } = await world(s);
    const h = await c.json('POST', '/api/v1/hosts', hostBody(networkId, subnet.id));
    const iface = h.interfaces[0].id;
    const port = h.ports[0].id;
    const svc = await c.json('POST', '/api/v1/services', {
      host_id: h.id,
      network_id: networkId,
      name: 'api',
      service_definition: 'Custom',
      tags: [],
      bindings: [{ type: 'Port', port_id: port, interface_id: iface }],
    });
    expect(svc.position).toBe(1);
    expect(svc.source).toEqual({ type: 'Manual' });
    expect(svc.bindings).toMatchObject([{ type: 'Port', port_id: port, interface_id: iface }]);
    const base = { service_id: svc.id, network_id: networkId };

    // An Interface binding may not share an interface with a Port binding of the same service.
    const conflict = await c.req('POST', '/api/v1/bindings', {
      ...base,
      type: 'Interface',
      interface_id: iface,
    });
    expect(conflict.statusCode).toBe(400);
    expect(conflict.json().error).toContain('both an Interface binding and a Port binding');
    // Binding the port on all interfaces absorbs the interface-specific binding.
    const all = await c.json('POST', '/api/v1/bindings', {
      ...base,
      type: 'Port',
      port_id: port,
      interface_id: null,
    });
    const after = await c.json('GET', `/api/v1/services/${svc.id}`);
    expect(after.bindings.map((b: Json) => b.id)).toEqual([all.id]);
    const redundant = await c.req('POST', '/api/v1/bindings', {
      ...base,
      type: 'Port',
      port_id: port,
      interface_id: iface,
    });
    expect(redundant.statusCode).toBe(409);

    // Targets must be on the service's host.
    const other = await c.json('POST', '/api/v1/hosts', {
      ...hostBody(networkId, subnet.id, '10.1.0.60', null),
      name: 'other',
    });
    const foreign = await c.req('POST', '/api/v1/bindings', {
      ...base,
      type: 'Port',
      port_id: other.ports[0].id,
      interface_id: null,
    });
    expect(foreign.statusCode).toBe(400);
    expect(foreign.json().error).toContain("service's host");

    const asIface = await c.json('PUT', `/api/v1/bindings/${all.id}`, {
      ...base,
      type: 'Interface',
      interface_id: iface,
    });
    expect(asIface).toEqual(expect.objectContaining({ id: all.id, type: 'Interface', interface_id: iface }));
    expect(asIface).not.toHaveProperty('port_id');

    const renamed = await c.json('PUT', `/api/v1/services/${svc.id}`, {
      ...after,
      name: 'api-v2',
      bindings: [{ type: 'Port', port_id: port, interface_id: null }],
    });
    expect(renamed.name).toBe('api-v2');
    expect(renamed.source).toEqual({ type: 'Manual' });
    expect(renamed.bindings).toMatchObject([{ type: 'Port', port_id: port, interface_id: null }]);
    await c.json('DELETE', `/api/v1/bindings/${renamed.bindings[0].id}`);
    expect((await c.json('GET', `/api/v1/services/${svc.id}`)).bindings).toEqual([]);
    await c.json('DELETE', `/api/v1/services/${svc.id}`);
    expect((await c.req('GET', `/api/v1/services/${svc.id}`)).statusCode).toBe(404);
  });

  it('creates, updates and deletes tags with unique names per organization', async () => {
    const { c, networkId } = await world(s);
    const t = await c.json('POST', '/api/v1/tags', { name: 'prod', description: 'live', color: 'Red' });
    expect(t).toMatchObject({ name: 'prod', description: 'live', color: 'Red' });
    const dup = await c.req('POST', '/api/v1/tags', { name: 'prod', color: 'Blue' });
    expect(dup.statusCode).toBe(409);
    expect((await c.req('POST', '/api/v1/tags', { name: 'x', color: 'Magenta' })).statusCode).toBe(400);
    expect((await c.req('POST', '/api/v1/tags', { name: '', color: 'Red' })).statusCode).toBe(400);
    const t2 = await c.json('POST', '/api/v1/tags', { name: 'dev', color: 'Green' });
    expect((await c.req('PUT', `/api/v1/tags/${t2.id}`, { name: 'prod', color: 'Green' })).statusCode).toBe(
      409,
    );
    const member = await keyClient(s, c, networkId, 'Member');
    expect((await member.req('POST', '/api/v1/tags', { name: 'm', color: 'Red' })).statusCode).toBe(403);
    const renamed = await member.json('PUT', `/api/v1/tags/${t2.id}`, { name: 'staging', color: 'Teal' });
    expect(renamed).toMatchObject({ id: t2.id, name: 'staging', color: 'Teal', description: null });
    // Another organization may use the same name.
    const stranger = await registerOwner(s.app);
    await stranger.client.json('POST', '/api/v1/tags', { name: 'prod', color: 'Red' });
    // ...but not tag our entities with its tags.
    const foreignTag = (await stranger.client.json('GET', '/api/v1/tags'))[0];
    const r = await c.req('POST', '/api/v1/hosts', {
      name: 'h',
      network_id: networkId,
      tags: [foreignTag.id],
    });
    expect(r.statusCode).toBe(400);
    await c.json('DELETE', `/api/v1/tags/${t.id}`);
    expect((await c.json('GET', '/api/v1/tags')).map((x: Json) => x.name)).toEqual(['staging']);
  });

  it('rejects references to another network or another organization', async () => {
    const { c, networkId, subnet } = await world(s);
    const net2 = await c.json('POST', '/api/v1/networks', { name: 'second' });
    const subnet2 = await c.json('POST', '/api/v1/subnets', {
      network_id: net2.id,
      cidr: '10.1.0.0/24',
      name: 'lan2',
      subnet_type: 'Lan',
    });
    const mismatch = await c.req('POST', '/api/v1/hosts', hostBody(networkId, subnet2.id));
    expect(mismatch.statusCode).toBe(400);
    expect(mismatch.json().code).toBe('entity_network_mismatch');
    const h = await c.json('POST', '/api/v1/hosts', hostBody(networkId, subnet.id));
    const wrongNet = await c.req('POST', '/api/v1/interfaces', {
      host_id: h.id,
      network_id: net2.id,
      subnet_id: subnet2.id,
      ip_address: '10.1.0.77',
    });
    expect(wrongNet.json().code).toBe('entity_network_mismatch');
    const wrongSubnet = await c.req('POST', '/api/v1/interfaces', {
      host_id: h.id,
      network_id: networkId,
      subnet_id: subnet2.id,
      ip_address: '10.1.0.77',
    });
    expect(wrongSubnet.json().code).toBe('entity_network_mismatch');

    const stranger = await registerOwner(s.app);
    const theirSubnet = await stranger.client.json('POST', '/api/v1/subnets', {
      network_id: stranger.networkId,
      cidr: '10.1.0.0/24',
      name: 'x',
      subnet_type: 'Lan',
    });
    const foreign = await c.req('POST', '/api/v1/hosts', hostBody(networkId, theirSubnet.id));
    expect(foreign.statusCode).toBe(400);
    expect(foreign.json().code).toBe('entity_reference_invalid');
    const foreignHost = await stranger.client.req('POST', '/api/v1/ports', {
      host_id: h.id,
      network_id: stranger.networkId,
      number: 1,
      protocol: 'Tcp',
    });
    expect(foreignHost.statusCode).toBe(400);
    expect(foreignHost.json().code).toBe('entity_reference_invalid');
    const foreignNet = await stranger.client.req('POST', '/api/v1/ports', {
      host_id: h.id,
      network_id: networkId,
      number: 1,
      protocol: 'Tcp',
    });
    expect(foreignNet.json().code).toBe('entity_reference_invalid');
  });

  it('lets a Member write, refuses a Viewer with 403 and hides other organizations with 404', async () => {
    const { c, networkId, subnet } = await world(s);
    const h = await c.json('POST', '/api/v1/hosts', hostBody(networkId, subnet.id));
    const tag = await c.json('POST', '/api/v1/tags', { name: 't', color: 'Red' });
    const [iface] = h.interfaces;
    const [port] = h.ports;
    const [svc] = h.services;
    const [binding] = svc.bindings;
    const port2 = await c.json('POST', '/api/v1/ports', {
      host_id: h.id,
      network_id: networkId,
      number: 8443,
      protocol: 'Tcp',
    });
    const writes: [string, string, unknown][] = [
      ['POST', '/api/v1/hosts', hostBody(networkId, subnet.id, '10.1.0.90', null)],
      ['PUT', `/api/v1/hosts/${h.id}`, updateBody(h)],
      [
        'POST',
        '/api/v1/interfaces',
        { host_id: h.id, network_id: networkId, subnet_id: subnet.id, ip_address: '10.1.0.91' },
      ],
      [
        'PUT',
        `/api/v1/interfaces/${iface.id}`,
        { host_id: h.id, network_id: networkId, subnet_id: subnet.id, ip_address: '10.1.0.92' },
      ],
      ['POST', '/api/v1/ports', { host_id: h.id, network_id: networkId, number: 25, protocol: 'Tcp' }],
      [
        'PUT',
        `/api/v1/ports/${port.id}`,
        { host_id: h.id, network_id: networkId, number: 26, protocol: 'Tcp' },
      ],
      [
        'POST',
        '/api/v1/services',
        { host_id: h.id, network_id: networkId, name: 's', service_definition: 'X', tags: [] },
      ],
      [
        'PUT',
        `/api/v1/services/${svc.id}`,
        { host_id: h.id, network_id: networkId, name: 's2', service_definition: 'X', tags: [] },
      ],
      [
        'POST',
        '/api/v1/bindings',
        { service_id: svc.id, network_id: networkId, type: 'Port', port_id: port2.id, interface_id: null },
      ],
      [
        'PUT',
        `/api/v1/bindings/${binding.id}`,
        { service_id: svc.id, network_id: networkId, type: 'Port', port_id: port.id, interface_id: null },
      ],
      ['POST', '/api/v1/tags', { name: 'v', color: 'Red' }],
      ['PUT', `/api/v1/tags/${tag.id}`, { name: 't2', color: 'Red' }],
    ];

    const viewer = await keyClient(s, c, networkId, 'Viewer');
    for (const [method, url, body] of writes) {
      const r = await viewer.req(method, url, body);
      expect(r.statusCode, `${method} ${url}`).toBe(403);
    }

    const stranger = (await registerOwner(s.app)).client;
    for (const [method, url, body] of writes.filter(([m]) => m === 'PUT')) {
      const r = await stranger.req(method, url, body);
      expect(r.statusCode, `${method} ${url}`).toBe(404);
    }

    // The Member key succeeds everywhere except creating tags (Admin) — re-fetch the host since writes change it.
    const member = await keyClient(s, c, networkId, 'Member');
    for (const [method, url, body] of writes) {
      const r = await member.req(
        method,
        url,
        url.endsWith(`/hosts/${h.id}`) ? updateBody(await c.json('GET', url)) : body,
      );
      expect(r.statusCode, `${method} ${url}: ${r.body}`).toBe(url === '/api/v1/tags' ? 403 : 200);
    }
    const admin = await keyClient(s, c, networkId, 'Admin');
    expect((await admin.req('POST', '/api/v1/tags', { name: 'v', color: 'Red' })).statusCode).toBe(200);
  });
});
