import path from 'node:path';
import { tmpdir } from 'node:os';
import type { Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserUnavailable, launchBrowser, type Browser } from './support/browser.ts';
import { ensureWebBuild, startServer, type RunningServer } from './support/server.ts';

const unavailable = browserUnavailable();
const skipReason = unavailable && !process.env.CI ? unavailable : undefined;

const OWNER = { email: 'scanner@example.com', password: 'CorrectHorse9' };

interface Envelope<T> {
  success: boolean;
  data: T;
}

/*
 * SAFETY: the integrated daemon runs on this machine's real interfaces, so this suite must never start a Network
 * discovery. It only ever runs the Self Report (which reads the daemon's own interfaces and sends nothing), and a
 * route guard aborts, before it leaves the browser, every start request for any other discovery and every edit of
 * one; a blocked request fails the suite.
 */
describe.skipIf(skipReason)(
  `discovery page in a browser${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    let server: RunningServer | undefined;
    let browser: Browser | undefined;
    let page: Page;
    /** Discoveries the guard lets the browser start: Self Report jobs only. */
    const allowedStarts = new Set<string>();
    const blocked: string[] = [];

    beforeAll(async () => {
      if (unavailable) throw new Error(`browser tests must run under CI, but ${unavailable}`);
      ensureWebBuild();
      server = await startServer();
      browser = await launchBrowser();
      page = await browser.context.newPage();
      await page.route('**/api/v1/discovery/start-session', async (route: Route) => {
        let id: unknown;
        try {
          id = JSON.parse(route.request().postData() ?? 'null');
        } catch {
          id = undefined;
        }
        if (typeof id === 'string' && allowedStarts.has(id)) return route.continue();
        blocked.push(`start-session ${String(id)}`);
        return route.abort('blockedbyclient');
      });
      // Editing a discovery (PUT /discovery/:id) could change what it scans: never from this suite.
      await page.route(/\/api\/v1\/discovery\/[0-9a-f-]{36}$/, async (route: Route) => {
        if (route.request().method() !== 'PUT') return route.fallback();
        blocked.push(`PUT ${route.request().url()}`);
        return route.abort('blockedbyclient');
      });
    });

    afterAll(async () => {
      await browser?.close();
      await server?.stop();
    });

    async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
      try {
        return await fn();
      } catch (err) {
        const shot = path.join(tmpdir(), `scanopy-e2e-${name.replace(/\W+/g, '-')}-${Date.now()}.png`);
        await page.screenshot({ path: shot, fullPage: true }).catch(() => undefined);
        const reason = err instanceof Error ? err.message : String(err);
        throw new Error(
          `${name}: ${reason}\nscreenshot: ${shot}\nserver output:\n${server?.logTail() ?? ''}`,
        );
      }
    }

    const jobRow = (type: string) => page.locator(`[data-testid="job-row"][data-type="${type}"]`);

    it('lists the Self Report and Network discoveries of the integrated daemon', async () => {
      await step('create the first account', async () => {
        await page.goto(server!.baseUrl);
        await page.getByTestId('setup-organization').fill('Acme Labs');
        await page.getByTestId('setup-network').fill('Home Lab');
        await page.getByTestId('setup-email').fill(OWNER.email);
        await page.getByTestId('setup-password').fill(OWNER.password);
        await page.getByTestId('setup-confirm').fill(OWNER.password);
        await page.getByTestId('setup-submit').click();
        await page.getByTestId('hosts-table').waitFor();
      });
      await step('open Discovery', async () => {
        await page.getByTestId('nav-discovery').click();
        await page.getByTestId('jobs-table').waitFor();
      });
      // The jobs appear when the daemon registers; the page refetches them when its first self-report finishes.
      await step('wait for the default jobs', async () => {
        await jobRow('SelfReport').first().waitFor({ timeout: 30_000 });
        await jobRow('Network').first().waitFor({ timeout: 10_000 });
      });
      for (const id of await jobRow('SelfReport').evaluateAll((rows) =>
        rows.map((r) => r.getAttribute('data-discovery-id') ?? ''),
      )) {
        allowedStarts.add(id);
      }
      expect(allowedStarts.size).toBeGreaterThan(0);
      await expect(jobRow('SelfReport').first().getByTestId('job-name').textContent()).resolves.toMatch(
        /^Self Report/,
      );
      await expect(jobRow('Network').first().getByTestId('job-run-type').textContent()).resolves.toContain(
        'On demand',
      );
    });

    it('runs the Self Report and follows it to Complete over SSE, then lists it in the history', async () => {
      await step('stream connected', () =>
        page.locator('[data-testid="stream-status"]', { hasText: 'Live' }).waitFor({ timeout: 10_000 }),
      );
      const [res] = await Promise.all([
        page.waitForResponse(
          (r) => r.url().endsWith('/api/v1/discovery/start-session') && r.request().method() === 'POST',
          { timeout: 10_000 },
        ),
        jobRow('SelfReport').first().getByTestId('job-run').click({ timeout: 10_000 }),
      ]);
      expect(res.status()).toBe(200);
      const session = ((await res.json()) as Envelope<{ session_id: string; phase: string }>).data;

      // The active-sessions endpoint only ever lists open sessions, so a card can only reach Complete through the
      // stream's events.
      const card = page.locator(`[data-testid="session-card"][data-session-id="${session.session_id}"]`);
      await step('session card appears', () => card.waitFor({ timeout: 5_000 }));
      await step('session reaches Complete', () =>
        page
          .locator(
            `[data-testid="session-card"][data-session-id="${session.session_id}"][data-phase="Complete"]`,
          )
          .waitFor({ timeout: 20_000 }),
      );
      await expect(card.getByTestId('session-percent').textContent()).resolves.toBe('100%');
      await expect(card.getByTestId('session-progress').getAttribute('aria-valuenow')).resolves.toBe('100');
      // At 20 progress events a second the bar must keep up with its label: its width animates for at most 100 ms
      // (a 500 ms animation lagged the percentage).
      const duration = (await page.evaluate(
        `getComputedStyle(document.querySelector('[data-session-id="${session.session_id}"] [data-testid="session-progress"] > div')).transitionDuration`,
      )) as string;
      expect(duration).toMatch(/^[\d.]+s$/);
      expect(Number.parseFloat(duration)).toBeLessThanOrEqual(0.1);

      const row = page.locator(`[data-testid="history-row"][data-session-id="${session.session_id}"]`);
      await step('finished run in the history', () => row.waitFor({ timeout: 10_000 }));
      await expect(row.getAttribute('data-phase')).resolves.toBe('Complete');
      await expect(row.getByTestId('history-error').textContent()).resolves.toBe('');
      await expect(jobRow('SelfReport').first().getByTestId('job-last-run').textContent()).resolves.not.toBe(
        'never',
      );
    });

    it('shows the estimate of the Network job and closes without scanning', async () => {
      await jobRow('Network').first().getByTestId('job-run').click();
      const panel = page.getByTestId('scan-confirm');
      await step('confirm panel with an estimate', () =>
        panel.getByTestId('scan-estimate').waitFor({ timeout: 10_000 }),
      );
      await expect(panel.getByTestId('estimate-probes').textContent()).resolves.toMatch(/^\s*\d[\d,]*\s*$/);
      await expect(panel.getByTestId('estimate-duration').textContent()).resolves.toMatch(/\d/);
      await expect(panel.getByTestId('scan-warning').textContent()).resolves.toMatch(
        /every address|no subnet to scan/,
      );

      // Cancel, never "Start scan".
      await panel.getByTestId('scan-cancel').click();
      await step('panel closes', () => panel.waitFor({ state: 'detached', timeout: 5_000 }));
      await expect(page.getByTestId('scan-start').count()).resolves.toBe(0);

      // Nothing but Self Reports was ever started: no request was blocked, and the server holds no Network run.
      expect(blocked).toEqual([]);
      const list = await page.request.get(`${server!.baseUrl}/api/v1/discovery?limit=200`);
      const runs = (
        (await list.json()) as Envelope<{ discovery_type: { type: string }; run_type: { type: string } }[]>
      ).data;
      expect(
        runs.filter((d) => d.run_type.type === 'Historical' && d.discovery_type.type === 'Network'),
      ).toEqual([]);
      const active = await page.request.get(`${server!.baseUrl}/api/v1/discovery/active-sessions`);
      const open = ((await active.json()) as Envelope<{ discovery_type: { type: string } }[]>).data;
      expect(open.filter((s) => s.discovery_type.type === 'Network')).toEqual([]);
    });
  },
);
