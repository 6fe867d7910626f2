import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { APIRequestContext, Download, Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserUnavailable, launchBrowser, type Browser } from './support/browser.ts';
import { ensureWebBuild, startServer, type RunningServer } from './support/server.ts';

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
const SUBNETS = [
  { name: 'LAN', cidr: '10.77.1.0/24', subnet_type: 'Lan' },
  { name: 'DMZ', cidr: '10.77.2.0/24', subnet_type: 'Dmz' },
  { name: 'Servers', cidr: '10.77.3.0/24', subnet_type: 'Lan' },
];
const SERVICES = ['Traefik', 'PostgreSQL', 'Redis', 'Grafana', 'SSH', 'Pi-Hole', 'Home Assistant', 'Samba'];

/*
 * The topology editor against a real server: a network seeded through the API (3 subnets, 12 hosts with services;
 * no discovery runs, so nothing is scanned), the diagram built by the server, and every edit checked in the stored
 * topology. Exports are validated as files (PNG decoded, SVG and draw.io parsed, Mermaid parsed by mermaid itself).
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
    const hostIds: string[] = [];
    const subnetIds: string[] = [];
    /** Why the suite cannot run against this server: only a missing builder route, never a wrong result. */
    let builderMissing = '';

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

    async function call<T>(method: 'GET' | 'POST' | 'DELETE', url: string, data?: unknown): Promise<T> {
      const res = await api.fetch(`${server!.baseUrl}${url}`, {
        method,
        ...(data === undefined ? {} : { data }),
      });
      const body = (await res.json()) as Envelope<T>;
      if (!res.ok()) throw new Error(`${method} ${url}: ${res.status()} ${JSON.stringify(body)}`);
      return body.data;
    }

    /** A host with one interface in `subnetId` and `n` services bound to ports on it. */
    async function seedHost(name: string, subnetId: string, ip: string, n: number): Promise<string> {
      const iface = randomUUID();
      const ports = Array.from({ length: n }, (_, k) => ({
        id: randomUUID(),
        number: 8000 + k,
        protocol: 'Tcp',
      }));
      // The server picks the host's id; the ids below only tie the new children together inside this body.
      const host = await call<{ id: string }>('POST', '/api/v1/hosts', {
        name,
        network_id: networkId,
        tags: [],
        interfaces: [{ id: iface, subnet_id: subnetId, ip_address: ip }],
        ports,
        services: ports.map((p, k) => ({
          id: randomUUID(),
          name: SERVICES[k % SERVICES.length],
          service_definition: SERVICES[k % SERVICES.length],
          bindings: [{ id: randomUUID(), type: 'Port', port_id: p.id, interface_id: iface }],
        })),
      });
      return host.id;
    }

    const stored = () => call<WireTopology>('GET', `/api/v1/topology/${topology.id}`);
    const card = (hostId: string) => page.locator(`[data-testid="topology-host"][data-host-id="${hostId}"]`);
    const status = () => page.getByTestId('topology-status');
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
      for (const s of SUBNETS) {
        subnetIds.push(
          (await call<{ id: string }>('POST', '/api/v1/subnets', { ...s, network_id: networkId, tags: [] }))
            .id,
        );
      }
      for (let i = 0; i < 12; i++) {
        const s = i % SUBNETS.length;
        hostIds.push(await seedHost(`host-${i}`, subnetIds[s]!, `10.77.${s + 1}.${10 + i}`, 1 + (i % 3)));
      }
      const all = await call<WireTopology[]>('GET', `/api/v1/topology?network_id=${networkId}`);
      topology =
        all[0] ??
        (await call<WireTopology>('POST', '/api/v1/topology', { network_id: networkId, name: 'Lab map' }));
      // Bring the diagram up to date with the seeded hosts (the topology may predate them).
      const rebuild = await api.post(`${server.baseUrl}/api/v1/topology/${topology.id}/rebuild`, {
        data: { network_id: networkId, options: (topology as unknown as { options: unknown }).options },
      });
      const answer = (await rebuild.json()) as { code?: string };
      if (rebuild.status() === 404 && answer.code === 'route_not_found') {
        builderMissing =
          'the server has no POST /api/v1/topology/{id}/rebuild yet (topology builder not merged)';
        return;
      }
      expect(rebuild.ok()).toBe(true);
      topology = await stored();
    });
    afterAll(async () => {
      await browser?.close();
      await server?.stop();
    });

    it('draws every seeded host inside its subnet', async (ctx) => {
      ctx.skip(!!builderMissing, builderMissing);
      await step('open the topology page', async () => {
        await page.goto(`${server!.baseUrl}/topology?id=${topology.id}`);
        await page.getByTestId('topology-canvas').waitFor({ timeout: 30_000 });
        await page.locator('[data-testid="topology-host"]').first().waitFor({ timeout: 30_000 });
      });
      const drawn = await page
        .locator('[data-testid="topology-host"]')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-host-id')));
      expect(new Set(drawn)).toEqual(new Set(hostIds));
      await expect(page.locator('[data-testid="topology-subnet"]').count()).resolves.toBe(SUBNETS.length);
      // Search highlights one host.
      await page.getByTestId('topology-search').fill('host-7');
      await expect(page.getByTestId('search-count').textContent()).resolves.toBe('1 found');
      await expect(card(hostIds[7]!).evaluate((e) => e.classList.contains('highlighted'))).resolves.toBe(
        true,
      );
      await page.getByTestId('topology-search').fill('');
      // The search zoomed to its match; back to the whole diagram for the next steps.
      await page.locator('.svelte-flow__controls-fitview').click();
    });

    it('saves a dragged card through the point update, keeps it after a reload, and undoes it', async (ctx) => {
      ctx.skip(!!builderMissing, builderMissing);
      const hostId = hostIds[0]!;
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

    it('resizes a subnet and saves its size', async (ctx) => {
      ctx.skip(!!builderMissing, builderMissing);
      // The topmost subnet: its title is never under the minimap (bottom right).
      const subnet = topology.nodes
        .filter((n) => n.node_type === 'SubnetNode')
        .sort((a, b) => a.position.y - b.position.y || a.position.x - b.position.x)[0]!;
      const before = nodeOf(await stored(), subnet.id).size;
      await step('select the subnet and drag its corner', async () => {
        const el = page.locator(`.svelte-flow__node[data-id="${subnet.id}"]`);
        await el.getByTestId('subnet-title').click();
        const grip = el.locator('.svelte-flow__resize-control.handle.bottom.right');
        await grip.waitFor();
        const box = (await grip.boundingBox())!;
        await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
        await page.mouse.down();
        await page.mouse.move(box.x + 80, box.y + 60, { steps: 10 });
        await page.mouse.up();
        await status().filter({ hasText: 'Saved size' }).waitFor();
      });
      const after = nodeOf(await stored(), subnet.id).size;
      expect(after.x).toBeGreaterThan(before.x);
      expect(after.y).toBeGreaterThan(before.y);
    });

    it('shows the stale banner when a locked diagram falls behind, and rebuilds after unlocking', async (ctx) => {
      ctx.skip(!!builderMissing, builderMissing);
      await step('lock', async () => {
        await page.getByTestId('topology-lock').click();
        await page.getByTestId('locked-banner').waitFor();
      });
      expect((await stored()).is_locked).toBe(true);
      const newHost = await seedHost('late-arrival', subnetIds[0]!, '10.77.1.200', 2);
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

    it('exports PNG, SVG, Mermaid and draw.io files that open in their tools', async (ctx) => {
      ctx.skip(!!builderMissing, builderMissing);
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
      const hidden = (t as unknown as { options: { local: { hide_edge_types: string[] } } }).options.local
        .hide_edge_types;
      expect(counts).toEqual({
        error: 0,
        vertices: t.nodes.length,
        edges: t.edges.filter((e) => !hidden.includes(e.edge_type)).length,
      });
    });

    it('shares the diagram with a password that a fresh browser must give first', async (ctx) => {
      ctx.skip(!!builderMissing, builderMissing);
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
        expect(shown.length).toBe(hostIds.length + 1);
      } finally {
        await visitor.close();
      }
    });
  },
);
