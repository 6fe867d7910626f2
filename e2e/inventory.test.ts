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
        await page.getByTestId('filter-subnet_type').selectOption('Guest');
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

      await step('the hidden filter and search', async () => {
        await page.goto(`${base}/hosts`);
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
