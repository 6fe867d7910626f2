import { hostname } from 'node:os';
import path from 'node:path';
import { tmpdir } from 'node:os';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserUnavailable, launchBrowser, type Browser } from './support/browser.ts';
import { ensureWebBuild, startServer, type RunningServer } from './support/server.ts';

const unavailable = browserUnavailable();
const skipReason = unavailable && !process.env.CI ? unavailable : undefined;

const OWNER = { email: 'owner@example.com', password: 'CorrectHorse9' };
const HOST_WAIT_MS = 60_000;

const exactText = (text: string) => new RegExp(`^\\s*${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);

describe.skipIf(skipReason)(`first run in a browser${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  let page: Page;

  beforeAll(async () => {
    if (unavailable) throw new Error(`browser tests must run under CI, but ${unavailable}`);
    ensureWebBuild();
    server = await startServer();
    browser = await launchBrowser();
    page = await browser.context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  /** Runs a browser step; on failure keeps a screenshot and adds the server's recent output to the error. */
  async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const shot = path.join(tmpdir(), `scanopy-e2e-${name.replace(/\W+/g, '-')}-${Date.now()}.png`);
      await page.screenshot({ path: shot, fullPage: true }).catch(() => undefined);
      const reason = err instanceof Error ? err.message : String(err);
      throw new Error(`${name}: ${reason}\nscreenshot: ${shot}\nserver output:\n${server?.logTail() ?? ''}`);
    }
  }

  it('creates the first account and lands on Hosts', async () => {
    await step('open setup page', async () => {
      await page.goto(server!.baseUrl);
      await page.getByTestId('setup-form').waitFor();
    });
    await expect(page.getByRole('heading', { name: 'Create your account' }).count()).resolves.toBe(1);

    await step('submit setup form', async () => {
      await page.getByTestId('setup-organization').fill('Acme Labs');
      await page.getByTestId('setup-network').fill('Home Lab');
      await page.getByTestId('setup-email').fill(OWNER.email);
      await page.getByTestId('setup-password').fill(OWNER.password);
      await page.getByTestId('setup-confirm').fill(OWNER.password);
      await page.getByTestId('setup-submit').click();
      await page.getByTestId('hosts-table').waitFor();
    });
    expect(new URL(page.url()).pathname).toBe('/hosts');
    await expect(page.getByTestId('user-email').textContent()).resolves.toBe(OWNER.email);
  });

  it("shows the server's own host, reported by the integrated daemon, without a reload", async () => {
    const name = hostname();
    // The page polls the list, so the row must appear without any reload or navigation.
    const row = page
      .getByTestId('host-row')
      .filter({ has: page.getByTestId('host-name').filter({ hasText: exactText(name) }) })
      .filter({ has: page.getByTestId('host-interface') });
    await step(`wait for host row "${name}" with an interface`, () =>
      row.first().waitFor({ timeout: HOST_WAIT_MS }),
    );
    const ips = await row.first().getByTestId('interface-ip').allTextContents();
    expect(ips.length).toBeGreaterThan(0);
    for (const ip of ips) expect(ip.trim()).toMatch(/^[0-9a-f.:]+$/i);
  });

  it('lists the integrated daemon as connected', async () => {
    await step('open Daemons page', async () => {
      await page.getByTestId('nav-daemons').click();
      await page.getByTestId('daemons-table').waitFor();
    });
    await step('wait for a connected daemon', () =>
      page
        .locator('[data-testid="daemon-row"][data-status="connected"]')
        .first()
        .waitFor({ timeout: 30_000 }),
    );
    const status = page
      .locator('[data-testid="daemon-row"][data-status="connected"]')
      .first()
      .getByTestId('daemon-status');
    await expect(status.textContent()).resolves.toContain('Connected');
  });

  it('keeps the session across a reload, and signs out and back in', async () => {
    await step('reload keeps the session', async () => {
      await page.reload();
      await page.getByTestId('daemons-table').waitFor();
    });
    await step('sign out', async () => {
      await page.getByTestId('user-menu').click();
      await page.getByTestId('logout-button').click();
      await page.getByTestId('login-form').waitFor();
    });
    await step('wrong password is refused', async () => {
      await page.getByTestId('login-email').fill(OWNER.email);
      await page.getByTestId('login-password').fill('WrongPassword1');
      await page.getByTestId('login-submit').click();
      await page.getByTestId('form-error').waitFor();
    });
    await expect(page.getByTestId('form-error').textContent()).resolves.toMatch(/invalid/i);
    await step('sign in', async () => {
      await page.getByTestId('login-password').fill(OWNER.password);
      await page.getByTestId('login-submit').click();
      await page.getByTestId('sidebar').waitFor();
    });
    await step('navigate to Hosts', async () => {
      await page.getByTestId('nav-hosts').click();
      await page.getByTestId('host-row').first().waitFor();
    });
  });
});
