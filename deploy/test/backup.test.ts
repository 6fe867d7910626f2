import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Api, runServerCli, startServer, tempDir, type ServerProcess } from './support.ts';

interface Host {
  id: string;
  name: string;
  services: { id: string; name: string; bindings: unknown[] }[];
  interfaces: { ip_address: string }[];
}
interface Topology {
  id: string;
  name: string;
  nodes: { id: string }[];
  edges: { id: string }[];
}

/** A host on `subnetId` with one port and a service bound to it. */
function hostBody(networkId: string, subnetId: string, name: string, ip: string, service: string) {
  const iface = randomUUID();
  const port = randomUUID();
  return {
    name,
    network_id: networkId,
    hostname: `${name}.lan`,
    description: '',
    tags: [],
    interfaces: [{ id: iface, subnet_id: subnetId, ip_address: ip, mac_address: null, name: 'eth0' }],
    ports: [{ id: port, number: 443, protocol: 'Tcp' }],
    services: [
      {
        id: randomUUID(),
        name: service,
        service_definition: service,
        bindings: [{ id: randomUUID(), type: 'Port', port_id: port, interface_id: iface }],
      },
    ],
  };
}

/**
 * `scanopy backup` while the server runs and `scanopy restore` into another data directory, through the real CLI
 * and the real server on the embedded database: what comes back is what the API showed when the backup was made.
 */
describe('backup and restore of the embedded database', () => {
  const dirs: string[] = [];
  const servers: ServerProcess[] = [];
  afterAll(async () => {
    for (const s of servers) await s.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const dir = (name: string) => {
    const d = tempDir(name);
    dirs.push(d);
    return d;
  };
  const serve = async (dataDir: string) => {
    const s = await startServer(dataDir);
    servers.push(s);
    return s;
  };

  it('round-trips hosts, services and a topology from a running server into a fresh data directory, and restores only real backups', async () => {
    const source = await serve(dir('source'));
    const api = new Api(source.base);
    const networkId = await api.createOwner();
    const subnet = await api.call<{ id: string }>('POST', '/api/v1/subnets', {
      network_id: networkId,
      cidr: '10.1.0.0/24',
      name: 'lan',
      subnet_type: 'Lan',
    });
    await api.call('POST', '/api/v1/hosts', hostBody(networkId, subnet.id, 'web', '10.1.0.10', 'Nginx'));
    await api.call('POST', '/api/v1/hosts', hostBody(networkId, subnet.id, 'db', '10.1.0.11', 'PostgreSQL'));
    const topology = await api.call<Topology>('POST', '/api/v1/topology', {
      network_id: networkId,
      name: 'Home',
    });
    expect(topology.nodes.length).toBeGreaterThan(0);
    const before = {
      hosts: await api.call<Host[]>('GET', '/api/v1/hosts'),
      services: await api.call<{ id: string }[]>('GET', '/api/v1/services'),
      topology: await api.call<Topology>('GET', `/api/v1/topology/${topology.id}`),
    };
    expect(before.hosts.map((h) => h.name).sort()).toEqual(['db', 'web']);
    expect(before.services).toHaveLength(2);

    const backupDir = dir('backups');
    const file = path.join(backupDir, 'nightly', 'scanopy.tar.gz');
    const made = await runServerCli(['backup', file], { SCANOPY_DATA_DIR: source.dataDir });
    expect(made.stderr).toBe('');
    expect(made.code).toBe(0);
    expect(made.stdout).toContain('from the running server');
    expect(statSync(file).size).toBeGreaterThan(1000);
    expect(readdirSync(path.dirname(file))).toEqual(['scanopy.tar.gz']);

    // Written after the backup: must not come back.
    await api.call('POST', '/api/v1/hosts', hostBody(networkId, subnet.id, 'late', '10.1.0.12', 'Redis'));

    // The running server's own directory cannot be restored over.
    const refused = await runServerCli(['restore', file], { SCANOPY_DATA_DIR: source.dataDir });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/stop it before restoring/);
    await source.stop();

    // With no server running, three things at once. (a) The backup restored into a fresh data directory, started:
    // the API shows what it showed when the backup was made.
    const target = dir('target');
    const roundTrip = async () => {
      const restored = await runServerCli(['restore', file], { SCANOPY_DATA_DIR: target });
      expect(restored.stderr).toBe('');
      expect(restored.code).toBe(0);
      expect(existsSync(path.join(target, 'pglite', 'PG_VERSION'))).toBe(true);
      const again = await serve(target);
      const back = new Api(again.base);
      await back.login();
      const after = {
        hosts: await back.call<Host[]>('GET', '/api/v1/hosts'),
        services: await back.call<{ id: string }[]>('GET', '/api/v1/services'),
        topology: await back.call<Topology>('GET', `/api/v1/topology/${topology.id}`),
      };
      await again.stop();
      expect(after.hosts).toEqual(before.hosts);
      expect(after.services).toEqual(before.services);
      expect(after.topology.nodes).toEqual(before.topology.nodes);
      expect(after.topology.edges).toEqual(before.topology.edges);
      expect(after.topology.name).toBe('Home');
    };
    // (b) A backup straight from the stopped server's data directory, restored over that database, which is kept
    // beside the restored one.
    const offlineFile = path.join(backupDir, 'offline.tar.gz');
    const overExisting = async () => {
      const offline = await runServerCli(['backup', offlineFile], { SCANOPY_DATA_DIR: source.dataDir });
      expect(offline.code).toBe(0);
      expect(offline.stdout).toContain('from the data directory');
      const over = await runServerCli(['restore', offlineFile], { SCANOPY_DATA_DIR: source.dataDir });
      expect(over.code).toBe(0);
      const kept = readdirSync(source.dataDir).filter((f) => f.startsWith('pglite.before-restore-'));
      expect(kept).toHaveLength(1);
      expect(over.stdout).toContain(kept[0]);
    };
    // (c) A file that is not a backup is rejected, and the data directory is left alone.
    const bogus = path.join(backupDir, 'not-a-backup.tar.gz');
    writeFileSync(bogus, 'hello');
    const untouched = dir('bogus');
    const rejectsBogus = async () => {
      const rejected = await runServerCli(['restore', bogus], { SCANOPY_DATA_DIR: untouched });
      expect(rejected.code).toBe(1);
      expect(rejected.stderr).toMatch(/is not a Scanopy backup/);
      expect(readdirSync(untouched)).toEqual([]);
    };
    await Promise.all([roundTrip(), overExisting(), rejectsBogus()]);
  });
});
