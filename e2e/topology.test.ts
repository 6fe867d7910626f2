import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { APIRequestContext, Download, Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserUnavailable, launchBrowser, type Browser } from './support/browser.ts';
import { ensureWebBuild, repoRoot, startServer, type RunningServer } from './support/server.ts';

// Runs in Chromium (page.evaluate); the e2e project type-checks with Node's types only.
declare const localStorage: { setItem(key: string, value: string): void; removeItem(key: string): void };
interface DomElement {
  querySelector(selector: string): DomElement | null;
  getBoundingClientRect(): { x: number; y: number; width: number; height: number };
}
declare const document: DomElement & { elementFromPoint(x: number, y: number): unknown };
declare const location: { href: string };

const unavailable = browserUnavailable();
const skipReason = unavailable && !process.env.CI ? unavailable : undefined;
const require = createRequire(import.meta.url);

interface Envelope<T> {
  success: boolean;
  data: T;
}
interface WireNode {
  id: string;
  node_type: 'SubnetNode' | 'InterfaceNode';
  host_id?: string;
  subnet_id?: string;
  position: { x: number; y: number };
  size: { x: number; y: number };
}
interface WireTopology {
  id: string;
  network_id: string;
  name: string;
  nodes: WireNode[];
  edges: { id: string; edge_type: string }[];
  is_stale: boolean;
  is_locked: boolean;
  options: { local: { hide_edge_types: string[] } };
  view?: string;
}

/** The browser's DOMParser, typed for the checks below (the test's own types have no DOM library). */
type XmlParser = new () => {
  parseFromString(
    text: string,
    type: string,
  ): {
    documentElement: { nodeName: string; getAttribute(name: string): string | null };
    getElementsByTagName(name: string): ArrayLike<{ getAttribute(name: string): string | null }>;
  };
};

const OWNER = { email: 'mapper@example.com', password: 'CorrectHorse9' };
/** A home lab: the §2.2 layers (DMZ above LAN and IoT, Management and a Docker bridge below). */
const SUBNETS = {
  lan: { name: 'LAN', cidr: '10.77.1.0/24', subnet_type: 'Lan' },
  dmz: { name: 'DMZ', cidr: '10.77.2.0/24', subnet_type: 'Dmz' },
  iot: { name: 'IoT', cidr: '10.77.4.0/24', subnet_type: 'IoT' },
  mgmt: { name: 'Management', cidr: '10.77.9.0/24', subnet_type: 'Management' },
  docker: { name: 'docker0', cidr: '172.17.0.0/16', subnet_type: 'DockerBridge' },
};
type SubnetKey = keyof typeof SUBNETS;
/** With SCANOPY_SCREENSHOTS=1 the run also writes docs/screenshots/topology-<theme>.png (the README links them). */
const SHOTS = process.env.SCANOPY_SCREENSHOTS === '1' ? path.join(repoRoot, 'docs/screenshots') : undefined;

interface WireHost {
  id: string;
  interfaces: { id: string }[];
  services: { id: string; service_definition: string; bindings: { id: string }[] }[];
}
/** A service to seed: catalog name (its icon), port, and the index of the interface it binds (-1: all of them). */
interface SeedService {
  name: string;
  port?: number;
  on?: number;
}

/*
 * The topology editor against a real server: a home lab seeded through the API (5 subnets, 13 hosts with services, VMs,
 * Docker containers and two groups, so every edge type but the physical link is drawn; no discovery runs, so nothing
 * is scanned), the diagram built by the server, and every edit checked in the stored topology. Exports are validated
 * as files (PNG decoded, SVG and draw.io parsed, Mermaid parsed by mermaid itself).
 */
describe.skipIf(skipReason)(
  `topology editor in a browser${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    let server: RunningServer | undefined;
    let browser: Browser | undefined;
    let page: Page;
    let api: APIRequestContext;
    let networkId = '';
    let topology: WireTopology;
    /** Seeded host ids by name (each host has at least one card). */
    const hostIds: Record<string, string> = {};
    const subnetIds = {} as Record<SubnetKey, string>;

    async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
      try {
        return await fn();
      } catch (err) {
        const shot = path.join(
          tmpdir(),
          `scanopy-e2e-topology-${name.replace(/\W+/g, '-')}-${Date.now()}.png`,
        );
        await page.screenshot({ path: shot }).catch(() => undefined);
        const reason = err instanceof Error ? err.message : String(err);
        throw new Error(
          `${name}: ${reason}\nscreenshot: ${shot}\nserver output:\n${server?.logTail() ?? ''}`,
        );
      }
    }

    async function call<T>(
      method: 'GET' | 'POST' | 'PUT' | 'DELETE',
      url: string,
      data?: unknown,
    ): Promise<T> {
      const res = await api.fetch(`${server!.baseUrl}${url}`, {
        method,
        ...(data === undefined ? {} : { data }),
      });
      const body = (await res.json()) as Envelope<T>;
      if (!res.ok()) throw new Error(`${method} ${url}: ${res.status()} ${JSON.stringify(body)}`);
      return body.data;
    }

    /** A host with interfaces in the given subnets and services bound to ports on them (ids picked by the server). */
    async function seedHost(
      name: string,
      interfaces: [SubnetKey, string][],
      services: SeedService[],
      extra: object = {},
    ): Promise<WireHost> {
      const ifaces = interfaces.map(([k, ip]) => ({
        id: randomUUID(),
        subnet_id: subnetIds[k],
        ip_address: ip,
      }));
      const ports: { id: string; number: number; protocol: string }[] = [];
      const host = await call<WireHost>('POST', '/api/v1/hosts', {
        name,
        network_id: networkId,
        tags: [],
        interfaces: ifaces,
        ports,
        services: services.map((svc) => {
          // These ids only tie the new children together inside this body.
          const port = svc.port ? { id: randomUUID(), number: svc.port, protocol: 'Tcp' } : undefined;
          if (port) ports.push(port);
          const iface = svc.on === -1 ? null : ifaces[svc.on ?? 0]!.id;
          return {
            id: randomUUID(),
            name: svc.name,
            service_definition: svc.name,
            bindings: [
              port
                ? { id: randomUUID(), type: 'Port', port_id: port.id, interface_id: iface }
                : { id: randomUUID(), type: 'Interface', interface_id: iface },
            ],
          };
        }),
        ...extra,
      });
      hostIds[name] = host.id;
      return host;
    }
    const bindingOf = (h: WireHost, definition: string) =>
      h.services.find((x) => x.service_definition === definition)!.bindings[0]!.id;

    /**
     * Every edge type of a home lab: a router in four subnets (host interface edges), VMs of a Proxmox host
     * (virtualized host), Docker containers on a bridge (virtualized service), a request path and a hub-and-spoke
     * group.
     */
    async function seedHomeLab() {
      for (const [k, s] of Object.entries(SUBNETS)) {
        subnetIds[k as SubnetKey] = (
          await call<{ id: string }>('POST', '/api/v1/subnets', { ...s, network_id: networkId, tags: [] })
        ).id;
      }
      await seedHost(
        'router',
        [
          ['lan', '10.77.1.1'],
          ['dmz', '10.77.2.1'],
          ['iot', '10.77.4.1'],
          ['mgmt', '10.77.9.1'],
        ],
        [{ name: 'OPNsense', port: 443 }, ...[1, 2, 3].map((on) => ({ name: 'Gateway', on }))],
      );
      await seedHost(
        'pihole',
        [['lan', '10.77.1.2']],
        [
          { name: 'Pi-Hole', port: 80 },
          { name: 'Unbound DNS', port: 53 },
        ],
      );
      const proxy = await seedHost(
        'edge-proxy',
        [['dmz', '10.77.2.10']],
        [{ name: 'Traefik', port: 443 }, { name: 'Cloudflared' }],
      );
      const pve = await seedHost(
        'pve',
        [
          ['mgmt', '10.77.9.10'],
          ['lan', '10.77.1.10'],
        ],
        [{ name: 'Proxmox VE', port: 8006, on: -1 }],
      );
      const vm = (name: string) => ({
        virtualization: { type: 'Proxmox', details: { service_id: pve.services[0]!.id, vm_name: name } },
      });
      const media = await seedHost(
        'media',
        [['lan', '10.77.1.20']],
        [
          { name: 'Jellyfin', port: 8096 },
          { name: 'Immich', port: 2283 },
        ],
        vm('media'),
      );
      const db = await seedHost(
        'db',
        [['lan', '10.77.1.21']],
        [
          { name: 'PostgreSQL', port: 5432 },
          { name: 'Redis', port: 6379 },
        ],
        vm('db'),
      );
      const apps = await seedHost(
        'apps',
        [
          ['lan', '10.77.1.30'],
          ['docker', '172.17.0.2'],
          ['docker', '172.17.0.3'],
          ['docker', '172.17.0.4'],
        ],
        [
          { name: 'Docker', port: 2375 },
          { name: 'SSH', port: 22 },
        ],
      );
      const containers: Record<string, WireHost['services'][number]> = {};
      for (const [k, name] of ['Grafana', 'Prometheus', 'Vaultwarden'].entries()) {
        containers[name] = await call('POST', '/api/v1/services', {
          host_id: apps.id,
          network_id: networkId,
          name,
          service_definition: name,
          tags: [],
          virtualization: {
            type: 'Docker',
            details: { service_id: apps.services[0]!.id, container_name: name.toLowerCase() },
          },
          bindings: [{ type: 'Interface', interface_id: apps.interfaces[k + 1]!.id }],
        });
      }
      const nas = await seedHost(
        'nas',
        [['lan', '10.77.1.40']],
        [
          { name: 'TrueNAS', port: 443 },
          { name: 'Samba', port: 445 },
          { name: 'NFS', port: 2049 },
        ],
      );
      await seedHost(
        'home-assistant',
        [['iot', '10.77.4.10']],
        [
          { name: 'Home Assistant', port: 8123 },
          { name: 'Zigbee2MQTT', port: 8080 },
        ],
      );
      for (let i = 1; i <= 3; i++) {
        await seedHost(`esp-sensor-${i}`, [['iot', `10.77.4.${19 + i}`]], [{ name: 'ESPHome', port: 6053 }]);
      }
      await seedHost('office-ap', [['mgmt', '10.77.9.20']], [{ name: 'Unifi Access Point', port: 8080 }]);
      await call('POST', '/api/v1/groups', {
        network_id: networkId,
        name: 'Web apps',
        group_type: 'RequestPath',
        color: 'Purple',
        binding_ids: [
          bindingOf(proxy, 'Traefik'),
          containers.Grafana!.bindings[0]!.id,
          bindingOf(db, 'PostgreSQL'),
        ],
        tags: [],
      });
      await call('POST', '/api/v1/groups', {
        network_id: networkId,
        name: 'Media',
        group_type: 'HubAndSpoke',
        color: 'Orange',
        binding_ids: [bindingOf(media, 'Jellyfin'), bindingOf(nas, 'Samba'), bindingOf(db, 'Redis')],
        tags: [],
      });
    }

    const stored = () => call<WireTopology>('GET', `/api/v1/topology/${topology.id}`);
    const card = (hostId: string) => page.locator(`[data-testid="topology-host"][data-host-id="${hostId}"]`);
    const status = () => page.getByTestId('topology-status');
    const hiddenEdgeTypes = (t = topology) => t.options.local.hide_edge_types;
    const nodeOf = (t: WireTopology, id: string) => t.nodes.find((n) => n.id === id)!;

    beforeAll(async () => {
      if (unavailable) throw new Error(`browser tests must run under CI, but ${unavailable}`);
      ensureWebBuild();
      server = await startServer({ SCANOPY_INTEGRATED_DAEMON: 'false' });
      browser = await launchBrowser();
      page = await browser.context.newPage();
      api = browser.context.request;
      const b = server.baseUrl;
      await api.post(`${b}/api/auth/setup`, {
        data: { organization_name: 'Acme', network: { name: 'Lab' } },
      });
      const reg = await api.post(`${b}/api/auth/register`, { data: { ...OWNER, terms_accepted: true } });
      expect(reg.ok()).toBe(true);
      networkId = (await call<{ id: string }[]>('GET', '/api/v1/networks'))[0]!.id;
      await seedHomeLab();
      const all = await call<WireTopology[]>('GET', `/api/v1/topology?network_id=${networkId}`);
      topology =
        all[0] ??
        (await call<WireTopology>('POST', '/api/v1/topology', { network_id: networkId, name: 'Lab map' }));
      // Bring the diagram up to date with the seeded hosts (the topology may predate them).
      await call('POST', `/api/v1/topology/${topology.id}/rebuild`, {
        network_id: networkId,
        options: topology.options,
      });
      topology = await stored();
    });
    afterAll(async () => {
      await browser?.close();
      await server?.stop();
    });

    it('draws every seeded host inside its subnet', async () => {
      await step('open the topology page', async () => {
        await page.goto(`${server!.baseUrl}/topology?id=${topology.id}`);
        await page.getByTestId('topology-canvas').waitFor({ timeout: 30_000 });
        await page.locator('[data-testid="topology-host"]').first().waitFor({ timeout: 30_000 });
      });
      const drawn = await page
        .locator('[data-testid="topology-host"]')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-host-id')));
      expect(new Set(drawn)).toEqual(new Set(Object.values(hostIds)));
      // One box per subnet (the host's Docker bridges merge into one).
      await expect(page.locator('[data-testid="topology-subnet"]').count()).resolves.toBe(
        Object.keys(SUBNETS).length,
      );
      // Every card is drawn inside its subnet's box.
      const boxes = await page
        .locator('.svelte-flow__node')
        .evaluateAll((els) =>
          els.map((e) => [e.getAttribute('data-id'), e.getBoundingClientRect().toJSON()] as const),
        );
      const box = new Map(boxes as [string, { x: number; y: number; width: number; height: number }][]);
      for (const n of topology.nodes.filter((x) => x.node_type === 'InterfaceNode')) {
        const c = box.get(n.id)!;
        const p = box.get(n.subnet_id!)!;
        expect(c.x >= p.x && c.y >= p.y, n.id).toBe(true);
        expect(c.x + c.width <= p.x + p.width + 1 && c.y + c.height <= p.y + p.height + 1, n.id).toBe(true);
      }
      // The lab has every edge type but the physical link; all are drawn except the types hidden by default.
      expect(new Set(topology.edges.map((e) => e.edge_type))).toEqual(
        new Set(['Interface', 'HostVirtualization', 'ServiceVirtualization', 'RequestPath', 'HubAndSpoke']),
      );
      const drawnEdges = await page
        .locator('.svelte-flow__edge')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-id')));
      expect(new Set(drawnEdges)).toEqual(
        new Set(topology.edges.filter((e) => !hiddenEdgeTypes().includes(e.edge_type)).map((e) => e.id)),
      );
      if (SHOTS) {
        for (const theme of ['light', 'dark']) {
          await page.evaluate((t) => localStorage.setItem('scanopy.theme', t), theme);
          await page.reload();
          await page.locator('[data-testid="topology-host"]').first().waitFor({ timeout: 30_000 });
          // The legend folded away, so the whole diagram gets the width.
          await page.getByTestId('topology-legend-toggle').click();
          await page.locator('.svelte-flow__controls-fitview').click();
          await page.waitForTimeout(500); // the fit animates for 200 ms; a picture only, nothing is asserted

          await page.screenshot({ path: path.join(SHOTS, `topology-${theme}.png`) });
        }
        await page.evaluate(() => localStorage.removeItem('scanopy.theme'));
        await page.reload();
        await page.locator('[data-testid="topology-host"]').first().waitFor({ timeout: 30_000 });
      }
      // Search highlights one host.
      await page.getByTestId('topology-search').fill('nas');
      await expect(page.getByTestId('search-count').textContent()).resolves.toBe('1 found');
      await expect(card(hostIds.nas!).evaluate((e) => e.classList.contains('highlighted'))).resolves.toBe(
        true,
      );
      await page.getByTestId('topology-search').fill('');
      // The search zoomed to its match; back to the whole diagram for the next steps.
      await page.locator('.svelte-flow__controls-fitview').click();
    });

    it('saves a dragged card through the point update, keeps it after a reload, and undoes it', async () => {
      const hostId = hostIds.nas!;
      const nodeId = topology.nodes.find((n) => n.host_id === hostId)!.id;
      const before = nodeOf(await stored(), nodeId).position;
      const [req] = await step('drag a card', async () => {
        const box = (await card(hostId).boundingBox())!;
        const saved = page.waitForRequest((r) => r.url().endsWith('/node-position') && r.method() === 'POST');
        await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.6);
        await page.mouse.down();
        await page.mouse.move(box.x + box.width / 2 + 60, box.y + box.height * 0.6 + 60, { steps: 10 });
        await page.mouse.up();
        return Promise.all([saved, status().filter({ hasText: 'Saved position' }).waitFor()]);
      });
      expect(req.postDataBuffer()!.length).toBeLessThanOrEqual(300);
      const after = nodeOf(await stored(), nodeId).position;
      expect(after).not.toEqual(before);

      await step('reload keeps it', async () => {
        await page.reload();
        await card(hostId).waitFor({ timeout: 30_000 });
      });
      // Stored positions are relative to the subnet; the drawn transform is absolute.
      const reloaded = await stored();
      const parent = nodeOf(reloaded, nodeOf(reloaded, nodeId).subnet_id!).position;
      const transform = await page
        .locator(`.svelte-flow__node[data-id="${nodeId}"]`)
        .evaluate((e) => e.getAttribute('style') ?? '');
      expect(transform).toContain(`translate(${parent.x + after.x}px, ${parent.y + after.y}px)`);

      await step('undo the move', async () => {
        // Undo covers edits of this visit: move again, then undo back to `after`.
        const box = (await card(hostId).boundingBox())!;
        await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.6);
        await page.mouse.down();
        await page.mouse.move(box.x + box.width / 2 + 40, box.y + box.height * 0.6 + 40, { steps: 8 });
        await page.mouse.up();
        await status().filter({ hasText: 'Saved position' }).waitFor();
        await page.getByTestId('topology-undo').click();
        await status().filter({ hasText: 'Saved undo' }).waitFor();
      });
      expect(nodeOf(await stored(), nodeId).position).toEqual(after);
    });

    it('resizes a subnet and saves its size', async () => {
      // The topmost subnet: its title is never under the minimap (bottom right).
      const subnet = topology.nodes
        .filter((n) => n.node_type === 'SubnetNode')
        .sort((a, b) => a.position.y - b.position.y || a.position.x - b.position.x)[0]!;
      const before = nodeOf(await stored(), subnet.id).size;
      await step('select the subnet and drag its corner', async () => {
        const el = page.locator(`.svelte-flow__node[data-id="${subnet.id}"]`);
        await el.getByTestId('subnet-title').click();
        await el.locator('.svelte-flow__resize-control.handle').first().waitFor();
        // An edge of the subnet's own cards is drawn above its grips (Svelte Flow raises edges of child nodes) and may
        // cover a corner: take a corner whose grip is what the pointer would hit, and pull it outwards.
        const corner = await page.waitForFunction((id) => {
          const node = document.querySelector(`.svelte-flow__node[data-id="${id}"]`);
          for (const [v, h] of [
            ['bottom', 'right'],
            ['bottom', 'left'],
            ['top', 'right'],
            ['top', 'left'],
          ]) {
            const grip = node?.querySelector(`.svelte-flow__resize-control.handle.${v}.${h}`);
            const r = grip?.getBoundingClientRect();
            if (!r) continue;
            const x = r.x + r.width / 2;
            const y = r.y + r.height / 2;
            if (document.elementFromPoint(x, y) === grip) return { x, y, v, h };
          }
          return null;
        }, subnet.id);
        const { x, y, v, h } = (await corner.jsonValue()) as { x: number; y: number; v: string; h: string };
        await page.mouse.move(x, y);
        await page.mouse.down();
        await page.mouse.move(x + (h === 'right' ? 80 : -80), y + (v === 'bottom' ? 60 : -60), { steps: 10 });
        await page.mouse.up();
        await status().filter({ hasText: 'Saved size' }).waitFor();
      });
      const after = nodeOf(await stored(), subnet.id).size;
      expect(after.x).toBeGreaterThan(before.x);
      expect(after.y).toBeGreaterThan(before.y);
    });

    it('shows the stale banner when a locked diagram falls behind, and rebuilds after unlocking', async () => {
      await step('lock', async () => {
        await page.getByTestId('topology-lock').click();
        await page.getByTestId('locked-banner').waitFor();
      });
      expect((await stored()).is_locked).toBe(true);
      const { id: newHost } = await seedHost(
        'late-arrival',
        [['lan', '10.77.1.200']],
        [
          { name: 'Grafana', port: 3000 },
          { name: 'SSH', port: 22 },
        ],
      );
      await step('stale banner appears', () => page.getByTestId('stale-banner').waitFor({ timeout: 20_000 }));
      await expect(card(newHost).count()).resolves.toBe(0);
      await step('unlock, preview, rebuild', async () => {
        await page.getByTestId('stale-unlock').click();
        await page.getByTestId('stale-refresh').click();
        await page
          .getByTestId('rebuild-preview')
          .filter({ hasText: 'late-arrival' })
          .waitFor({ timeout: 15_000 });
        await page.getByTestId('rebuild-confirm').click();
        await card(newHost).waitFor({ timeout: 20_000 });
      });
      await expect(page.getByTestId('stale-banner').count()).resolves.toBe(0);
      topology = await stored();
      expect(topology.is_stale).toBe(false);
    });

    async function exportFile(kind: 'png' | 'svg' | 'mermaid' | 'drawio'): Promise<Buffer> {
      return step(`export ${kind}`, async () => {
        await page.getByTestId('export-menu').click();
        const [download] = await Promise.all([
          page.waitForEvent('download', { timeout: 30_000 }) as Promise<Download>,
          page.getByTestId(`export-${kind}`).click(),
        ]);
        return readFileSync((await download.path())!);
      });
    }

    it('exports PNG, SVG, Mermaid and draw.io files that open in their tools', async () => {
      const t = await stored();
      const subnets = t.nodes.filter((n) => n.node_type === 'SubnetNode');
      const minX = Math.min(...subnets.map((n) => n.position.x));
      const minY = Math.min(...subnets.map((n) => n.position.y));
      const maxX = Math.max(...subnets.map((n) => n.position.x + n.size.x));
      const maxY = Math.max(...subnets.map((n) => n.position.y + n.size.y));
      // The diagram's bounds plus a 50 px margin on each side (IMAGE_MARGIN in the web app).
      const expected = { width: Math.round(maxX - minX + 100), height: Math.round(maxY - minY + 100) };

      const png = PNG.sync.read(await exportFile('png'));
      expect({ width: png.width, height: png.height }).toEqual(expected);
      const colours = new Set<number>();
      for (let i = 0; i < png.data.length; i += 4 * 97) colours.add(png.data.readUInt32BE(i));
      expect(colours.size).toBeGreaterThan(3);

      const svg = (await exportFile('svg')).toString('utf8');
      const svgCheck = await page.evaluate((text) => {
        const doc = new (globalThis as unknown as { DOMParser: XmlParser }).DOMParser().parseFromString(
          text,
          'image/svg+xml',
        );
        return {
          error: doc.getElementsByTagName('parsererror').length,
          root: doc.documentElement.nodeName,
          width: doc.documentElement.getAttribute('width'),
        };
      }, svg);
      expect(svgCheck).toEqual({ error: 0, root: 'svg', width: String(expected.width) });

      const mermaidText = (await exportFile('mermaid')).toString('utf8');
      expect(mermaidText.match(/^\s*subgraph /gm)).toHaveLength(subnets.length);
      const checker = await browser!.context.newPage();
      await checker.addScriptTag({ path: require.resolve('mermaid/dist/mermaid.min.js') });
      const parsed = await checker.evaluate(async (text) => {
        const m = (
          globalThis as unknown as { mermaid: { parse(t: string): Promise<{ diagramType: string }> } }
        ).mermaid;
        return (await m.parse(text)).diagramType;
      }, mermaidText);
      expect(parsed).toMatch(/flowchart/);

      const drawio = (await exportFile('drawio')).toString('utf8');
      const counts = await checker.evaluate((text) => {
        const doc = new (globalThis as unknown as { DOMParser: XmlParser }).DOMParser().parseFromString(
          text,
          'application/xml',
        );
        const cells = Array.from(doc.getElementsByTagName('mxCell'));
        return {
          error: doc.getElementsByTagName('parsererror').length,
          vertices: cells.filter((c) => c.getAttribute('vertex') === '1').length,
          edges: cells.filter((c) => c.getAttribute('edge') === '1').length,
        };
      }, drawio);
      await checker.close();
      const hidden = hiddenEdgeTypes(t);
      expect(counts).toEqual({
        error: 0,
        vertices: t.nodes.length,
        edges: t.edges.filter((e) => !hidden.includes(e.edge_type)).length,
      });
    });

    it('shares the diagram with a password that a fresh browser must give first', async () => {
      const link = await step('create a share with a password', async () => {
        await page.getByTestId('topology-share').click();
        await page.getByTestId('share-password').fill('open sesame 42');
        await page.getByTestId('share-create').click();
        return page.getByTestId('share-link').inputValue({ timeout: 10_000 });
      });
      expect(link).toMatch(/\/share\/[0-9a-f-]{36}$/);
      expect(await page.getByTestId('share-embed').inputValue()).toContain('<iframe');
      const visitor = await launchBrowser();
      try {
        const v = await visitor.context.newPage();
        await v.goto(link);
        await v.getByTestId('share-password-form').waitFor({ timeout: 30_000 });
        await expect(v.locator('[data-testid="topology-host"]').count()).resolves.toBe(0);
        await v.getByTestId('share-password-input').fill('wrong password');
        await v.getByRole('button', { name: 'Open diagram' }).click();
        await v.getByTestId('share-password-error').waitFor();
        await expect(v.locator('[data-testid="topology-host"]').count()).resolves.toBe(0);
        await v.getByTestId('share-password-input').fill('open sesame 42');
        await v.getByRole('button', { name: 'Open diagram' }).click();
        await v.locator('[data-testid="topology-host"]').first().waitFor({ timeout: 30_000 });
        const shown = await v
          .locator('[data-testid="topology-host"]')
          .evaluateAll((els) => els.map((e) => e.getAttribute('data-host-id')));
        expect(new Set(shown)).toEqual(new Set(Object.values(hostIds)));
      } finally {
        await visitor.close();
      }
    });

    it('reconnects an edge to another side of the same card and saves the handles as a point update', async () => {
      await step('frame the diagram', async () => {
        // The share dialog of the test before is still open: close it (Escape closes the native dialog).
        if (await page.getByTestId('share-dialog').isVisible()) {
          await page.keyboard.press('Escape');
          await page.getByTestId('share-dialog').waitFor({ state: 'hidden' });
        }
        await page.locator('.svelte-flow__controls-fitview').click();
        await page.waitForTimeout(400);
      });
      const t = await stored();
      // A host-interface edge of the router (its cards in two subnets), drawn and with both ends on screen.
      const edge = t.edges.find((e) => e.edge_type === 'Interface')! as WireTopology['edges'][number] & {
        source: string;
        target: string;
        source_handle: string;
        target_handle: string;
      };
      expect(edge).toBeDefined();
      const sides = ['Top', 'Right', 'Bottom', 'Left'];
      const [req] = await step('drag the edge end onto another side', async () => {
        await page.locator(`.svelte-flow__edge[data-id="${edge.id}"]`).dispatchEvent('click');
        const anchor = page.locator('.svelte-flow__edgeupdater-target');
        await anchor.waitFor({ timeout: 10_000 });
        // The anchor sits on the card's border: grab it where nothing else (the card) is above it.
        const grip = await page.waitForFunction(() => {
          const a = document.querySelector('.svelte-flow__edgeupdater-target');
          const r = a?.getBoundingClientRect();
          if (!a || !r) return null;
          for (const fy of [0.5, 0.2, 0.8, 0.05, 0.95])
            for (const fx of [0.5, 0.2, 0.8, 0.05, 0.95]) {
              const x = r.x + r.width * fx;
              const y = r.y + r.height * fy;
              if (document.elementFromPoint(x, y) === a) return { x, y };
            }
          return null;
        });
        const start = (await grip.jsonValue()) as { x: number; y: number };
        // The side of the target card farthest from where the edge ends now.
        const handles = await page
          .locator(`.svelte-flow__node[data-id="${edge.target}"] .svelte-flow__handle`)
          .evaluateAll((els) =>
            els.map((e) => [e.getAttribute('data-handleid'), e.getBoundingClientRect().toJSON()] as const),
          );
        const boxes = new Map(handles as [string, { x: number; y: number; width: number; height: number }][]);
        expect([...boxes.keys()].sort()).toEqual([...sides].sort());
        const centre = (b: { x: number; y: number; width: number; height: number }) => ({
          x: b.x + b.width / 2,
          y: b.y + b.height / 2,
        });
        const side = sides
          .filter((x) => x !== edge.target_handle)
          .sort((a, b) => {
            const d = (k: string) =>
              Math.hypot(centre(boxes.get(k)!).x - start.x, centre(boxes.get(k)!).y - start.y);
            return d(b) - d(a);
          })[0]!;
        const to = centre(boxes.get(side)!);
        const saved = page.waitForRequest((r) => r.url().endsWith('/edge-handles') && r.method() === 'POST');
        await page.mouse.move(start.x, start.y);
        await page.mouse.down();
        await page.mouse.move((start.x + to.x) / 2, (start.y + to.y) / 2, { steps: 8 });
        await page.mouse.move(to.x, to.y, { steps: 8 });
        await page.mouse.up();
        return Promise.all([saved, status().filter({ hasText: 'Saved edge' }).waitFor()]);
      });
      const body = JSON.parse(req.postData()!) as {
        edge_id: string;
        source_handle: string;
        target_handle: string;
      };
      expect(req.postDataBuffer()!.length).toBeLessThanOrEqual(300);
      expect(body.edge_id).toBe(edge.id);
      expect(body.source_handle).toBe(edge.source_handle);
      expect(body.target_handle).not.toBe(edge.target_handle);
      const after = (await stored()).edges.find((e) => e.id === edge.id) as typeof edge;
      expect([after.source_handle, after.target_handle]).toEqual([body.source_handle, body.target_handle]);
      // Deselect the edge (its reconnect anchors would sit on top of cards the next steps use).
      await page.locator('.svelte-flow__pane').dispatchEvent('click');
    });

    it('hears on the topology stream what happens elsewhere: lock, rename, moves, refresh and rebuilds', async () => {
      const base = `/api/v1/topology/${topology.id}`;
      await step('a lock made elsewhere shows at once', async () => {
        await call('POST', `${base}/lock`);
        await page.getByTestId('locked-banner').waitFor({ timeout: 10_000 });
        await status().filter({ hasText: 'Locked' }).waitFor();
      });
      await step('an unlock made elsewhere too', async () => {
        await call('POST', `${base}/unlock`);
        await page.getByTestId('locked-banner').waitFor({ state: 'detached', timeout: 10_000 });
      });
      await step('a rename', async () => {
        await call('POST', `${base}/metadata`, { network_id: networkId, name: 'Renamed elsewhere' });
        await page
          .getByTestId('topology-select')
          .locator('option', { hasText: 'Renamed elsewhere' })
          .waitFor({ state: 'attached', timeout: 10_000 });
      });
      const hostId = hostIds.pihole!;
      const nodeId = (await stored()).nodes.find((n) => n.host_id === hostId)!.id;
      const parentOf = async () => {
        const t = await stored();
        return nodeOf(t, nodeOf(t, nodeId).subnet_id!).position;
      };
      await step('a card moved by another editor moves here', async () => {
        const p = nodeOf(await stored(), nodeId).position;
        const to = { x: p.x + 50, y: p.y + 25 };
        await call('POST', `${base}/node-position`, { network_id: networkId, node_id: nodeId, position: to });
        const parent = await parentOf();
        await page
          .locator(`.svelte-flow__node[data-id="${nodeId}"]`)
          .and(page.locator(`[style*="translate(${parent.x + to.x}px, ${parent.y + to.y}px)"]`))
          .waitFor({ timeout: 10_000 });
        await status().filter({ hasText: 'Arranged in another editor' }).waitFor();
      });
      await step('a refresh', async () => {
        await call('POST', `${base}/refresh`, { network_id: networkId, options: topology.options });
        await status().filter({ hasText: 'Inventory snapshot refreshed' }).waitFor({ timeout: 10_000 });
      });
      const { id: newHost } = await seedHost(
        'stream-visitor',
        [['lan', '10.77.1.201']],
        [{ name: 'SSH', port: 22 }],
      );
      await step(
        'the server rebuilds the unlocked diagram and the new card appears without a reload',
        async () => {
          await card(newHost).waitFor({ timeout: 30_000 });
          await status().filter({ hasText: 'Rebuilt on the server' }).waitFor();
        },
      );
      await expect(page.getByTestId('stale-banner').count()).resolves.toBe(0);
      topology = await stored();
    });

    it('renames through the metadata point update and keeps several topologies per network', async () => {
      const [req] = await step('rename', async () => {
        await page.getByTestId('topology-rename').click();
        await page.getByTestId('rename-name').fill('Home lab');
        const sent = page.waitForRequest((r) => r.url().endsWith('/metadata') && r.method() === 'POST');
        await page.getByTestId('rename-confirm').click();
        return Promise.all([sent, status().filter({ hasText: 'Saved name' }).waitFor()]);
      });
      expect(req.postDataBuffer()!.length).toBeLessThanOrEqual(300);
      expect((await stored()).name).toBe('Home lab');
      const selected = () =>
        page.getByTestId('topology-select').evaluate((e) => (e as unknown as { value: string }).value);

      const second = await step('create a second topology', async () => {
        await page.getByTestId('topology-new').click();
        await page.getByTestId('create-name').fill('IoT only');
        await page.getByTestId('create-confirm').click();
        await page
          .getByTestId('topology-select')
          .locator('option', { hasText: 'IoT only' })
          .waitFor({ state: 'attached', timeout: 30_000 });
        // The new topology is selected once it is built and loaded (the stream may list it a moment before).
        await page.waitForFunction(
          (first) => new URL(location.href).searchParams.get('id') !== first,
          topology.id,
          { timeout: 30_000 },
        );
        await page.locator('[data-testid="topology-host"]').first().waitFor({ timeout: 30_000 });
        return selected();
      });
      const all = await call<WireTopology[]>('GET', `/api/v1/topology?network_id=${networkId}`);
      expect(all.map((x) => x.name).sort()).toEqual(['Home lab', 'IoT only']);
      expect(second).not.toBe(topology.id);
      // Built right away from the same inventory, every host drawn.
      const drawn = await page
        .locator('[data-testid="topology-host"]')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-host-id')));
      expect(new Set(drawn)).toEqual(new Set(Object.values(hostIds)));

      await step('switch back and forth', async () => {
        const inUrl = (id: string) =>
          page.waitForFunction((x) => new URL(location.href).searchParams.get('id') === x, id);
        await page.getByTestId('topology-select').selectOption(topology.id);
        await inUrl(topology.id);
        await page.getByTestId('topology-select').selectOption(second);
        await inUrl(second);
      });
      await step('delete the second one', async () => {
        await page.getByTestId('topology-delete').click();
        await page.getByTestId('delete-confirm').click();
        await page
          .getByTestId('topology-select')
          .locator('option', { hasText: 'IoT only' })
          .waitFor({ state: 'detached', timeout: 10_000 });
      });
      expect(await selected()).toBe(topology.id);
      expect(
        (await call<WireTopology[]>('GET', `/api/v1/topology?network_id=${networkId}`)).map((x) => x.id),
      ).toEqual([topology.id]);
    });

    it('options: an edge type hidden in the panel stays hidden after a reload; a layout option applies on rebuild', async () => {
      const edgesOfType = (type: string) =>
        topology.edges.filter((e) => e.edge_type === type).map((e) => e.id);
      const drawnEdges = () =>
        page.locator('.svelte-flow__edge').evaluateAll((els) => els.map((e) => e.getAttribute('data-id')));
      const requestPaths = edgesOfType('RequestPath');
      expect(requestPaths.length).toBeGreaterThan(0);
      expect(await drawnEdges()).toEqual(expect.arrayContaining(requestPaths));
      const panel = page.getByTestId('topology-options');
      await step('hide request paths', async () => {
        await page.getByTestId('topology-options-toggle').click();
        await panel.getByLabel('Request path').uncheck();
      });
      expect((await drawnEdges()).filter((id) => requestPaths.includes(id!))).toEqual([]);
      await step('reload', async () => {
        await page.reload();
        await page.locator('[data-testid="topology-host"]').first().waitFor({ timeout: 30_000 });
      });
      expect((await drawnEdges()).filter((id) => requestPaths.includes(id!))).toEqual([]);
      await step('show them again', async () => {
        if (!(await panel.isVisible())) await page.getByTestId('topology-options-toggle').click();
        await panel.getByLabel('Request path').check();
      });
      expect(await drawnEdges()).toEqual(expect.arrayContaining(requestPaths));

      // A request option changes what the server builds: it waits for a rebuild, which stores it.
      const portRows = () =>
        page.locator('[data-testid="topology-host"] [data-testid="service-ports"]').count();
      expect(await portRows()).toBeGreaterThan(0);
      await step('hide ports and rebuild', async () => {
        await panel.getByLabel('Hide ports').check();
        await panel.getByRole('button', { name: 'Rebuild with these options' }).click();
        await page.getByTestId('rebuild-confirm').click();
        await status().filter({ hasText: 'Rebuilt from the current inventory' }).waitFor({ timeout: 30_000 });
      });
      const hidden = await stored();
      expect((hidden.options as unknown as { request: { hide_ports: boolean } }).request.hide_ports).toBe(
        true,
      );
      expect(await portRows()).toBe(0);
      await step('show ports again', async () => {
        await panel.getByLabel('Hide ports').uncheck();
        await panel.getByRole('button', { name: 'Rebuild with these options' }).click();
        await page.getByTestId('rebuild-confirm').click();
        await status().filter({ hasText: 'Rebuilt from the current inventory' }).waitFor({ timeout: 30_000 });
      });
      expect(
        ((await stored()).options as unknown as { request: { hide_ports: boolean } }).request.hide_ports,
      ).toBe(false);
      await step('tag filter', async () => {
        const tag = await call<{ id: string }>('POST', '/api/v1/tags', {
          name: 'Storage boxes',
          color: 'Green',
        });
        await call('PUT', '/api/v1/tags/assign', {
          entity_type: 'Host',
          entity_id: hostIds.nas!,
          tag_ids: [tag.id],
        });
        // Tags are not a §1.5 change: a refresh brings them into the snapshot (and the open page hears of it).
        await call('POST', `/api/v1/topology/${topology.id}/refresh`, {
          network_id: networkId,
          options: (await stored()).options,
        });
        const box = panel.locator(`[data-testid="tag-filter-hidden_host_tag_ids"][data-tag-id="${tag.id}"]`);
        await box.waitFor({ timeout: 15_000 });
        const faded = (hostId: string) => card(hostId).and(page.locator('.opacity-30'));
        await expect(faded(hostIds.nas!).count()).resolves.toBe(0);
        await box.check();
        await faded(hostIds.nas!).waitFor({ timeout: 5_000 });
        await expect(faded(hostIds.pihole!).count()).resolves.toBe(0);
        await box.uncheck();
        await faded(hostIds.nas!).waitFor({ state: 'detached', timeout: 5_000 });
      });
      await page.getByTestId('topology-legend-toggle').click();
      topology = await stored();
    });

    it('embeds a share only on an allowed site (frame-ancestors of the share)', async () => {
      const share = await call<{ id: string }>('POST', '/api/v1/shares', {
        share: {
          topology_id: topology.id,
          network_id: networkId,
          name: 'Wiki embed',
          allowed_domains: ['localhost'],
        },
      });
      const link = `${server!.baseUrl}/share/${share.id}`;
      // A host page that frames the share, served on loopback under two names: localhost (allowed) and 127.0.0.1.
      const host = http.createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end(`<!doctype html><title>wiki</title><iframe src="${link}" width="900" height="600"></iframe>`);
      });
      await new Promise<void>((r) => host.listen(0, '127.0.0.1', r));
      const port = (host.address() as { port: number }).port;
      const visitor = await launchBrowser();
      try {
        const v = await visitor.context.newPage();
        const logs: string[] = [];
        v.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
        v.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
        await v.goto(`http://localhost:${port}/`);
        const allowed = v.frameLocator('iframe');
        try {
          await allowed.locator('[data-testid="topology-host"]').first().waitFor({ timeout: 30_000 });
        } catch (err) {
          const shot = path.join(tmpdir(), 'scanopy-topology-embed-allowed-failed.png');
          await v.screenshot({ path: shot });
          const text = await allowed
            .locator('body')
            .textContent()
            .catch(() => '');
          throw new Error(
            `allowed embed: ${String(err)}\nframe text: ${text}\nlogs: ${logs.join('\n')}\nscreenshot: ${shot}`,
          );
        }
        await v.screenshot({ path: path.join(tmpdir(), 'scanopy-topology-embed-allowed.png') });

        // Framed by a site not on the list, the browser refuses the page itself (its frame-ancestors), so none of it
        // runs; the viewer's own refusal ('may not be embedded') is only the second line of defence.
        logs.length = 0;
        await v.goto(`http://127.0.0.1:${port}/`);
        await expect
          .poll(() => logs.some((l) => l.includes('frame-ancestors')), { timeout: 30_000 })
          .toBe(true);
        const refused = v.frameLocator('iframe');
        await expect(refused.locator('[data-testid="topology-host"]').count()).resolves.toBe(0);
        await v.screenshot({ path: path.join(tmpdir(), 'scanopy-topology-embed-refused.png') });
      } finally {
        await visitor.close();
        await new Promise((r) => host.close(r));
      }
    });

    it('has a minimap and zoom to fit, and a card opens its host page', async () => {
      await expect(page.locator('.svelte-flow__minimap').isVisible()).resolves.toBe(true);
      const viewport = () =>
        page.locator('.svelte-flow__viewport').evaluate((e) => e.getAttribute('style') ?? '');
      const canvas = (await page.getByTestId('topology-canvas').boundingBox())!;
      await step('zoom in, then fit', async () => {
        for (let i = 0; i < 4; i++) await page.locator('.svelte-flow__controls-zoomin').click();
        await page.waitForTimeout(300);
        const zoomed = await viewport();
        await page.locator('.svelte-flow__controls-fitview').click();
        await page.waitForTimeout(500); // the fit animates for 200 ms
        expect(await viewport()).not.toBe(zoomed);
      });
      // Fitted: every subnet box lies inside the canvas.
      const boxes = await page
        .locator('[data-testid="topology-subnet"]')
        .evaluateAll((els) => els.map((e) => e.getBoundingClientRect().toJSON()));
      for (const b of boxes as { x: number; y: number; width: number; height: number }[]) {
        expect(b.x).toBeGreaterThanOrEqual(canvas.x - 1);
        expect(b.y).toBeGreaterThanOrEqual(canvas.y - 1);
        expect(b.x + b.width).toBeLessThanOrEqual(canvas.x + canvas.width + 1);
        expect(b.y + b.height).toBeLessThanOrEqual(canvas.y + canvas.height + 1);
      }
      await step('open the host page from its card', async () => {
        await card(hostIds.nas!).getByTestId('topology-host-link').click();
        await page.waitForURL(`**/hosts/${hostIds.nas!}`, { timeout: 15_000 });
      });
      await step('and back', async () => {
        await page.goBack();
        await card(hostIds.nas!).waitFor({ timeout: 30_000 });
      });
    });

    // Last: a view is its own graph with a fresh layout, so it would drop the placements the tests above check.
    it('switches to the Workloads and Applications views and back to L3', async () => {
      const boxes = () => page.locator('[data-testid="topology-subnet"]');
      const subnetTitles = () => boxes().getByTestId('subnet-title').allTextContents();
      await step('Workloads', async () => {
        await page.getByTestId('topology-view').selectOption('Workloads');
        await status().filter({ hasText: 'Showing the Workloads view' }).waitFor({ timeout: 30_000 });
      });
      // One box per bare-metal host with services; the Proxmox host holds its two VMs.
      const titles = (await subnetTitles()).map((x) => x.trim());
      expect(titles).toContain('pve');
      expect(titles).not.toContain('media');
      expect(titles).toHaveLength(Object.keys(hostIds).length - 2);
      const pve = page.locator(`.svelte-flow__node[data-id="${hostIds.pve!}"]`);
      await expect(pve.count()).resolves.toBe(1);
      const vmHeaders = await page
        .locator('[data-testid="topology-host"]')
        .evaluateAll((els) => els.map((e) => e.textContent ?? '').filter((x) => x.includes('VM: ')));
      expect(vmHeaders.join(' ')).toMatch(/VM: media[\s\S]*Jellyfin|VM: db[\s\S]*PostgreSQL/);
      expect((await stored()).view).toBe('Workloads');

      await step('Applications', async () => {
        await page.getByTestId('topology-view').selectOption('Applications');
        await status().filter({ hasText: 'Showing the Applications view' }).waitFor({ timeout: 30_000 });
      });
      // No tags in this lab: every service lands in the Ungrouped box, and the page says how to group them.
      expect((await subnetTitles()).map((x) => x.trim())).toEqual(['Ungrouped']);
      await expect(page.getByTestId('applications-hint').isVisible()).resolves.toBe(true);

      // An application tag on the media VM: the unlocked diagram rebuilds by itself and the editor shows the box.
      await step('application tag', async () => {
        const tag = await call<{ id: string }>('POST', '/api/v1/tags', {
          name: 'Media apps',
          color: 'Purple',
          is_application: true,
        });
        await call('PUT', '/api/v1/tags/assign', {
          entity_type: 'Host',
          entity_id: hostIds.media!,
          tag_ids: [tag.id],
        });
        await boxes()
          .getByTestId('subnet-title')
          .filter({ hasText: 'Media apps' })
          .waitFor({ timeout: 30_000 });
      });
      expect((await subnetTitles()).map((x) => x.trim())).toEqual(['Media apps', 'Ungrouped']);
      await expect(page.getByTestId('applications-hint').count()).resolves.toBe(0);

      await step('back to L3', async () => {
        await page.getByTestId('topology-view').selectOption('L3Logical');
        await status().filter({ hasText: 'Showing the L3 logical view' }).waitFor({ timeout: 30_000 });
      });
      await expect(boxes().count()).resolves.toBe(Object.keys(SUBNETS).length);
    });
  },
);
