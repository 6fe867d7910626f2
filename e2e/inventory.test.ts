import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, apiStatus, OWNER, setupOwner, step as runStep } from './support/app.ts';
import { browserUnavailable, launchBrowser, type Browser } from './support/browser.ts';
import { ensureWebBuild, startServer, type RunningServer } from './support/server.ts';

const unavailable = browserUnavailable();
const skipReason = unavailable && !process.env.CI ? unavailable : undefined;

interface Row {
  id: string;
  name: string;
}

/*
 * The inventory pages through the UI, each write checked through the API: tags, subnets (inline CIDR validation,
 * filters, search, sort, pagination kept in the URL, CSV export of the filtered list), hosts (create, edit, bulk tag,
 * delete), services, groups and networks; server errors shown as sentences; a viewer gets no write buttons and the
 * API refuses the write when forced. No discovery is ever started.
 */
describe.skipIf(skipReason)(
  `inventory pages in a browser${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    let server: RunningServer | undefined;
    let browser: Browser | undefined;
    let page: Page;
    let networkId: string;
    let base: string;
    const step = <T>(name: string, fn: () => Promise<T>) => runStep(page, server, name, fn);

    beforeAll(async () => {
      if (unavailable) throw new Error(`browser tests must run under CI, but ${unavailable}`);
      ensureWebBuild();
      server = await startServer({ SCANOPY_INTEGRATED_DAEMON: 'false' });
      base = server.baseUrl;
      browser = await launchBrowser();
      page = await browser.context.newPage();
      ({ networkId } = await setupOwner(page, server));
    });

    afterAll(async () => {
      await browser?.close();
      await server?.stop();
    });

    it('says what to do next on every empty list, with scoped table headers', async () => {
      // A fresh organization without a daemon: every list is empty (but Subnets: a network starts with its Internet and
      // Remote Network subnets).
      const lists: [string, string, RegExp][] = [
        ['/hosts', 'hosts-table', /No hosts yet.*add a daemon.*discovery.*add a host by hand/s],
        ['/services', 'services-table', /No services yet.*run one.*add a service by hand/s],
        ['/groups', 'groups-table', /No groups yet.*Create one/s],
        ['/tags', 'tags-table', /No tags yet.*Create one/s],
        ['/shares', 'shares-table', /No shares yet.*Open a topology/s],
        ['/daemons', 'daemons-table', /No daemon has registered yet.*Add a daemon/s],
        ['/api-keys', 'api-keys-table', /No API keys yet.*Create one/s],
      ];
      for (const [path, table, text] of lists) {
        const empty = page.getByTestId(`${table}-empty`);
        await step(`empty ${path}`, async () => {
          await page.goto(`${base}${path}`);
          await empty.waitFor();
        });
        expect((await empty.textContent())?.replace(/\s+/g, ' '), path).toMatch(text);
        // No "0 of 0" pager under an empty list, and every header cell names its scope for screen readers.
        expect(await page.getByTestId('pagination').count(), path).toBe(0);
        expect(await page.locator('thead th').count(), path).toBeGreaterThan(0);
        expect(await page.locator('thead th:not([scope])').count(), `${path}: th without scope`).toBe(0);
      }
      await step('the empty Discovery page says where discoveries come from', async () => {
        await page.goto(`${base}/discovery`);
        await page.getByTestId('jobs-empty').filter({ hasText: 'created when a daemon registers' }).waitFor();
        await page.getByTestId('sessions-empty').waitFor();
      });
      await step("the empty Hosts list's link opens the create-daemon wizard", async () => {
        await page.goto(`${base}/hosts`);
        await page.getByTestId('hosts-table-empty').getByRole('link', { name: 'add a daemon' }).click();
        await page.getByTestId('daemon-wizard').waitFor();
        await page.keyboard.press('Escape');
        await page.getByTestId('daemon-wizard').waitFor({ state: 'detached' });
      });
    });

    it('creates, edits and deletes a tag, and shows a refused duplicate as a sentence', async () => {
      await step('create a tag', async () => {
        await page.goto(`${base}/tags`);
        await page.getByTestId('tag-create').click();
        await page.getByTestId('tag-name-input').fill('production');
        await page.getByTestId('tag-color-Red').check({ force: true });
        await page.getByTestId('tag-save').click();
        await page.getByTestId('tag-row').filter({ hasText: 'production' }).waitFor();
      });
      const tags = await api<{ name: string; color: string }[]>(page, 'GET', `${base}/api/v1/tags`);
      expect(tags).toContainEqual(expect.objectContaining({ name: 'production', color: 'Red' }));

      await step('a duplicate name is refused with the server message', async () => {
        await page.getByTestId('tag-create').click();
        await page.getByTestId('tag-name-input').fill('production');
        await page.getByTestId('tag-save').click();
        await page.getByTestId('form-error').waitFor();
      });
      expect(await page.getByTestId('form-error').textContent()).toMatch(/production.*already exists/i);
      await page.keyboard.press('Escape');

      await step('rename, then delete', async () => {
        await page.getByTestId('tag-row').filter({ hasText: 'production' }).getByTestId('row-edit').click();
        await page.getByTestId('tag-name-input').fill('prod');
        await page.getByTestId('tag-save').click();
        await page.getByTestId('tag-row').filter({ hasText: 'prod' }).waitFor();
        await api(page, 'POST', `${base}/api/v1/tags`, { name: 'temporary', color: 'Gray' });
        await page.reload();
        await page.getByTestId('tag-row').filter({ hasText: 'temporary' }).getByTestId('row-delete').click();
        await page.getByTestId('confirm-submit').click();
        await page.getByTestId('tag-row').filter({ hasText: 'temporary' }).waitFor({ state: 'detached' });
      });
      const names = (await api<Row[]>(page, 'GET', `${base}/api/v1/tags`)).map((t) => t.name).sort();
      expect(names).toEqual(['prod']);
    });

    it('validates a CIDR inline, creates, edits and deletes a subnet', async () => {
      await step('invalid CIDR is explained before saving', async () => {
        await page.goto(`${base}/subnets`);
        await page.getByTestId('subnet-create').click();
        await page.getByTestId('subnet-cidr-input').fill('10.1.300.0/24');
        await page.getByTestId('field-error').filter({ hasText: 'not an IPv4 address' }).waitFor();
        await page.getByTestId('subnet-cidr-input').fill('10.1.3.0/24');
        await page.getByTestId('subnet-name-input').fill('Office');
        await page.getByTestId('subnet-type-input').selectOption('Lan');
        await page.getByTestId('subnet-save').click();
        await page.getByTestId('subnet-row').filter({ hasText: '10.1.3.0/24' }).waitFor();
      });
      let subnets = await api<(Row & { cidr: string })[]>(page, 'GET', `${base}/api/v1/subnets?limit=0`);
      const office = subnets.find((s) => s.cidr === '10.1.3.0/24');
      expect(office?.name).toBe('Office');

      await step('edit and delete', async () => {
        const row = page.getByTestId('subnet-row').filter({ hasText: '10.1.3.0/24' });
        await row.getByTestId('row-edit').click();
        await page.getByTestId('subnet-name-input').fill('Office LAN');
        await page.getByTestId('subnet-save').click();
        await row.getByTestId('subnet-name').filter({ hasText: 'Office LAN' }).waitFor();
        await row.getByTestId('row-delete').click();
        await page.getByTestId('confirm-submit').click();
        await row.waitFor({ state: 'detached' });
      });
      subnets = await api(page, 'GET', `${base}/api/v1/subnets?limit=0`);
      expect(subnets.some((s) => s.cidr === '10.1.3.0/24')).toBe(false);
    });

    it('searches, filters, sorts and pages subnets in the URL, and exports the filtered list as CSV', async () => {
      for (let i = 1; i <= 30; i++) {
        await api(page, 'POST', `${base}/api/v1/subnets`, {
          network_id: networkId,
          cidr: `10.50.${i}.0/24`,
          name: `lab-${String(i).padStart(2, '0')}`,
          subnet_type: i % 3 === 0 ? 'Guest' : 'Lan',
        });
      }
      const total = (await api<Row[]>(page, 'GET', `${base}/api/v1/subnets?limit=0`)).length;

      await step('page 2 survives a reload and Back', async () => {
        await page.goto(`${base}/subnets?sort=name&dir=asc`);
        await page
          .getByTestId('pagination-range')
          .filter({ hasText: `1–25 of ${total}` })
          .waitFor();
        await page.getByTestId('pagination-next').click();
        await page.getByTestId('pagination-page').filter({ hasText: 'Page 2 of 2' }).waitFor();
        expect(new URL(page.url()).searchParams.get('page')).toBe('2');
        await page.reload();
        await page.getByTestId('pagination-page').filter({ hasText: 'Page 2 of 2' }).waitFor();
        await page.getByTestId('pagination-prev').click();
        await page.getByTestId('pagination-page').filter({ hasText: 'Page 1 of 2' }).waitFor();
        await page.goBack();
        await page.getByTestId('pagination-page').filter({ hasText: 'Page 2 of 2' }).waitFor();
      });

      await step('sort by name, descending', async () => {
        await page.goto(`${base}/subnets`);
        await page.getByTestId('sort-name').click();
        await page.waitForURL(/sort=name&dir=asc/);
        await page.getByTestId('sort-name').click();
        await page.waitForURL(/dir=desc/);
        await page.getByTestId('subnet-name').first().filter({ hasText: 'lab-30' }).waitFor();
      });

      await step('search and type filter', async () => {
        await page.goto(`${base}/subnets`);
        await page.getByTestId('filter-subnet_type').click();
        await page.getByTestId('filter-subnet_type-option').and(page.locator('[data-value="Guest"]')).check();
        await page.waitForURL(/subnet_type=Guest/);
        await page.keyboard.press('Escape');
        await page.getByTestId('list-search').fill('lab-1');
        await page.waitForURL(/q=lab-1/);
        await page.getByTestId('pagination-range').filter({ hasText: '1–3 of 3' }).waitFor();
      });
      const shown = (await page.getByTestId('subnet-name').allTextContents()).map((t) => t.trim()).sort();
      expect(shown).toEqual(['lab-12', 'lab-15', 'lab-18']);

      const csv = await step('download the CSV', async () => {
        const [download] = await Promise.all([
          page.waitForEvent('download'),
          page.getByTestId('export-csv').click(),
        ]);
        return readFileSync((await download.path())!, 'utf8');
      });
      const [header, ...lines] = csv.trim().split(/\r?\n/);
      const nameAt = header!.split(',').indexOf('name');
      expect(lines.map((l) => l.split(',')[nameAt]).sort()).toEqual(shown);
    });

    it('creates a host by hand, edits it, tags it in bulk, adds a service and deletes it', async () => {
      let hostId = '';
      await step('create', async () => {
        await page.goto(`${base}/hosts`);
        await page.getByTestId('host-create').click();
        await page.getByTestId('host-name-input').fill('nas');
        await page.getByTestId('host-hostname-input').fill('nas.lan');
        await page.getByTestId('host-save').click();
        await page.waitForURL(/\/hosts\/[0-9a-f-]{36}$/);
        hostId = new URL(page.url()).pathname.split('/').pop()!;
        await page.getByTestId('page-title').filter({ hasText: 'nas' }).waitFor();
      });
      await step('edit', async () => {
        await page.getByTestId('host-edit').click();
        await page.getByTestId('host-description-input').fill('The file server');
        await page.getByTestId('host-hidden-input').check();
        await page.getByTestId('host-save').click();
        await page.getByTestId('host-description').filter({ hasText: 'The file server' }).waitFor();
      });
      let host = await api<{
        name: string;
        hostname: string;
        description: string;
        hidden: boolean;
        tags: string[];
      }>(page, 'GET', `${base}/api/v1/hosts/${hostId}`);
      expect(host).toMatchObject({
        name: 'nas',
        hostname: 'nas.lan',
        description: 'The file server',
        hidden: true,
      });

      await step('the virtualization filter (no VM here), the hidden filter and search', async () => {
        await page.goto(`${base}/hosts`);
        await page.getByTestId('filter-virtualized').selectOption('true');
        await page.waitForURL(/virtualized=true/);
        await page.getByTestId('hosts-table-empty').filter({ hasText: 'No hosts match' }).waitFor();
        await page.getByTestId('filter-virtualized').selectOption('false');
        await page.getByTestId('host-row').filter({ hasText: 'nas' }).waitFor();
        await page.getByTestId('clear-filters').click();
        await page.waitForURL((u) => !u.search.includes('virtualized'));
        await page.getByTestId('filter-hidden').selectOption('false');
        await page.getByTestId('hosts-table-empty').waitFor();
        await page.getByTestId('filter-hidden').selectOption('true');
        await page.getByTestId('host-row').filter({ hasText: 'nas' }).waitFor();
        await page.getByTestId('list-search').fill('file server');
        await page.waitForURL(/q=file/);
        await page.getByTestId('host-row').filter({ hasText: 'nas' }).waitFor();
      });

      await step('bulk tag from the list; rows open the host page', async () => {
        await page.goto(`${base}/hosts`);
        const row = page.getByTestId('host-row').filter({ hasText: 'nas' });
        await row.getByTestId('select-row').check();
        await page.getByTestId('bulk-tag-select').selectOption({ label: 'prod' });
        await page.getByTestId('bulk-tag-add').click();
        await row.getByTestId('tag-chip').filter({ hasText: 'prod' }).waitFor();
        await row.getByTestId('host-hostname').click();
        await page.waitForURL(`${base}/hosts/${hostId}`);
      });
      host = await api(page, 'GET', `${base}/api/v1/hosts/${hostId}`);
      expect(host.tags).toHaveLength(1);

      await step('add a service to it', async () => {
        await page.goto(`${base}/services`);
        await page.getByTestId('service-create').click();
        await page.getByTestId('service-host').selectOption({ label: 'nas' });
        await page.getByTestId('service-name-input').fill('Samba');
        await page.getByTestId('service-definition-input').fill('Samba');
        await page.getByTestId('service-save').click();
        await page.getByTestId('service-row').filter({ hasText: 'Samba' }).waitFor();
      });
      const services = await api<(Row & { host_id: string })[]>(page, 'GET', `${base}/api/v1/services`);
      expect(services).toContainEqual(expect.objectContaining({ name: 'Samba', host_id: hostId }));

      await step('delete from its page', async () => {
        await page.goto(`${base}/hosts/${hostId}`);
        await page.getByTestId('host-service').filter({ hasText: 'Samba' }).waitFor();
        await page.getByTestId('host-delete').click();
        await page.getByTestId('confirm-submit').click();
        await page.waitForURL(`${base}/hosts`);
      });
      expect(await apiStatus(page, 'GET', `${base}/api/v1/hosts/${hostId}`)).toBe(404);
    });

    it("consolidates two records of one machine, explains why a daemon's host cannot be merged away, and bulk-deletes hosts", async () => {
      const mk = (name: string) =>
        api<Row>(page, 'POST', `${base}/api/v1/hosts`, { name, network_id: networkId, tags: [] });
      const printer = await mk('printer');
      const duplicate = await mk('printer-dup');
      await api(page, 'POST', `${base}/api/v1/ports`, {
        host_id: duplicate.id,
        network_id: networkId,
        number: 631,
        protocol: 'Tcp',
      });
      await step('merge the duplicate into the printer', async () => {
        await page.goto(`${base}/hosts/${printer.id}`);
        await page.getByTestId('host-consolidate').click();
        await page.getByTestId('consolidate-other').selectOption({ label: 'printer-dup' });
        await page.getByTestId('consolidate-submit').click();
        await page.getByTestId('consolidate-dialog').waitFor({ state: 'detached' });
        await page.locator('[data-testid="host-port"][data-port="631/tcp"]').waitFor();
      });
      expect(await apiStatus(page, 'GET', `${base}/api/v1/hosts/${duplicate.id}`)).toBe(404);

      // A server_poll daemon registered by hand (its URL is a closed loopback port: nothing is ever reached) has a host.
      const provisioned = await api<{ daemon: { id: string; host_id: string } }>(
        page,
        'POST',
        `${base}/api/v1/daemons/provision`,
        { name: 'closet-pi', network_id: networkId, url: 'http://127.0.0.1:9' },
      );
      const daemonHost = provisioned.daemon.host_id;
      try {
        const error = await step("merging the daemon's host away is refused and explained", async () => {
          await page.getByTestId('host-consolidate').click();
          await page.getByTestId('consolidate-other').selectOption({ label: 'closet-pi' });
          await page.getByTestId('consolidate-submit').click();
          await page.getByTestId('consolidate-error').waitFor();
          return (await page.getByTestId('consolidate-error').textContent())!;
        });
        expect(error).toMatch(/closet-pi cannot be merged away because a daemon runs on it/);
        expect(error).toMatch(/other direction/);
        // Nothing changed.
        expect(await apiStatus(page, 'GET', `${base}/api/v1/hosts/${daemonHost}`)).toBe(200);
        expect(await apiStatus(page, 'GET', `${base}/api/v1/hosts/${printer.id}`)).toBe(200);
        await step('the offered other direction keeps the daemon host', async () => {
          await page
            .getByTestId('consolidate-reverse')
            .filter({ hasText: 'Merge into closet-pi instead' })
            .click();
          await page.waitForURL(`${base}/hosts/${daemonHost}`);
          await page.locator('[data-testid="host-port"][data-port="631/tcp"]').waitFor();
        });
        expect(await apiStatus(page, 'GET', `${base}/api/v1/hosts/${printer.id}`)).toBe(404);
      } finally {
        await api(page, 'DELETE', `${base}/api/v1/daemons/${provisioned.daemon.id}`);
        if ((await apiStatus(page, 'GET', `${base}/api/v1/hosts/${daemonHost}`)) === 200)
          await api(page, 'DELETE', `${base}/api/v1/hosts/${daemonHost}`);
      }

      const doomed = await Promise.all(['tmp-a', 'tmp-b'].map(mk));
      await step('select both on the list and delete them', async () => {
        await page.goto(`${base}/hosts?q=tmp-`);
        await page.getByTestId('pagination-range').filter({ hasText: '1–2 of 2' }).waitFor();
        await page.getByTestId('select-all').check();
        await page.getByTestId('bulk-count').filter({ hasText: '2 selected' }).waitFor();
        await page.getByTestId('bulk-delete').click();
        await page.getByTestId('confirm-submit').click();
        await page.getByTestId('hosts-table-empty').filter({ hasText: 'No hosts match' }).waitFor();
      });
      for (const h of doomed) expect(await apiStatus(page, 'GET', `${base}/api/v1/hosts/${h.id}`)).toBe(404);
    });

    it('filters services by several categories and tags, in the URL, the request and the CSV', async () => {
      const host = await api<Row>(page, 'POST', `${base}/api/v1/hosts`, {
        name: 'rack',
        network_id: networkId,
        tags: [],
      });
      const [blue, green] = await Promise.all(
        ['blue', 'green'].map((name) =>
          api<Row>(page, 'POST', `${base}/api/v1/tags`, { name, color: 'Blue' }),
        ),
      );
      const services: [string, string, string[]][] = [
        ['pihole', 'Pi-Hole', [blue!.id]],
        ['unbound', 'Unbound DNS', []],
        ['minio', 'MinIO', [green!.id]],
        ['jellyfin', 'Jellyfin', [blue!.id, green!.id]],
      ];
      for (const [name, service_definition, tags] of services) {
        await api(page, 'POST', `${base}/api/v1/services`, {
          host_id: host.id,
          network_id: networkId,
          name,
          service_definition,
          tags,
        });
      }
      const shownNames = async () =>
        (await page.getByTestId('service-name').allTextContents()).map((t) => t.trim()).sort();

      await step('two categories', async () => {
        await page.goto(`${base}/services`);
        await page.getByTestId('filter-category').click();
        const option = (v: string) =>
          page.getByTestId('filter-category-option').and(page.locator(`[data-value="${v}"]`));
        await option('DNS').check();
        await page.waitForURL(/category=DNS/);
        await option('AdBlock').check();
        await page.waitForURL(/category=DNS&category=AdBlock/);
        await page.keyboard.press('Escape');
        await page.getByTestId('pagination-range').filter({ hasText: 'of 2' }).waitFor();
      });
      expect(await shownNames()).toEqual(['pihole', 'unbound']);
      expect(await page.getByTestId('filter-category').textContent()).toContain('2 selected');
      const viaApi = await api<Row[]>(
        page,
        'GET',
        `${base}/api/v1/services?network_id=${networkId}&category=DNS&category=AdBlock`,
      );
      expect(viaApi.map((r) => r.name).sort()).toEqual(['pihole', 'unbound']);

      const csv = await step('the CSV has the same rows', async () => {
        expect(await page.getByTestId('export-csv').getAttribute('href')).toMatch(
          /category=DNS&category=AdBlock/,
        );
        const [download] = await Promise.all([
          page.waitForEvent('download'),
          page.getByTestId('export-csv').click(),
        ]);
        return readFileSync((await download.path())!, 'utf8');
      });
      const [header, ...lines] = csv.trim().split(/\r?\n/);
      const nameAt = header!.split(',').indexOf('name');
      expect(lines.map((l) => l.split(',')[nameAt]).sort()).toEqual(['pihole', 'unbound']);

      await step('a reload keeps them; two tags match either', async () => {
        await page.reload();
        await page.getByTestId('pagination-range').filter({ hasText: 'of 2' }).waitFor();
        await page.goto(`${base}/services`);
        await page.getByTestId('filter-tag_ids').click();
        for (const t of [blue!, green!]) {
          await page
            .getByTestId('filter-tag_ids-option')
            .and(page.locator(`[data-value="${t.id}"]`))
            .check();
          await page.waitForURL(new RegExp(`tag_ids=${t.id}`));
        }
        await page.keyboard.press('Escape');
        await page.getByTestId('pagination-range').filter({ hasText: 'of 3' }).waitFor();
      });
      expect(await shownNames()).toEqual(['jellyfin', 'minio', 'pihole']);
      const params = new URL(page.url()).searchParams.getAll('tag_ids');
      expect(params.sort()).toEqual([blue!.id, green!.id].sort());
      await api(page, 'POST', `${base}/api/v1/hosts/bulk-delete`, [host.id]);
    });

    it("adds, edits and deletes a host's interfaces and ports, explaining bad values inline", async () => {
      const subnet = await api<Row>(page, 'POST', `${base}/api/v1/subnets`, {
        network_id: networkId,
        cidr: '10.60.1.0/24',
        name: 'Servers',
        subnet_type: 'Lan',
      });
      const host = await api<Row>(page, 'POST', `${base}/api/v1/hosts`, {
        name: 'db-1',
        network_id: networkId,
        tags: [],
      });
      interface Iface {
        id: string;
        ip_address: string;
        mac_address: string | null;
        name: string | null;
        subnet_id: string;
      }
      interface PortRow {
        id: string;
        number: number;
        protocol: string;
        type: string;
      }
      const interfaces = () => api<Iface[]>(page, 'GET', `${base}/api/v1/interfaces?host_id=${host.id}`);
      const ports = () => api<PortRow[]>(page, 'GET', `${base}/api/v1/ports?host_id=${host.id}`);

      await step('an address outside the subnet and a bad MAC are explained before saving', async () => {
        await page.goto(`${base}/hosts/${host.id}`);
        await page.getByTestId('interface-create').click();
        await page.getByTestId('interface-subnet-input').selectOption({ label: '10.60.1.0/24 · Servers' });
        await page.getByTestId('interface-ip-input').fill('10.60.2.5');
        await page
          .getByTestId('field-error')
          .filter({ hasText: '10.60.2.5 is not in 10.60.1.0/24' })
          .waitFor();
        await page.getByTestId('interface-ip-input').fill('10.60.1.5');
        await page.getByTestId('interface-mac-input').fill('00:11:22');
        await page.getByTestId('field-error').filter({ hasText: 'not a MAC address' }).waitFor();
        await page.getByTestId('interface-save').click();
        // Still open: nothing was sent.
        await page.getByTestId('interface-form').waitFor();
        await page.getByTestId('interface-mac-input').fill('00:11:22:33:44:55');
        await page.getByTestId('interface-name-input').fill('eth0');
        await page.getByTestId('interface-save').click();
        await page.getByTestId('host-interface').filter({ hasText: '10.60.1.5' }).waitFor();
      });
      let [iface] = await interfaces();
      expect(iface).toMatchObject({ ip_address: '10.60.1.5', name: 'eth0', subnet_id: subnet.id });
      // The host's facts: its subnet (from the new interface), network, source and when it was seen.
      await page.getByTestId('host-subnets').filter({ hasText: '10.60.1.0/24' }).waitFor();
      expect(await page.getByTestId('host-network').textContent()).toContain('Home Lab');
      expect(await page.getByTestId('host-virtualization').textContent()).toMatch(/None/);
      expect(await page.getByTestId('page-title').getByTestId('source-badge').textContent()).toContain(
        'Manual',
      );
      expect(await page.getByTestId('host-first-seen').textContent()).toMatch(/just now|s ago|min ago/);
      expect(await page.getByTestId('host-last-seen').textContent()).toMatch(/just now|s ago|min ago/);
      expect(iface?.mac_address?.toLowerCase()).toBe('00:11:22:33:44:55');

      await step('a second interface on the same address is refused with the server sentence', async () => {
        await page.getByTestId('interface-create').click();
        await page.getByTestId('interface-ip-input').fill('10.60.1.5');
        await page.getByTestId('interface-save').click();
        await page.getByTestId('form-error').waitFor();
      });
      expect(await page.getByTestId('form-error').textContent()).toMatch(/10\.60\.1\.5.*already exists/i);
      await page.keyboard.press('Escape');

      await step('edit the address', async () => {
        await page
          .getByTestId('host-interface')
          .filter({ hasText: '10.60.1.5' })
          .getByTestId('row-edit')
          .click();
        await page.getByTestId('interface-ip-input').fill('10.60.1.6');
        await page.getByTestId('interface-save').click();
        await page.getByTestId('host-interface').filter({ hasText: '10.60.1.6' }).waitFor();
      });
      [iface] = await interfaces();
      expect(iface?.ip_address).toBe('10.60.1.6');

      await step('ports: a bad number, a duplicate, then 22/tcp and 53/udp', async () => {
        await page.getByTestId('port-create').click();
        await page.getByTestId('port-number-input').fill('70000');
        await page.getByTestId('field-error').filter({ hasText: 'between 1 and 65535' }).waitFor();
        await page.getByTestId('port-number-input').fill('22');
        await page.getByTestId('port-save').click();
        await page.getByTestId('host-port').filter({ hasText: '22/tcp' }).waitFor();
        await page.getByTestId('port-create').click();
        await page.getByTestId('port-number-input').fill('22');
        await page.getByTestId('field-error').filter({ hasText: 'already recorded' }).waitFor();
        await page.getByTestId('port-protocol-input').selectOption('Udp');
        await page.getByTestId('port-number-input').fill('53');
        await page.getByTestId('port-save').click();
        await page.getByTestId('host-port').filter({ hasText: '53/udp' }).waitFor();
      });
      expect((await ports()).map((p) => `${p.number}/${p.protocol}`).sort()).toEqual(['22/Tcp', '53/Udp']);

      await step('edit 22/tcp to 2222/tcp, then delete 53/udp and the interface', async () => {
        await page.locator('[data-testid="host-port"][data-port="22/tcp"]').getByTestId('row-edit').click();
        await page.getByTestId('port-number-input').fill('2222');
        await page.getByTestId('port-save').click();
        await page.locator('[data-testid="host-port"][data-port="2222/tcp"]').waitFor();
        await page.locator('[data-testid="host-port"][data-port="53/udp"]').getByTestId('row-delete').click();
        await page.getByTestId('confirm-submit').click();
        await page.locator('[data-testid="host-port"][data-port="53/udp"]').waitFor({ state: 'detached' });
        await page
          .getByTestId('host-interface')
          .filter({ hasText: '10.60.1.6' })
          .getByTestId('row-delete')
          .click();
        await page.getByTestId('confirm-submit').click();
        await page
          .getByTestId('host-interface')
          .filter({ hasText: '10.60.1.6' })
          .waitFor({ state: 'detached' });
      });
      expect((await ports()).map((p) => `${p.number}/${p.protocol}`)).toEqual(['2222/Tcp']);
      expect(await interfaces()).toEqual([]);
    });

    it('refreshes an open Tags page when a tag changes elsewhere, without a reload', async () => {
      await step('open Tags', async () => {
        await page.goto(`${base}/tags`);
        await page.getByTestId('tag-row').first().waitFor();
      });
      const tag = await api<Row>(page, 'POST', `${base}/api/v1/tags`, {
        name: 'from-a-script',
        color: 'Green',
      });
      await step('the new tag appears', async () => {
        await page.getByTestId('tag-row').filter({ hasText: 'from-a-script' }).waitFor({ timeout: 10_000 });
      });
      await api(page, 'PUT', `${base}/api/v1/tags/${tag.id}`, { name: 'renamed-by-script', color: 'Green' });
      await step('the rename appears', async () => {
        await page
          .getByTestId('tag-row')
          .filter({ hasText: 'renamed-by-script' })
          .waitFor({ timeout: 10_000 });
      });
      await api(page, 'DELETE', `${base}/api/v1/tags/${tag.id}`);
      await step('the delete removes it', async () => {
        await page
          .getByTestId('tag-row')
          .filter({ hasText: 'renamed-by-script' })
          .waitFor({ state: 'detached', timeout: 10_000 });
      });
    });

    it('shows counts, recent discoveries and recently seen hosts on Home', async () => {
      const summary = await api<{
        networks: { host_count: number; service_count: number; subnet_count: number }[];
        daemons: unknown[];
      }>(page, 'GET', `${base}/api/v1/dashboard/summary`);
      const sum = (k: 'host_count' | 'service_count' | 'subnet_count') =>
        summary.networks.reduce((n, x) => n + x[k], 0);
      await step('open Home from the sidebar', async () => {
        await page.goto(`${base}/hosts`);
        await page.getByTestId('nav-home').click();
        await page.waitForURL(`${base}/`);
        await page.getByTestId('dashboard-counts').waitFor();
        await page.getByTestId('dashboard-count-value').first().filter({ hasNotText: '…' }).waitFor();
      });
      const value = async (key: string) =>
        (await page.getByTestId(`dashboard-count-${key}`).getByTestId('dashboard-count-value').textContent())!
          .trim()
          .replace(/[^\d/ ]/g, '');
      expect(await value('hosts')).toBe(String(sum('host_count')));
      expect(await value('services')).toBe(String(sum('service_count')));
      expect(await value('subnets')).toBe(String(sum('subnet_count')));
      // No daemon in this file's server: none online, and the empty discoveries list says what to do.
      expect(await value('daemons')).toBe('0 / 0');
      expect(await page.getByTestId('dashboard-discoveries').textContent()).toMatch(
        /No discovery has finished/,
      );
      const newest = await api<Row[]>(
        page,
        'GET',
        `${base}/api/v1/hosts?order_by=updated_at&order_direction=desc&limit=5`,
      );
      const shown = await page.getByTestId('dashboard-host').locator('a span.font-medium').allTextContents();
      expect(shown.map((t) => t.trim())).toEqual(newest.map((h) => h.name));

      const created = await api<Row>(page, 'POST', `${base}/api/v1/hosts`, {
        name: 'just-added',
        network_id: networkId,
        tags: [],
      });
      await step('a new host shows up live', async () => {
        await page
          .getByTestId('dashboard-host')
          .first()
          .filter({ hasText: 'just-added' })
          .waitFor({ timeout: 10_000 });
        await page
          .getByTestId('dashboard-count-hosts')
          .filter({ hasText: String(sum('host_count') + 1) })
          .waitFor();
      });
      await api(page, 'DELETE', `${base}/api/v1/hosts/${created.id}`);
    });

    it('creates a network and a group', async () => {
      await step('network', async () => {
        await page.goto(`${base}/networks`);
        await page.getByTestId('network-create').click();
        await page.getByTestId('network-name-input').fill('Branch office');
        await page.getByTestId('network-save').click();
        const row = page.getByTestId('network-row').filter({ hasText: 'Branch office' });
        // A network without a daemon offers to add one.
        await row.getByTestId('network-add-daemon').waitFor();
      });
      expect((await api<Row[]>(page, 'GET', `${base}/api/v1/networks`)).map((n) => n.name)).toContain(
        'Branch office',
      );

      await step('group', async () => {
        await page.goto(`${base}/groups`);
        await page.getByTestId('group-create').click();
        await page.getByTestId('group-network').selectOption({ label: 'Home Lab' });
        await page.getByTestId('group-name-input').fill('Web path');
        await page.getByTestId('group-type-input').selectOption('HubAndSpoke');
        await page.getByTestId('group-edge-input').selectOption('Step');
        await page.getByTestId('group-save').click();
        await page.getByTestId('group-row').filter({ hasText: 'Web path' }).waitFor();
      });
      const groups = await api<(Row & { group_type: string; edge_style: string })[]>(
        page,
        'GET',
        `${base}/api/v1/groups`,
      );
      expect(groups).toContainEqual(
        expect.objectContaining({ name: 'Web path', group_type: 'HubAndSpoke', edge_style: 'Step' }),
      );
    });

    it("edits and deletes services, orders a group's bindings, limits lists to the chosen network, and deletes a network", async () => {
      const subnet = await api<Row>(page, 'POST', `${base}/api/v1/subnets`, {
        network_id: networkId,
        cidr: '10.70.1.0/24',
        name: 'Apps',
        subnet_type: 'Lan',
      });
      const host = await api<Row>(page, 'POST', `${base}/api/v1/hosts`, {
        name: 'app-1',
        network_id: networkId,
        tags: [],
      });
      const iface = await api<Row>(page, 'POST', `${base}/api/v1/interfaces`, {
        host_id: host.id,
        subnet_id: subnet.id,
        network_id: networkId,
        ip_address: '10.70.1.10',
      });
      type Svc = Row & { bindings: { id: string }[] };
      const service = async (name: string, definition: string, port: number) => {
        const p = await api<Row>(page, 'POST', `${base}/api/v1/ports`, {
          host_id: host.id,
          network_id: networkId,
          number: port,
          protocol: 'Tcp',
        });
        return api<Svc>(page, 'POST', `${base}/api/v1/services`, {
          host_id: host.id,
          network_id: networkId,
          name,
          service_definition: definition,
          tags: [],
          bindings: [{ type: 'Port', port_id: p.id, interface_id: iface.id }],
        });
      };
      const proxy = await service('edge-proxy', 'Nginx', 80);
      const db = await service('app-db', 'PostgreSQL', 5432);

      await step('rename a service', async () => {
        await page.goto(`${base}/services`);
        await page
          .getByTestId('service-row')
          .filter({ hasText: 'edge-proxy' })
          .getByTestId('row-edit')
          .click();
        await page.getByTestId('service-name-input').fill('front-proxy');
        await page.getByTestId('service-save').click();
        await page.getByTestId('service-name').filter({ hasText: 'front-proxy' }).waitFor();
      });
      const renamed = await api<Svc>(page, 'GET', `${base}/api/v1/services/${proxy.id}`);
      expect(renamed.name).toBe('front-proxy');
      expect(renamed.bindings.map((b) => b.id)).toEqual(proxy.bindings.map((b) => b.id));

      type WireBinding = { type: string; interface_id: string | null; port_id?: string };
      const bindingsOf = async (name: string) =>
        (
          await api<(Row & { bindings: WireBinding[] })[]>(page, 'GET', `${base}/api/v1/services?limit=0`)
        ).find((x) => x.name === name)?.bindings;
      await step('add a service that listens on an address of its host', async () => {
        await page.getByTestId('service-create').click();
        await page.getByTestId('service-host').selectOption({ label: 'app-1' });
        await page.getByTestId('service-name-input').fill('app-api');
        await page.getByTestId('service-definition-input').fill('Node.js');
        await page.getByTestId('service-binding-pick').selectOption({ label: 'Address 10.70.1.10' });
        await page.getByTestId('service-binding-add').click();
        await page.getByTestId('service-binding').filter({ hasText: 'Address 10.70.1.10' }).waitFor();
        await page.getByTestId('service-save').click();
        await page.getByTestId('service-name').filter({ hasText: 'app-api' }).waitFor();
      });
      expect(await bindingsOf('app-api')).toEqual([
        expect.objectContaining({ type: 'Interface', interface_id: iface.id }),
      ]);
      const api8080 = await api<Row>(page, 'POST', `${base}/api/v1/ports`, {
        host_id: host.id,
        network_id: networkId,
        number: 8080,
        protocol: 'Tcp',
      });
      await step('edit it to listen on port 8080 of that address instead', async () => {
        await page.getByTestId('service-row').filter({ hasText: 'app-api' }).getByTestId('row-edit').click();
        await page.getByTestId('service-binding-remove').click();
        await page.getByTestId('service-binding-pick').selectOption({ label: 'Port 8080/tcp on 10.70.1.10' });
        await page.getByTestId('service-binding-add').click();
        await page.getByTestId('service-save').click();
        await page.getByTestId('service-form').waitFor({ state: 'detached' });
      });
      expect(await bindingsOf('app-api')).toEqual([
        expect.objectContaining({ type: 'Port', port_id: api8080.id, interface_id: iface.id }),
      ]);

      const proxyBinding = proxy.bindings[0]!.id;
      const dbBinding = db.bindings[0]!.id;
      const groupNamed = async (name: string) =>
        (await api<(Row & { binding_ids: string[] })[]>(page, 'GET', `${base}/api/v1/groups`)).find(
          (g) => g.name === name,
        );
      await step('a group of the two bindings, in order', async () => {
        await page.goto(`${base}/groups`);
        await page.getByTestId('group-create').click();
        await page.getByTestId('group-network').selectOption({ label: 'Home Lab' });
        await page.getByTestId('group-name-input').fill('Request path');
        for (const label of ['front-proxy', 'app-db']) {
          await page.getByTestId('group-binding-pick').selectOption({ label });
          await page.getByTestId('group-binding-add').click();
        }
        await page.getByTestId('group-binding').nth(1).filter({ hasText: 'app-db' }).waitFor();
        await page.getByTestId('group-save').click();
        await page.getByTestId('group-row').filter({ hasText: 'Request path' }).waitFor();
      });
      expect((await groupNamed('Request path'))?.binding_ids).toEqual([proxyBinding, dbBinding]);

      await step('move the proxy down', async () => {
        await page
          .getByTestId('group-row')
          .filter({ hasText: 'Request path' })
          .getByTestId('row-edit')
          .click();
        await page.getByTestId('group-binding').first().getByRole('button', { name: 'Move down' }).click();
        await page.getByTestId('group-binding').first().filter({ hasText: 'app-db' }).waitFor();
        await page.getByTestId('group-save').click();
        await page.getByTestId('group-form').waitFor({ state: 'detached' });
      });
      expect((await groupNamed('Request path'))?.binding_ids).toEqual([dbBinding, proxyBinding]);

      await step('delete the group', async () => {
        await page
          .getByTestId('group-row')
          .filter({ hasText: 'Request path' })
          .getByTestId('row-delete')
          .click();
        await page.getByTestId('confirm-submit').click();
        await page
          .getByTestId('group-row')
          .filter({ hasText: 'Request path' })
          .waitFor({ state: 'detached' });
      });
      expect(await groupNamed('Request path')).toBeUndefined();

      await step('delete a service', async () => {
        await page.goto(`${base}/services`);
        await page.getByTestId('service-row').filter({ hasText: 'app-db' }).getByTestId('row-delete').click();
        await page.getByTestId('confirm-submit').click();
        await page.getByTestId('service-row').filter({ hasText: 'app-db' }).waitFor({ state: 'detached' });
      });
      expect(await apiStatus(page, 'GET', `${base}/api/v1/services/${db.id}`)).toBe(404);

      const branch = (await api<Row[]>(page, 'GET', `${base}/api/v1/networks`)).find(
        (n) => n.name === 'Branch office',
      )!;
      await api(page, 'POST', `${base}/api/v1/subnets`, {
        network_id: branch.id,
        cidr: '10.80.0.0/24',
        name: 'branch-lan',
        subnet_type: 'Lan',
      });
      // Branch office's own subnets: branch-lan and the two every network starts with.
      const ofBranch = (
        await api<Row[]>(page, 'GET', `${base}/api/v1/subnets?network_id=${branch.id}&limit=0`)
      )
        .map((x) => x.name)
        .sort();
      expect(ofBranch).toContain('branch-lan');
      const all = (await api<Row[]>(page, 'GET', `${base}/api/v1/subnets?limit=0`)).length;
      const range = (n: number) => `1–${Math.min(n, 25)} of ${n}`;
      await step('the network selector limits the list to Branch office', async () => {
        await page.goto(`${base}/subnets`);
        await page
          .getByTestId('pagination-range')
          .filter({ hasText: range(all) })
          .waitFor();
        await page.getByTestId('network-select').selectOption({ label: 'Branch office' });
        await page
          .getByTestId('pagination-range')
          .filter({ hasText: range(ofBranch.length) })
          .waitFor();
      });
      expect((await page.getByTestId('subnet-name').allTextContents()).map((t) => t.trim()).sort()).toEqual(
        ofBranch,
      );
      await step('kept across a reload, then back to all networks', async () => {
        await page.reload();
        await page
          .getByTestId('pagination-range')
          .filter({ hasText: range(ofBranch.length) })
          .waitFor();
        await page.getByTestId('network-select').selectOption({ label: 'All networks' });
        await page
          .getByTestId('pagination-range')
          .filter({ hasText: range(all) })
          .waitFor();
      });

      const summary = await api<{ networks: { id: string; host_count: number }[] }>(
        page,
        'GET',
        `${base}/api/v1/dashboard/summary`,
      );
      await step('the networks list shows counts; rename and delete Branch office', async () => {
        await page.goto(`${base}/networks`);
        const home = page.getByTestId('network-row').filter({ hasText: 'Home Lab' });
        const hosts = summary.networks.find((n) => n.id === networkId)!.host_count;
        await home
          .getByTestId('network-hosts')
          .filter({ hasText: hosts.toLocaleString('en-US') })
          .waitFor();
        await page
          .getByTestId('network-row')
          .filter({ hasText: 'Branch office' })
          .getByTestId('row-edit')
          .click();
        await page.getByTestId('network-name-input').fill('Branch (closed)');
        await page.getByTestId('network-save').click();
        const row = page.getByTestId('network-row').filter({ hasText: 'Branch (closed)' });
        await row.waitFor();
        await row.getByTestId('row-delete').click();
        await page.getByTestId('confirm-submit').click();
        await row.waitFor({ state: 'detached' });
      });
      const networks = await api<Row[]>(page, 'GET', `${base}/api/v1/networks`);
      expect(networks.map((n) => n.id)).not.toContain(branch.id);
      const subnets = await api<(Row & { network_id: string })[]>(
        page,
        'GET',
        `${base}/api/v1/subnets?limit=0`,
      );
      expect(subnets.filter((s) => s.network_id === branch.id)).toEqual([]);
      await api(page, 'DELETE', `${base}/api/v1/hosts/${host.id}`);
    });

    it('lists shares: disabling one keeps its settings and closes its link, deleting removes it', async () => {
      const topology = await api<Row>(page, 'POST', `${base}/api/v1/topology`, {
        network_id: networkId,
        name: 'Lab map',
      });
      const expires = new Date(Date.now() + 7 * 86_400_000).toISOString();
      const share = await api<Row>(page, 'POST', `${base}/api/v1/shares`, {
        share: {
          topology_id: topology.id,
          network_id: networkId,
          name: 'For the auditors',
          expires_at: expires,
        },
      });
      const publicStatus = () => apiStatus(page, 'GET', `${base}/api/v1/shares/public/${share.id}`);
      expect(await publicStatus()).toBe(200);
      const row = page.getByTestId('share-row').filter({ hasText: 'For the auditors' });
      await step('the share is listed as active with its network and expiry', async () => {
        await page.goto(`${base}/shares`);
        await row.getByTestId('share-status').filter({ hasText: 'Active' }).waitFor();
      });
      expect(await row.textContent()).toContain('Home Lab');
      expect(await row.textContent()).not.toContain('Never');
      await step('disable it', async () => {
        await row.getByTestId('share-toggle').filter({ hasText: 'Disable' }).click();
        await row.getByTestId('share-status').filter({ hasText: 'Disabled' }).waitFor();
      });
      const stored = await api<{ is_enabled: boolean; expires_at: string | null }>(
        page,
        'GET',
        `${base}/api/v1/shares/${share.id}`,
      );
      expect(stored.is_enabled).toBe(false);
      expect(Date.parse(stored.expires_at!)).toBe(Date.parse(expires));
      expect(await publicStatus()).toBe(404);
      await step('delete it', async () => {
        await row.getByTestId('row-delete').click();
        await page.getByTestId('confirm-submit').click();
        await page.getByTestId('shares-table-empty').waitFor();
      });
      expect(await apiStatus(page, 'GET', `${base}/api/v1/shares/${share.id}`)).toBe(404);
    });

    it('keeps the inventory lists usable at 390 px: no page-wide sideways scroll, row actions on screen', async () => {
      await page.setViewportSize({ width: 390, height: 844 });
      try {
        for (const [path, rowTestid] of [
          ['/hosts', 'host-row'],
          ['/subnets', 'subnet-row'],
          ['/networks', 'network-row'],
          ['/groups', 'group-row'],
          ['/tags', 'tag-row'],
          ['/services', undefined],
          ['/daemons', undefined],
          ['/shares', undefined],
        ] as const) {
          await step(`${path} at 390 px`, async () => {
            await page.goto(`${base}${path}`);
            await page.getByTestId('page-title').waitFor();
            if (rowTestid) await page.getByTestId(rowTestid).first().waitFor();
            await page.waitForFunction('!document.querySelector(\'[aria-busy="true"]\')');
          });
          const widths = (await page.evaluate(
            '({ page: document.documentElement.scrollWidth, view: window.innerWidth })',
          )) as { page: number; view: number };
          expect(widths.page, `${path} scrolls sideways`).toBeLessThanOrEqual(widths.view);
          for (const action of await page
            .locator('[data-testid="row-delete"], [data-testid="row-edit"]')
            .all()) {
            const box = await action.boundingBox();
            if (!box) continue;
            expect(box.x, `${path}: an action starts off-screen`).toBeGreaterThanOrEqual(0);
            expect(box.x + box.width, `${path}: an action ends off-screen`).toBeLessThanOrEqual(widths.view);
          }
        }
      } finally {
        await page.setViewportSize({ width: 1280, height: 800 });
      }
    });

    it('shows a viewer no write buttons, and the server refuses a forced write', async () => {
      const invite = await api<{ id: string }>(page, 'POST', `${base}/api/v1/invites`, {
        permissions: 'Viewer',
        network_ids: [networkId],
      });
      await step('sign out and join as a viewer', async () => {
        await page.getByTestId('user-menu').click();
        await page.getByTestId('logout-button').click();
        await page.getByTestId('login-form').waitFor();
        await page.goto(`${base}/api/v1/invites/${invite.id}/accept`);
        await api(page, 'POST', `${base}/api/auth/register`, {
          email: 'viewer@example.com',
          password: OWNER.password,
          terms_accepted: true,
        });
        await page.goto(`${base}/subnets`);
        await page.getByTestId('subnet-row').first().waitFor();
      });
      for (const [path, testid] of [
        ['/subnets', 'subnet-create'],
        ['/hosts', 'host-create'],
        ['/tags', 'tag-create'],
        ['/groups', 'group-create'],
      ] as const) {
        await step(`no write buttons on ${path}`, async () => {
          await page.goto(`${base}${path}`);
          await page.getByTestId('page-title').waitFor();
          await page.locator('[data-testid$="-controls"]').waitFor();
        });
        expect(await page.getByTestId(testid).count()).toBe(0);
        expect(await page.getByTestId('row-delete').count()).toBe(0);
        expect(await page.getByTestId('select-all').count()).toBe(0);
      }
      expect(
        await apiStatus(page, 'POST', `${base}/api/v1/subnets`, {
          network_id: networkId,
          cidr: '10.99.0.0/24',
          name: 'forced',
          subnet_type: 'Lan',
        }),
      ).toBe(403);
    });
  },
);
