import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, startTestServer, type TestServer } from './harness.ts';
import { Seeder } from './fixtures/seed.ts';
import { buildOrg, call, data, type Actor, type Org } from './fixtures/world.ts';
import { sqlRows } from './sql.ts';

describe.each(backends)('host consolidation on %s', (backend) => {
  let s: TestServer;
  let A: Org;
  let B: Org;
  let owner: Actor;
  beforeAll(async () => {
    s = await startTestServer(backend);
    A = await buildOrg(s.app, s.db, 'A');
    B = await buildOrg(s.app, s.db, 'B');
    owner = A.sessions.Owner!;
  });
  afterAll(async () => s?.close());

  const q = (sql: string, params: unknown[]) => sqlRows(s.db, sql, params);
  async function iface(host: string, subnet: string, ip: string, mac: string | null = null) {
    const id = randomUUID();
    await q(
      `INSERT INTO interfaces (id, host_id, subnet_id, network_id, ip_address, mac_address) VALUES ($1, $2, $3, $4, $5, $6)`,
      [id, host, subnet, A.networkId, ip, mac],
    );
    return id;
  }
  async function port(host: string, n: number) {
    const id = randomUUID();
    await q(
      `INSERT INTO ports (id, host_id, network_id, port_number, protocol) VALUES ($1, $2, $3, $4, 'Tcp')`,
      [id, host, A.networkId, n],
    );
    return id;
  }
  async function service(host: string, name: string, def: string) {
    const id = randomUUID();
    await q(
      `INSERT INTO services (id, host_id, network_id, name, service_definition, source) VALUES ($1, $2, $3, $4, $5, '{"type":"Manual"}')`,
      [id, host, A.networkId, name, def],
    );
    return id;
  }
  async function bind(svc: string, portId: string, ifaceId: string) {
    const id = randomUUID();
    await q(
      `INSERT INTO bindings (id, service_id, network_id, binding_type, port_id, interface_id) VALUES ($1, $2, $3, 'Port', $4, $5)`,
      [id, svc, A.networkId, portId, ifaceId],
    );
    return id;
  }

  it('merges interfaces, ports and services into the destination and deletes the other host', async () => {
    const subnet = await A.seed.subnet(A.networkId, '10.77.77.0/24');
    const dest = await A.seed.host();
    const other = await A.seed.host();
    await q(`UPDATE hosts SET hostname = 'other.lan' WHERE id = $1`, [other]);
    const tag = await A.seed.tag();
    await q(`INSERT INTO entity_tags (entity_id, entity_type, tag_id) VALUES ($1, 'Host', $2)`, [other, tag]);

    const dIf = await iface(dest, subnet, '10.77.77.1', 'aa:bb:cc:00:00:01');
    const dHttp = await port(dest, 80);
    const dWeb = await service(dest, 'Web', 'Nginx');
    await bind(dWeb, dHttp, dIf);

    const oIfSame = await iface(other, subnet, '10.77.77.1'); // same subnet + IP
    const oIfMac = await iface(other, subnet, '10.77.77.9', 'aa:bb:cc:00:00:01'); // same MAC
    const oIfNew = await iface(other, subnet, '10.77.77.2');
    const oHttp = await port(other, 80);
    const oSsh = await port(other, 22);
    const oWeb = await service(other, 'Web', 'Nginx');
    const dupBinding = await bind(oWeb, oHttp, oIfSame);
    const sshOnWeb = await bind(oWeb, oSsh, oIfMac);
    const oSshSvc = await service(other, 'SSH', 'OpenSSH');
    const sshBinding = await bind(oSshSvc, oSsh, oIfNew);

    const merged = await data(call(s.app, owner, 'PUT', `/api/v1/hosts/${dest}/consolidate/${other}`));
    expect(merged.id).toBe(dest);
    expect(merged.hostname).toBe('other.lan');
    expect(merged.tags).toEqual([tag]);
    expect(merged.interfaces.map((i: { id: string; position: number }) => [i.id, i.position])).toEqual([
      [dIf, 0],
      [oIfNew, 1],
    ]);
    expect(merged.ports.map((p: { id: string }) => p.id).sort()).toEqual([dHttp, oSsh].sort());
    const services = merged.services as { id: string; name: string; bindings: Record<string, unknown>[] }[];
    expect(services.map((x) => x.id).sort()).toEqual([dWeb, oSshSvc].sort());
    const web = services.find((x) => x.id === dWeb)!;
    // The duplicate 80/tcp binding collapsed into the destination's; the 22/tcp one was re-pointed at its interface.
    expect(web.bindings.map((b) => [b.port_id, b.interface_id]).sort()).toEqual(
      [
        [dHttp, dIf],
        [oSsh, dIf],
      ].sort(),
    );
    expect(web.bindings.map((b) => b.id)).toContain(sshOnWeb);
    expect(web.bindings.map((b) => b.id)).not.toContain(dupBinding);
    expect(services.find((x) => x.id === oSshSvc)!.bindings).toMatchObject([
      { id: sshBinding, port_id: oSsh, interface_id: oIfNew },
    ]);

    expect((await call(s.app, owner, 'GET', `/api/v1/hosts/${other}`)).statusCode).toBe(404);
    expect(await q('SELECT 1 FROM entity_tags WHERE entity_id = $1', [other])).toEqual([]);
    expect(await q('SELECT 1 FROM services WHERE id = $1', [oWeb])).toEqual([]);
  });

  it('refuses to delete a daemon host (409), self-merges and cross-network merges (400), unseen hosts (404)', async () => {
    const daemonId = await A.seed.daemon();
    const [{ host_id: daemonHost }] = await sqlRows<{ host_id: string }>(
      s.db,
      'SELECT host_id FROM daemons WHERE id = $1',
      [daemonId],
    );
    const plain = await A.seed.host();
    const put = (d: string, o: string, actor = owner) =>
      call(s.app, actor, 'PUT', `/api/v1/hosts/${d}/consolidate/${o}`);
    const res = await put(plain, daemonHost);
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('entity_in_use');
    expect(await A.seed.exists('hosts', daemonHost)).toBe(true);
    expect((await put(plain, plain)).statusCode).toBe(400);
    const net2 = await A.seed.network();
    const far = await new Seeder(s.db, A.orgId, net2, A.owner.id).host();
    expect((await put(plain, far)).statusCode).toBe(400);
    const bHost = await B.seed.host();
    expect((await put(plain, bHost)).statusCode).toBe(404);
    expect((await put(bHost, plain, B.sessions.Owner!)).statusCode).toBe(404);
    expect(await A.seed.exists('hosts', plain)).toBe(true);
    // The daemon's host may absorb another one.
    const absorbed = await A.seed.host();
    await data(put(daemonHost, absorbed));
    expect(await A.seed.exists('hosts', absorbed)).toBe(false);
  });
});
