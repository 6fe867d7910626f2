import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../src/config.ts';
import { Seeder } from './fixtures/seed.ts';
import { backends, Client, registerOwner, startTestServer, type TestServer } from './harness.ts';
import { sqlRows } from './sql.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON payloads
type Json = any;

// One server per backend for the whole file (each test registers its own owner, so tests never share rows).
describe.each(backends)('v0.17 aliases on %s', (backend) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(backend);
  });
  afterAll(async () => s?.close());

  const csv = async (c: Client, url: string) => {
    const res = await c.req('GET', url);
    expect(res.statusCode).toBe(200);
    return res.body.trim().split('\n');
  };

  describe('tags: is_application and description', () => {
    it('creates, reads, updates, sorts and exports the application flag; a v0.14 update keeps it', async () => {
      const { client } = await registerOwner(s.app);
      const plain = await client.json('POST', '/api/v1/tags', { name: 'plain', color: 'Blue' });
      expect(plain).toMatchObject({ is_application: false, description: null });
      const app = await client.json('POST', '/api/v1/tags', {
        name: 'Nextcloud',
        color: 'Green',
        is_application: true,
        description: 'file sync',
      });
      expect(app).toMatchObject({ is_application: true, description: 'file sync' });
      expect(await client.json('GET', `/api/v1/tags/${app.id}`)).toEqual(app);

      // A v0.14 client knows neither field of the pair: its PUT keeps the flag.
      const renamed = await client.json('PUT', `/api/v1/tags/${app.id}`, {
        name: 'Nextcloud 2',
        color: 'Red',
      });
      expect(renamed).toMatchObject({ name: 'Nextcloud 2', is_application: true, description: 'file sync' });
      const cleared = await client.json('PUT', `/api/v1/tags/${app.id}`, {
        ...renamed,
        is_application: false,
      });
      expect(cleared.is_application).toBe(false);
      const again = await client.json('PUT', `/api/v1/tags/${app.id}`, { ...cleared, is_application: true });
      expect(again.is_application).toBe(true);
      // description is written, changed and cleared like any field a client sends.
      const described = await client.json('PUT', `/api/v1/tags/${app.id}`, { ...again, description: 'sync' });
      expect(described).toMatchObject({ description: 'sync', is_application: true });
      expect((await client.json('GET', `/api/v1/tags/${app.id}`)).description).toBe('sync');
      const undescribed = await client.json('PUT', `/api/v1/tags/${app.id}`, {
        ...described,
        description: null,
      });
      expect(undescribed.description).toBeNull();
      const redescribed = await client.json('PUT', `/api/v1/tags/${app.id}`, {
        ...undescribed,
        description: 'file sync',
      });
      expect(redescribed.description).toBe('file sync');

      const order = async (dir: string) =>
        (
          (await client.json('GET', `/api/v1/tags?order_by=is_application&order_direction=${dir}`)) as {
            name: string;
          }[]
        ).map((t) => t.name);
      expect(await order('desc')).toEqual(['Nextcloud 2', 'plain']);
      expect(await order('asc')).toEqual(['plain', 'Nextcloud 2']);

      const rows = await csv(client, '/api/v1/tags/export/csv');
      expect(rows[0]).toBe('id,name,description,is_application,color,organization_id,created_at,updated_at');
      expect(rows.find((r) => r.includes('Nextcloud 2'))).toContain(',file sync,true,Red,');

      const bad = await client.req('POST', '/api/v1/tags', {
        name: 'x',
        color: 'Blue',
        is_application: 'yes',
      });
      expect(bad.statusCode).toBe(400);
      expect(bad.body).toContain('is_application');
    });
  });

  /** An owner with a network, a subnet and a host that has one IP, through the API. */
  async function world() {
    const { client, networkId } = await registerOwner(s.app);
    const call = <T = Json>(method: string, url: string, body?: unknown, expect = 200) =>
      client.json<T>(method, url, body, expect);
    const subnet = await call('POST', '/api/v1/subnets', {
      network_id: networkId,
      cidr: '10.9.0.0/24',
      name: 'lab',
      subnet_type: 'Lan',
    });
    const host = await call('POST', '/api/v1/hosts', {
      name: 'nas',
      network_id: networkId,
      tags: [],
      ip_addresses: [{ id: randomUUID(), subnet_id: subnet.id, ip_address: '10.9.0.10', name: 'eth0' }],
      ports: [{ id: randomUUID(), number: 443, protocol: 'Tcp' }],
    });
    return { client, call, networkId, subnet, host };
  }

  describe('IP addresses', () => {
    it('serves /ip-addresses over the interfaces: create, read, list, update, export, delete', async () => {
      const { client, call, networkId, subnet, host } = await world();
      // The host create above sent only ip_addresses: they became its (v0.14) interfaces.
      expect(host.interfaces).toHaveLength(1);
      expect(host.ip_addresses).toEqual(host.interfaces);
      const first = host.interfaces[0];
      expect(await call('GET', `/api/v1/ip-addresses/${first.id}`)).toEqual(first);

      const made = await call('POST', '/api/v1/ip-addresses', {
        host_id: host.id,
        subnet_id: subnet.id,
        network_id: networkId,
        ip_address: '10.9.0.11',
        name: 'eth1',
      });
      expect(made).toMatchObject({ host_id: host.id, ip_address: '10.9.0.11', position: 1 });
      expect(await call('GET', `/api/v1/interfaces/${made.id}`)).toEqual(made);
      const renamed = await call('PUT', `/api/v1/ip-addresses/${made.id}`, { ...made, name: 'lan1' });
      expect(renamed.name).toBe('lan1');

      const listed = await client.req('GET', `/api/v1/ip-addresses?host_id=${host.id}&limit=1`);
      expect(listed.statusCode).toBe(200);
      expect(listed.json().data.map((r: Json) => r.id)).toEqual([first.id]);
      expect(listed.json().meta.pagination).toMatchObject({ total_count: 2, limit: 1, has_more: true });

      const rows = await csv(client, `/api/v1/ip-addresses/export/csv?host_id=${host.id}`);
      expect(rows[0]).toBe(
        'id,ip_address,mac_address,name,host_id,subnet_id,network_id,position,created_at,updated_at',
      );
      expect(rows).toHaveLength(3);
      const file = await client.req('GET', '/api/v1/ip-addresses/export/csv');
      expect(file.headers['content-disposition']).toContain('IP Addresses.csv');

      await call('DELETE', `/api/v1/ip-addresses/${first.id}`);
      await call('GET', `/api/v1/ip-addresses/${first.id}`, undefined, 404);
      // Positions are renumbered after a delete, as for /interfaces.
      expect((await call('GET', `/api/v1/ip-addresses/${made.id}`)).position).toBe(0);
      expect(await call('POST', '/api/v1/ip-addresses/bulk-delete', [made.id, randomUUID()])).toEqual({
        deleted_count: 1,
        requested_count: 2,
      });
      expect((await call('GET', `/api/v1/hosts/${host.id}`)).ip_addresses).toEqual([]);
    });

    it('updates a host through ip_addresses; when both lists come back, the edited one counts and v0.14 wins a tie', async () => {
      const { call, subnet, host } = await world();
      const got = await call('GET', `/api/v1/hosts/${host.id}`);
      const ip = (addr: string, name: string) => ({
        id: randomUUID(),
        subnet_id: subnet.id,
        ip_address: addr,
        name,
      });

      // A v0.17 client: only ip_addresses.
      const v17 = await call('PUT', `/api/v1/hosts/${host.id}`, {
        id: host.id,
        name: host.name,
        hidden: false,
        tags: [],
        ip_addresses: [...got.ip_addresses, ip('10.9.0.20', 'wlan')],
      });
      expect(v17.interfaces.map((i: Json) => i.ip_address)).toEqual(['10.9.0.10', '10.9.0.20']);
      expect(v17.ip_addresses).toEqual(v17.interfaces);

      // A v0.17 client's GET → edit ip_addresses → PUT echoes interfaces unchanged: the edit is taken.
      const edited = await call('PUT', `/api/v1/hosts/${host.id}`, {
        ...v17,
        ip_addresses: [v17.ip_addresses[1]],
      });
      expect(edited.interfaces.map((i: Json) => i.ip_address)).toEqual(['10.9.0.20']);

      // A v0.14 client's GET → edit interfaces → PUT echoes ip_addresses unchanged: the edit is taken.
      const v14 = await call('PUT', `/api/v1/hosts/${host.id}`, {
        ...edited,
        interfaces: [...edited.interfaces, ip('10.9.0.30', 'eth2')],
      });
      expect(v14.ip_addresses.map((i: Json) => i.ip_address)).toEqual(['10.9.0.20', '10.9.0.30']);

      // Both edited: interfaces (v0.14) wins.
      const both = await call('PUT', `/api/v1/hosts/${host.id}`, {
        ...v14,
        interfaces: [v14.interfaces[0]],
        ip_addresses: [v14.interfaces[1]],
      });
      expect(both.interfaces.map((i: Json) => i.ip_address)).toEqual(['10.9.0.20']);
      // An unchanged GET → PUT round trip keeps the addresses.
      const again = await call('PUT', `/api/v1/hosts/${host.id}`, both);
      expect(again.ip_addresses.map((i: Json) => i.id)).toEqual(both.interfaces.map((i: Json) => i.id));
    });
  });

  describe('bindings', () => {
    it('accepts ip_address_id and type "IPAddress", returns the v0.14 type with ip_address_id, and filters by it', async () => {
      const { call, networkId, host } = await world();
      const ipId = host.interfaces[0].id as string;
      const portId = host.ports[0].id as string;
      const svc = await call('POST', '/api/v1/services', {
        host_id: host.id,
        network_id: networkId,
        name: 'Web',
        service_definition: 'Generic',
        tags: [],
        bindings: [{ type: 'Port', port_id: portId, ip_address_id: ipId }],
      });
      expect(svc.bindings).toEqual([
        expect.objectContaining({ type: 'Port', port_id: portId, interface_id: ipId, ip_address_id: ipId }),
      ]);
      const other = await call('POST', '/api/v1/services', {
        host_id: host.id,
        network_id: networkId,
        name: 'Ping',
        service_definition: 'Generic',
        tags: [],
      });
      const b = await call('POST', '/api/v1/bindings', {
        service_id: other.id,
        network_id: networkId,
        type: 'IPAddress',
        ip_address_id: ipId,
      });
      expect(b).toMatchObject({ type: 'Interface', interface_id: ipId, ip_address_id: ipId });
      expect(b).not.toHaveProperty('port_id');
      const put = await call('PUT', `/api/v1/bindings/${b.id}`, { ...b, type: 'IPAddress' });
      expect(put).toMatchObject({ id: b.id, type: 'Interface', ip_address_id: ipId });

      const ids = async (q: string) =>
        ((await call('GET', `/api/v1/bindings?${q}`)) as Json[]).map((x) => x.id).sort();
      expect(await ids(`ip_address_id=${ipId}`)).toEqual([svc.bindings[0].id, b.id].sort());
      expect(await ids(`ip_address_id=${randomUUID()}`)).toEqual([]);
      expect(await ids(`interface_id=${ipId}`)).toEqual(await ids(`ip_address_id=${ipId}`));

      // Inside a host update, a service's bindings may use the v0.17 names too.
      const h = await call('GET', `/api/v1/hosts/${host.id}`);
      const updated = await call('PUT', `/api/v1/hosts/${host.id}`, {
        ...h,
        services: [
          {
            id: other.id,
            name: 'Ping',
            service_definition: 'Generic',
            bindings: [{ id: b.id, type: 'IPAddress', ip_address_id: ipId }],
          },
        ],
      });
      expect(updated.services).toHaveLength(1);
      expect(updated.services[0].bindings).toEqual([
        expect.objectContaining({ id: b.id, type: 'Interface', interface_id: ipId, ip_address_id: ipId }),
      ]);
    });
  });

  describe('dependencies', () => {
    it('serves groups as dependencies with Bindings or Services members, readable both ways', async () => {
      const { client, call, networkId, host } = await world();
      const ipId = host.interfaces[0].id as string;
      const service = async (name: string) =>
        call('POST', '/api/v1/services', {
          host_id: host.id,
          network_id: networkId,
          name,
          service_definition: 'Generic',
          tags: [],
          bindings: [{ type: 'IPAddress', ip_address_id: ipId }],
        });
      const [web, db] = [await service('web'), await service('db')];
      const [bWeb, bDb] = [web.bindings[0].id as string, db.bindings[0].id as string];
      const tag = await call('POST', '/api/v1/tags', { name: `dep-${randomUUID()}`, color: 'Blue' });

      const byBindings = await call('POST', '/api/v1/dependencies', {
        network_id: networkId,
        name: 'Web path',
        description: 'web to db',
        dependency_type: 'RequestPath',
        members: { type: 'Bindings', binding_ids: [bDb, bWeb] },
        color: 'Blue',
        edge_style: 'Bezier',
        tags: [tag.id],
      });
      expect(byBindings).toMatchObject({
        dependency_type: 'RequestPath',
        description: 'web to db',
        members: { type: 'Bindings', binding_ids: [bDb, bWeb] },
        source: { type: 'Manual' },
        tags: [tag.id],
      });
      expect(byBindings).not.toHaveProperty('group_type');
      const asGroup = await call('GET', `/api/v1/groups/${byBindings.id}`);
      expect(asGroup).toMatchObject({ group_type: 'RequestPath', binding_ids: [bDb, bWeb] });

      const byServices = await call('POST', '/api/v1/dependencies', {
        network_id: networkId,
        name: 'Stack',
        dependency_type: 'HubAndSpoke',
        members: { type: 'Services', service_ids: [web.id, db.id] },
        color: 'Green',
      });
      expect(byServices).toMatchObject({
        members: { type: 'Services', service_ids: [web.id, db.id] },
        edge_style: 'SmoothStep',
        description: null,
      });
      expect(await call('GET', `/api/v1/dependencies/${byServices.id}`)).toEqual(byServices);
      // v0.14 readers see the services' bindings in member order.
      const g = await call('GET', `/api/v1/groups/${byServices.id}`);
      expect(g).toMatchObject({ group_type: 'HubAndSpoke', binding_ids: [bWeb, bDb] });
      // A v0.14 GET → PUT round trip keeps the services; another binding list makes it a Bindings dependency.
      await call('PUT', `/api/v1/groups/${g.id}`, g);
      expect((await call('GET', `/api/v1/dependencies/${g.id}`)).members).toEqual({
        type: 'Services',
        service_ids: [web.id, db.id],
      });
      await call('PUT', `/api/v1/groups/${g.id}`, { ...g, binding_ids: [bDb] });
      expect((await call('GET', `/api/v1/dependencies/${g.id}`)).members).toEqual({
        type: 'Bindings',
        binding_ids: [bDb],
      });

      const updated = await call('PUT', `/api/v1/dependencies/${byServices.id}`, {
        ...byServices,
        name: 'Stack 2',
        dependency_type: 'RequestPath',
        members: { type: 'Services', service_ids: [db.id] },
      });
      expect(updated).toMatchObject({
        name: 'Stack 2',
        dependency_type: 'RequestPath',
        members: { type: 'Services', service_ids: [db.id] },
      });
      // A service of another network (or none) is refused.
      const bad = await client.req('PUT', `/api/v1/dependencies/${byServices.id}`, {
        ...updated,
        members: { type: 'Services', service_ids: [randomUUID()] },
      });
      expect(bad.statusCode).toBe(400);
      // Deleting a member service drops it from the dependency.
      await call('DELETE', `/api/v1/services/${db.id}`);
      expect((await call('GET', `/api/v1/dependencies/${byServices.id}`)).members.service_ids).toEqual([]);

      const list = await call('GET', `/api/v1/dependencies?network_id=${networkId}&order_by=name`);
      expect(list.map((d: Json) => d.name)).toEqual(['Stack 2', 'Web path']);
      expect((await call('GET', '/api/v1/dependencies?search=web')).map((d: Json) => d.id)).toEqual([
        byBindings.id,
      ]);
      const rows = await csv(client, '/api/v1/dependencies/export/csv');
      expect(rows[0]).toBe(
        'id,name,description,dependency_type,member_type,color,network_id,source,created_at,updated_at',
      );
      expect(rows.find((r) => r.startsWith(byServices.id))).toContain(',RequestPath,Services,');

      await call('DELETE', `/api/v1/dependencies/${byBindings.id}`);
      await call('GET', `/api/v1/groups/${byBindings.id}`, undefined, 404);
      expect(await call('POST', '/api/v1/dependencies/bulk-delete', [byServices.id])).toEqual({
        deleted_count: 1,
        requested_count: 1,
      });
    });
  });

  it('keeps a Services dependency on the surviving service when hosts are consolidated', async () => {
    const { call, networkId, host } = await world();
    const other = await call('POST', '/api/v1/hosts', { name: 'nas-2', network_id: networkId, tags: [] });
    const web = (hostId: string) =>
      call('POST', '/api/v1/services', {
        host_id: hostId,
        network_id: networkId,
        name: 'web',
        service_definition: 'Generic',
        tags: [],
      });
    const [kept, merged] = [await web(host.id), await web(other.id)];
    const dep = await call('POST', '/api/v1/dependencies', {
      network_id: networkId,
      name: 'uses web',
      dependency_type: 'RequestPath',
      members: { type: 'Services', service_ids: [merged.id] },
      color: 'Blue',
    });
    await call('PUT', `/api/v1/hosts/${host.id}/consolidate/${other.id}`);
    expect((await call('GET', `/api/v1/dependencies/${dep.id}`)).members.service_ids).toEqual([kept.id]);
  });

  describe('search and field-values', () => {
    it('counts distinct values of host, service and discovery fields under the list filters', async () => {
      const { client, call, networkId } = await world();
      for (const name of ['nas', 'printer', 'printer']) {
        await call('POST', '/api/v1/hosts', {
          name,
          network_id: networkId,
          tags: [],
          hidden: name === 'nas',
        });
      }
      expect(await call('GET', `/api/v1/hosts/field-values/name?network_id=${networkId}`)).toEqual([
        { value: 'nas', count: 2 },
        { value: 'printer', count: 2 },
      ]);
      expect(await call('GET', `/api/v1/hosts/field-values/hidden?network_id=${networkId}`)).toEqual([
        { value: 'false', count: 3 },
        { value: 'true', count: 1 },
      ]);
      expect(await call('GET', `/api/v1/hosts/field-values/name?search=print`)).toEqual([
        { value: 'printer', count: 2 },
      ]);
      expect(await call('GET', `/api/v1/hosts/field-values/hostname`)).toEqual([{ value: null, count: 4 }]);
      const unknown = await client.req('GET', '/api/v1/hosts/field-values/password');
      expect(unknown.statusCode).toBe(400);
      expect(unknown.json().error).toContain('"password"');
      expect(unknown.json().error).toContain('name, hostname, network_id, source, hidden, virtualization');

      const svcHost = (await call('GET', `/api/v1/hosts?search=printer&limit=1`))[0];
      for (const [name, def] of [
        ['Web', 'Nginx'],
        ['Admin', 'Nginx'],
        ['DB', 'PostgreSQL'],
      ]) {
        await call('POST', '/api/v1/services', {
          host_id: svcHost.id,
          network_id: networkId,
          name,
          service_definition: def,
          tags: [],
        });
      }
      expect(await call('GET', '/api/v1/services/field-values/service_definition')).toEqual([
        { value: 'Nginx', count: 2 },
        { value: 'PostgreSQL', count: 1 },
      ]);
      expect(await call('GET', '/api/v1/services/field-values/service_definition?search=db')).toEqual([
        { value: 'PostgreSQL', count: 1 },
      ]);
      expect((await call('GET', '/api/v1/services?search=admin')).map((r: Json) => r.name)).toEqual([
        'Admin',
      ]);

      // Discoveries: search by name (new), and counts by type.
      const [owner] = await sqlRows<{ id: string; organization_id: string }>(
        s.db,
        'SELECT u.id, u.organization_id FROM users u JOIN networks n ON n.organization_id = u.organization_id WHERE n.id = $1',
        [networkId],
      );
      const seed = new Seeder(s.db, owner.organization_id, networkId, owner.id);
      const nightly = await seed.discovery();
      await seed.discovery();
      await sqlRows(s.db, `UPDATE discovery SET name = 'Nightly sweep' WHERE id = $1`, [nightly]);
      expect((await call('GET', '/api/v1/discovery?search=NIGHTLY')).map((d: Json) => d.id)).toEqual([
        nightly,
      ]);
      expect(await call('GET', '/api/v1/discovery/field-values/discovery_type')).toEqual([
        { value: 'SelfReport', count: 2 },
      ]);
      expect(await call('GET', '/api/v1/discovery/field-values/name?search=sweep')).toEqual([
        { value: 'Nightly sweep', count: 1 },
      ]);
      expect((await client.req('GET', '/api/v1/discovery/field-values/nope')).statusCode).toBe(400);
    });
  });

  describe('topology', () => {
    it('answers /topology/data as v0.17 TopologyData: entity lists, nodes and edges keyed by view', async () => {
      const { client, call, networkId, subnet, host } = await world();
      const ipId = host.interfaces[0].id as string;
      const web = await call('POST', '/api/v1/services', {
        host_id: host.id,
        network_id: networkId,
        name: 'web',
        service_definition: 'Generic',
        tags: [],
        bindings: [{ type: 'IPAddress', ip_address_id: ipId }],
      });
      const dep = await call('POST', '/api/v1/dependencies', {
        network_id: networkId,
        name: 'uses web',
        dependency_type: 'RequestPath',
        members: { type: 'Services', service_ids: [web.id] },
        color: 'Blue',
      });
      const app = await call('POST', '/api/v1/tags', { name: 'Files', color: 'Green', is_application: true });

      const d = await call('GET', `/api/v1/topology/data?network_id=${networkId}&mark_viewed=true`);
      // The required lists of TopologyData, each with our rows under their v0.17 names.
      expect(d.hosts.map((h: Json) => h.id)).toEqual([host.id]);
      expect(d.hosts[0].ip_addresses.map((i: Json) => i.id)).toEqual([ipId]);
      expect(d.ip_addresses.map((i: Json) => i.id)).toEqual([ipId]);
      expect(d.subnets.map((x: Json) => x.id)).toContain(subnet.id);
      expect(d.services.map((x: Json) => x.id)).toEqual([web.id]);
      expect(d.bindings).toEqual([expect.objectContaining({ service_id: web.id, ip_address_id: ipId })]);
      expect(d.ports.map((x: Json) => x.id)).toEqual([host.ports[0].id]);
      expect(d.dependencies).toEqual([
        expect.objectContaining({
          id: dep.id,
          dependency_type: 'RequestPath',
          members: { type: 'Services', service_ids: [web.id] },
        }),
      ]);
      expect(d.tags).toEqual(
        expect.arrayContaining([expect.objectContaining({ id: app.id, is_application: true })]),
      );
      expect(d.vlans).toEqual([]);
      expect(d.available_views).toEqual(['L3Logical', 'Workloads', 'Application']);
      expect(d).not.toHaveProperty('view');
      // nodes and edges: one graph per available view, keyed by the v0.17 view names.
      expect(Object.keys(d.nodes)).toEqual(d.available_views);
      expect(Object.keys(d.edges)).toEqual(d.available_views);
      expect(d.nodes.L3Logical.map((n: Json) => n.id)).toContain(subnet.id);
      expect(d.nodes.L3Logical.find((n: Json) => n.host_id === host.id)).toBeDefined();
      expect(d.nodes.Workloads.find((n: Json) => n.id === host.id)).toBeDefined();
      // The Application view boxes by application tag; the service has none, so it is Ungrouped.
      expect(d.nodes.Application.map((n: Json) => n.header)).toContain('Ungrouped');
      expect(d.nodes.Application.find((n: Json) => n.id === web.id)).toBeDefined();

      // ?view= (ours; v0.17's spelling Application too) answers one view's graph as flat lists.
      const one = await call('GET', `/api/v1/topology/data?network_id=${networkId}&view=Application`);
      expect(one.view).toBe('Applications');
      expect(one.nodes.map((n: Json) => n.id).sort()).toEqual(
        d.nodes.Application.map((n: Json) => n.id).sort(),
      );
      expect(one.ip_addresses.map((i: Json) => i.id)).toEqual([ipId]);

      const snap = await client.req(
        'GET',
        `/api/v1/topology/data?network_id=${networkId}&snapshot_id=${randomUUID()}`,
      );
      expect(snap.statusCode).toBe(404);
      expect(snap.json()).toMatchObject({ success: false, code: 'not_supported' });
      expect(snap.json().error).toContain('Snapshots');
      const missing = await client.req('GET', '/api/v1/topology/data');
      expect(missing.statusCode).toBe(400);
      expect(missing.json().error).toContain('network_id');
      const { client: stranger } = await registerOwner(s.app);
      expect((await stranger.req('GET', `/api/v1/topology/data?network_id=${networkId}`)).statusCode).toBe(
        404,
      );
    });

    it('exports a topology as Mermaid text for each view, v0.17 view names included', async () => {
      const { client, call, networkId, host } = await world();
      await call('POST', '/api/v1/services', {
        host_id: host.id,
        network_id: networkId,
        name: 'webapp',
        service_definition: 'Generic',
        tags: [],
        bindings: [{ type: 'IPAddress', ip_address_id: host.interfaces[0].id }],
      });
      const [topology] = await call('GET', `/api/v1/topology?network_id=${networkId}`);
      for (const view of [
        '',
        '?view=L3Logical',
        '?view=Workloads',
        '?view=Application',
        '?view=Applications',
      ]) {
        const res = await client.req('GET', `/api/v1/topology/${topology.id}/export/mermaid${view}`);
        expect(res.statusCode, view).toBe(200);
        expect(res.headers['content-type']).toMatch(/^text\/plain/);
        expect(res.body.split('\n')[0]).toBe('flowchart TB');
      }
      // Another view than the stored one is built on the spot, with the service just added.
      const apps = await client.req('GET', `/api/v1/topology/${topology.id}/export/mermaid?view=Application`);
      expect(apps.body).toContain('webapp');
      const bad = await client.req('GET', `/api/v1/topology/${topology.id}/export/mermaid?view=L2Physical`);
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error).toContain('view');
      const { client: stranger } = await registerOwner(s.app);
      expect((await stranger.req('GET', `/api/v1/topology/${topology.id}/export/mermaid`)).statusCode).toBe(
        404,
      );
    });
  });

  describe('entities we do not have', () => {
    it('answers 404 not_supported, naming what is missing, on every path and method under them', async () => {
      const { client } = await registerOwner(s.app);
      for (const [method, url, feature] of [
        ['GET', '/api/v1/vlans', 'VLANs'],
        ['POST', '/api/v1/vlans/discovery', 'VLANs'],
        ['GET', '/api/v1/credentials?type=SnmpV2c', 'Credentials'],
        ['PUT', `/api/v1/credentials/${randomUUID()}`, 'Credentials'],
        ['GET', '/api/v1/snmp-credentials', 'SNMP credentials'],
        ['GET', `/api/v1/if-entries/${randomUUID()}`, 'SNMP ifTable entries'],
        ['DELETE', `/api/v1/snapshots/${randomUUID()}`, 'Snapshots'],
        ['GET', '/api/v1/snapshots', 'Snapshots'],
      ] as const) {
        const res = await client.req(method, url, method === 'GET' || method === 'DELETE' ? undefined : {});
        expect(res.statusCode, url).toBe(404);
        const body = res.json();
        expect(body).toMatchObject({ success: false, code: 'not_supported' });
        expect(body.error).toContain(feature);
        expect(body.error).toContain('not supported');
      }
      const other = await client.req('GET', '/api/v1/vlansx');
      expect(other.json().code).toBe('route_not_found');
    });
  });

  describe('OpenAPI document', () => {
    it('names the v0.17 operations we serve with the v0.17 reference operation ids', () => {
      const tsv = readFileSync(path.join(repoRoot, '../shared/spec/reference-0.17-operations.tsv'), 'utf8');
      const v17 = new Map<string, string>();
      for (const line of tsv.trim().split('\n').slice(1)) {
        const [method, p, opId] = line.split('\t');
        v17.set(`${method.toLowerCase()} ${p}`, opId);
      }
      const doc = s.app.swagger() as unknown as {
        paths: Record<string, Record<string, { operationId: string }>>;
      };
      const served = Object.entries(doc.paths).flatMap(([p, ops]) =>
        Object.entries(ops).map(([m, op]) => ({ key: `${m} ${p}`, id: op.operationId })),
      );
      const aliases = served.filter((o) =>
        /^\S+ \/api\/v1\/(ip-addresses|dependencies|(hosts|services|discovery)\/field-values|topology\/(data|\{id\}\/export\/mermaid))/.test(
          o.key,
        ),
      );
      expect(aliases).toHaveLength(19);
      expect(aliases.filter((o) => v17.get(o.key.replace('{field}', '{field}')) !== o.id)).toEqual([]);
    });
  });
});
