import path from 'node:path';
import { tmpdir } from 'node:os';
import { request, type APIRequestContext, type Cookie, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserUnavailable, launchBrowser, type Browser } from './support/browser.ts';
import { ensureWebBuild, startServer, type RunningServer } from './support/server.ts';

const unavailable = browserUnavailable();
const skipReason = unavailable && !process.env.CI ? unavailable : undefined;

const OWNER = { email: 'owner@example.com', password: 'CorrectHorse9' };
const INVITEE = { email: 'member@example.com', password: 'BatteryStaple7' };

interface Envelope<T> {
  success: boolean;
  data: T;
  code?: string;
  error?: string;
}

describe.skipIf(skipReason)(
  `settings pages in a browser${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    let server: RunningServer | undefined;
    let browser: Browser | undefined;
    let page: Page;
    let anon: APIRequestContext;
    let ownerCookies: Cookie[] = [];
    let networkId = '';

    beforeAll(async () => {
      if (unavailable) throw new Error(`browser tests must run under CI, but ${unavailable}`);
      ensureWebBuild();
      server = await startServer();
      browser = await launchBrowser();
      page = await browser.context.newPage();
      anon = await request.newContext({ baseURL: server.baseUrl });
    });

    afterAll(async () => {
      await anon?.dispose();
      await browser?.close();
      await server?.stop();
    });

    /** A call with the browser's session cookie, answered with the envelope's data. */
    async function api<T>(method: 'GET' | 'POST' | 'PUT', url: string, data?: unknown): Promise<T> {
      const res = await page.request.fetch(`${server!.baseUrl}${url}`, { method, data });
      const body = (await res.json()) as Envelope<T>;
      if (!res.ok()) throw new Error(`${method} ${url}: ${res.status()} ${JSON.stringify(body)}`);
      return body.data;
    }

    /** Runs a browser step; on failure keeps a screenshot and adds the server's recent output to the error. */
    async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
      try {
        return await fn();
      } catch (err) {
        const shot = path.join(
          tmpdir(),
          `scanopy-e2e-settings-${name.replace(/\W+/g, '-')}-${Date.now()}.png`,
        );
        await page.screenshot({ path: shot, fullPage: true }).catch(() => undefined);
        const reason = err instanceof Error ? err.message : String(err);
        throw new Error(
          `${name}: ${reason}\nscreenshot: ${shot}\nserver output:\n${server?.logTail() ?? ''}`,
        );
      }
    }

    const open = (p: string) => page.goto(`${server!.baseUrl}${p}`);

    it('shows the first account a guide to the machine found and the scan estimate, and never starts a scan', async () => {
      await step('create the first account', async () => {
        await open('/');
        await page.getByTestId('setup-organization').fill('Acme Labs');
        await page.getByTestId('setup-email').fill(OWNER.email);
        await page.getByTestId('setup-password').fill(OWNER.password);
        await page.getByTestId('setup-confirm').fill(OWNER.password);
        await page.getByTestId('setup-submit').click();
        await page.getByTestId('onboarding-banner').waitFor();
      });
      await step('read the guide', async () => {
        await page.getByTestId('onboarding-open').click();
        await page.getByTestId('onboarding-host').waitFor({ timeout: 60_000 });
        await page.getByTestId('onboarding-estimate').waitFor({ timeout: 30_000 });
      });
      await expect(page.getByTestId('onboarding-estimate').textContent()).resolves.toMatch(/addresses/);
      // Reading the guide started no Network discovery (the daemon's self-report of its machine may be running).
      const active = await api<{ discovery_type: { type: string } }[]>(
        'GET',
        '/api/v1/discovery/active-sessions',
      );
      expect(active.filter((s) => s.discovery_type.type === 'Network')).toEqual([]);
      const runs = await api<{ discovery_type: { type: string } }[]>(
        'GET',
        '/api/v1/discovery?run_type=Historical&limit=50',
      );
      expect(runs.filter((r) => r.discovery_type.type === 'Network')).toEqual([]);
      await step('finish the guide', async () => {
        await page.getByTestId('onboarding-done').click();
        await page.getByTestId('hosts-table').waitFor();
      });
      expect(await page.getByTestId('onboarding-banner').count()).toBe(0);
      networkId = (await api<{ id: string }[]>('GET', '/api/v1/networks'))[0]!.id;
      ownerCookies = await browser!.context.cookies();
    });

    it('creates an API key shown once, explains a key without a network, then edits and deletes it', async () => {
      // An expiry 30 days ahead, as the date field takes it (the browser and this process share the time zone).
      const in30 = new Date(Date.now() + 30 * 86_400_000);
      const expiry = `${in30.getFullYear()}-${String(in30.getMonth() + 1).padStart(2, '0')}-${String(in30.getDate()).padStart(2, '0')}`;
      const secret = await step('create a key without a network', async () => {
        await open('/api-keys');
        await page.getByTestId('api-key-create').click();
        await page.getByTestId('api-key-name').fill('ci script');
        await page.getByTestId('api-key-role').selectOption('Member');
        await page.getByTestId('network-scope-hint').waitFor();
        await page.getByTestId('api-key-expires').fill(expiry);
        await page.getByTestId('api-key-save').click();
        await page.getByTestId('api-key-secret-copy').waitFor();
        return page.getByTestId('api-key-secret').inputValue();
      });
      expect(secret).toMatch(/^scp_u_[0-9A-Za-z]{32}$/);
      await page.getByTestId('api-key-done').click();
      await expect(page.getByTestId('api-key-networks').textContent()).resolves.toContain('No network');
      // Shown once: closed, the secret is nowhere on the page; the list shows the expiry day.
      expect(await page.content()).not.toContain(secret);
      const [created] = await api<{ expires_at: string | null }[]>('GET', '/api/v1/auth/keys');
      expect(new Date(created!.expires_at!).toDateString()).toBe(
        new Date(`${expiry}T12:00:00`).toDateString(),
      );
      await page
        .getByTestId('api-key-row')
        .filter({ hasText: 'ci script' })
        .filter({ hasText: String(new Date(`${expiry}T12:00:00`).getFullYear()) })
        .waitFor();

      // The key is refused a network write, and the refusal says why.
      const subnet = (cidr: string) => ({ network_id: networkId, cidr, name: 'lab', subnet_type: 'Lan' });
      const auth = { authorization: `Bearer ${secret}` };
      const refused = await anon.post('/api/v1/subnets', { headers: auth, data: subnet('10.93.0.0/24') });
      expect(refused.status()).toBe(403);
      expect(((await refused.json()) as Envelope<null>).code).toBe('auth_api_key_no_networks');

      await step('give the key the network', async () => {
        await page.getByTestId('row-edit').click();
        await page.getByTestId('network-scope-option').first().check();
        await page.getByTestId('api-key-save').click();
        await page.getByTestId('api-key-form').waitFor({ state: 'detached' });
      });
      const keys = await api<{ network_ids: string[]; permissions: string }[]>('GET', '/api/v1/auth/keys');
      expect(keys.map((k) => [k.permissions, k.network_ids])).toEqual([['Member', [networkId]]]);
      const accepted = await anon.post('/api/v1/subnets', { headers: auth, data: subnet('10.93.0.0/24') });
      expect(accepted.status()).toBe(200);

      await step('delete the key', async () => {
        await page.getByTestId('row-delete').click();
        await page.getByTestId('confirm-submit').click();
        await page.getByTestId('api-keys-table-empty').waitFor();
      });
      expect(await api<unknown[]>('GET', '/api/v1/auth/keys')).toEqual([]);
      expect((await anon.get('/api/v1/subnets', { headers: auth })).status()).toBe(401);
    });

    it('rotates an API key: the new secret is shown once with a copy button, and the old one stops working', async () => {
      const created = await api<{ key: string; api_key: { id: string } }>('POST', '/api/v1/auth/keys', {
        name: 'backup job',
        permissions: 'Viewer',
        network_ids: [networkId],
      });
      const old = { authorization: `Bearer ${created.key}` };
      expect((await anon.get('/api/v1/hosts', { headers: old })).status()).toBe(200);

      const secret = await step('rotate from the list', async () => {
        await open('/api-keys');
        await page
          .getByTestId('api-key-row')
          .filter({ hasText: 'backup job' })
          .getByTestId('api-key-rotate')
          .click();
        await page.getByTestId('confirm-submit').click();
        await page.getByTestId('rotated-api-key').waitFor();
        await page.getByTestId('rotated-api-key-secret-copy').waitFor();
        return page.getByTestId('rotated-api-key-secret').inputValue();
      });
      expect(secret).toMatch(/^scp_u_[0-9A-Za-z]{32}$/);
      expect(secret).not.toBe(created.key);
      expect((await anon.get('/api/v1/hosts', { headers: old })).status()).toBe(401);
      expect(
        (await anon.get('/api/v1/hosts', { headers: { authorization: `Bearer ${secret}` } })).status(),
      ).toBe(200);
      const keys = await api<{ id: string; name: string; permissions: string; network_ids: string[] }[]>(
        'GET',
        '/api/v1/auth/keys',
      );
      expect(keys).toEqual([
        expect.objectContaining({
          id: created.api_key.id,
          name: 'backup job',
          permissions: 'Viewer',
          network_ids: [networkId],
        }),
      ]);
      await step('done closes it; the secret is gone from the page', async () => {
        await page.getByTestId('rotated-api-key').getByRole('button', { name: 'Done' }).click();
        await page.getByTestId('rotated-api-key').waitFor({ state: 'detached' });
      });
      expect(await page.content()).not.toContain(secret);
    });

    it('keeps the settings pages usable at 390 px: no page-wide sideways scroll, row actions on screen', async () => {
      // A pending invite, so the Users page shows its second table too.
      const invite = await api<{ id: string }>('POST', '/api/v1/invites', {
        permissions: 'Member',
        network_ids: [networkId],
      });
      await page.setViewportSize({ width: 390, height: 844 });
      try {
        for (const [p, rowTestid] of [
          ['/users', 'user-row'],
          ['/api-keys', 'api-key-row'],
          ['/tags', undefined],
          ['/organization', undefined],
          ['/account', undefined],
        ] as const) {
          await step(`${p} at 390 px`, async () => {
            await open(p);
            await page.getByTestId('page-title').waitFor();
            if (rowTestid) await page.getByTestId(rowTestid).first().waitFor();
            await page.waitForFunction('!document.querySelector(\'[aria-busy="true"]\')');
          });
          if (process.env.SCANOPY_390_SHOTS) {
            await page.screenshot({ path: path.join(process.env.SCANOPY_390_SHOTS, `${p.slice(1)}.png`) });
          }
          const widths = (await page.evaluate(
            '({ page: document.documentElement.scrollWidth, view: window.innerWidth })',
          )) as { page: number; view: number };
          expect(widths.page, `${p} scrolls sideways`).toBeLessThanOrEqual(widths.view);
          // Every action button of the first rows is fully on screen without scrolling the table.
          const actions = page.locator(
            '[data-testid="row-delete"], [data-testid="row-edit"], [data-testid="invite-revoke"], [data-testid="api-key-rotate"]',
          );
          for (const action of await actions.all()) {
            const box = await action.boundingBox();
            if (!box) continue;
            expect(box.x, `${p}: an action starts off-screen`).toBeGreaterThanOrEqual(0);
            expect(box.x + box.width, `${p}: an action ends off-screen`).toBeLessThanOrEqual(widths.view);
          }
        }
      } finally {
        await page.setViewportSize({ width: 1280, height: 800 });
        const revoked = await page.request.delete(`${server!.baseUrl}/api/v1/invites/${invite.id}/revoke`);
        expect(revoked.status()).toBe(200);
      }
    });

    it('invites by link, lets the invitee join, changes their role, and a viewer gets no write buttons', async () => {
      await step('without an email service, invites are links', async () => {
        await open('/users');
        await page.getByTestId('invite-create').click();
        await page.getByTestId('invite-no-email').waitFor();
      });
      expect(await page.getByTestId('invite-by-email').isDisabled()).toBe(true);
      const link = await step('create an invite link', async () => {
        await page.getByTestId('invite-by-link').check();
        await page.getByTestId('invite-role').selectOption('Member');
        await page.getByTestId('network-scope-option').first().check();
        await page.getByTestId('invite-submit').click();
        return page.getByTestId('invite-link').inputValue();
      });
      expect(link).toMatch(/\/api\/v1\/invites\/[0-9a-f-]{36}\/accept$/);
      await page.getByTestId('invite-done').click();
      const invites = await api<{ permissions: string; network_ids: string[] }[]>('GET', '/api/v1/invites');
      expect(invites.map((i) => [i.permissions, i.network_ids])).toEqual([['Member', [networkId]]]);

      await step('the invitee follows the link and registers', async () => {
        await browser!.context.clearCookies();
        await page.goto(link.replace(/^https?:\/\/[^/]+/, server!.baseUrl));
        await page.getByTestId('invite-register-email').fill(INVITEE.email);
        await page.getByTestId('invite-register-password').fill(INVITEE.password);
        await page.getByTestId('invite-register-submit').click();
        await page.getByTestId('hosts-table').waitFor();
      });
      expect(await page.getByTestId('nav-users').count()).toBe(0);
      const inviteeCookies = await browser!.context.cookies();

      await step('the owner makes them a viewer', async () => {
        await browser!.context.clearCookies();
        await browser!.context.addCookies(ownerCookies);
        await open('/users');
        const row = page.getByTestId('user-row').filter({ hasText: INVITEE.email });
        await row.getByTestId('row-edit').click();
        await page.getByTestId('user-role-select').selectOption('Viewer');
        await page.getByTestId('user-access-save').click();
        await row.getByTestId('user-role-badge').filter({ hasText: 'Viewer' }).waitFor();
      });
      const users = await api<{ email: string; permissions: string }[]>('GET', '/api/v1/users');
      expect(users.find((u) => u.email === INVITEE.email)?.permissions).toBe('Viewer');

      await step('the viewer sees no write buttons', async () => {
        await browser!.context.clearCookies();
        await browser!.context.addCookies(inviteeCookies);
        await open('/api-keys');
        await page.getByTestId('api-keys-table').waitFor();
        await open('/shares');
        await page.getByTestId('shares-table').waitFor();
        await open('/account');
        await page.getByTestId('account-role').filter({ hasText: 'Viewer' }).waitFor();
      });
      await open('/api-keys');
      await page.getByTestId('api-keys-table').waitFor();
      expect(await page.getByTestId('api-key-create').count()).toBe(0);
      expect(await page.getByTestId('nav-organization').count()).toBe(0);
      // Forced through the API, the server refuses.
      const forced = await page.request.post(`${server!.baseUrl}/api/v1/invites`, {
        data: { permissions: 'Viewer', network_ids: [] },
      });
      expect(forced.status()).toBe(403);
      const forcedKey = await page.request.post(`${server!.baseUrl}/api/v1/auth/keys`, {
        data: { name: 'x', permissions: 'Member' },
      });
      expect(forcedKey.status()).toBe(403);

      await step('the owner removes the user', async () => {
        await browser!.context.clearCookies();
        await browser!.context.addCookies(ownerCookies);
        await open('/users');
        const row = page.getByTestId('user-row').filter({ hasText: INVITEE.email });
        await row.getByTestId('row-delete').click();
        await page.getByTestId('confirm-submit').click();
        await row.waitFor({ state: 'detached' });
      });
      const left = await api<{ email: string }[]>('GET', '/api/v1/users');
      expect(left.map((u) => u.email)).toEqual([OWNER.email]);
    });

    it('renames the organization and resets it only after the name is typed', async () => {
      await step('rename', async () => {
        await open('/organization');
        await page.getByTestId('org-name').fill('Acme Networks');
        await page.getByTestId('org-save').click();
        await page.getByTestId('toast-message').filter({ hasText: 'renamed' }).waitFor();
      });
      expect((await api<{ name: string }>('GET', '/api/v1/organizations')).name).toBe('Acme Networks');
      await step('reset', async () => {
        await page.getByTestId('org-reset').click();
        expect(await page.getByTestId('org-reset-submit').isDisabled()).toBe(true);
        await page.getByTestId('org-reset-confirm').fill('Acme Networks');
        await page.getByTestId('org-reset-submit').click();
        await page.getByTestId('org-reset-dialog').waitFor({ state: 'detached' });
      });
      const networks = await api<{ id: string }[]>('GET', '/api/v1/networks');
      expect(networks).toHaveLength(1);
      expect(networks[0]!.id).not.toBe(networkId);
    });

    it('changes the password with readable errors, then signs out everywhere', async () => {
      await step('a wrong current password is refused readably', async () => {
        await open('/account');
        await page.getByTestId('current-password').fill('not-my-password');
        await page.getByTestId('new-password').fill('NewHorse9Battery');
        await page.getByTestId('password-save').click();
        await page.getByTestId('password-error').waitFor();
      });
      await expect(page.getByTestId('password-error').textContent()).resolves.toMatch(/password/i);
      await step('the right one changes it', async () => {
        await page.getByTestId('current-password').fill(OWNER.password);
        await page.getByTestId('password-save').click();
        await page.getByTestId('toast-message').filter({ hasText: 'Password changed' }).waitFor();
      });
      const login = await anon.post('/api/auth/login', {
        data: { email: OWNER.email, password: 'NewHorse9Battery' },
      });
      expect(login.status()).toBe(200);

      await step('sign out everywhere', async () => {
        await page.getByTestId('logout-all').click();
        await page.getByTestId('confirm-submit').click();
        await page.getByTestId('login-form').waitFor();
      });
      // The other session (the API login above) ended too.
      expect((await anon.post('/api/auth/me')).status()).toBe(401);
    });
  },
);
