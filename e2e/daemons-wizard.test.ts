import { request, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, setupOwner, step as runStep } from './support/app.ts';
import { browserUnavailable, launchBrowser, type Browser } from './support/browser.ts';
import { ensureWebBuild, startServer, type RunningServer } from './support/server.ts';

const unavailable = browserUnavailable();
const skipReason = unavailable && !process.env.CI ? unavailable : undefined;

interface Key {
  id: string;
  name: string;
  network_id: string;
}

/*
 * The daemons page and its create-daemon wizard, the discovery schedule editor, the app shell (keyboard, theme, 404,
 * narrow screens) and recovery when the server goes away and comes back. SAFETY: no discovery is ever started; the
 * only discovery edited is the integrated daemon's Self Report, and it is left paused.
 */
describe.skipIf(skipReason)(
  `daemons, wizard and shell in a browser${skipReason ? ` (skipped: ${skipReason})` : ''}`,
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
      server = await startServer();
      base = server.baseUrl;
      browser = await launchBrowser();
      page = await browser.context.newPage();
      // Starting a session is never part of this suite.
      await page.route('**/api/v1/discovery/start-session', (route) => route.abort('blockedbyclient'));
      ({ networkId } = await setupOwner(page, server));
      await api(page, 'POST', `${base}/api/v1/networks`, { name: 'Second site' });
    });

    afterAll(async () => {
      await browser?.close();
      await server?.stop();
    });

    it('lists the integrated daemon as connected with its capabilities', async () => {
      await step('connected daemon row', async () => {
        await page.goto(`${base}/daemons`);
        await page
          .locator('[data-testid="daemon-name"][data-status="connected"]')
          .first()
          .waitFor({ timeout: 60_000 });
      });
      expect(await page.getByTestId('daemon-capabilities').first().textContent()).toMatch(/subnet/);
      // Same release as the server: its version, and no skew badge.
      expect(await page.getByTestId('daemon-version').first().textContent()).toMatch(/\d+\.\d+\.\d+/);
      expect(await page.getByTestId('daemon-version-status').count()).toBe(0);
    });

    it('generates a key, locks the network until "start over", which revokes the key', async () => {
      const keysNamed = async (name: string) =>
        (await api<Key[]>(page, 'GET', `${base}/api/v1/auth/daemon`)).filter((k) => k.name === name);

      await step('configure and generate', async () => {
        await page.getByTestId('daemon-create').click();
        await page.getByTestId('daemon-wizard').waitFor();
        expect(new URL(page.url()).searchParams.get('create')).toBe('1');
        await page.getByTestId('wizard-network').selectOption({ label: 'Home Lab' });
        await page.getByTestId('wizard-generate').click();
        await page.getByTestId('field-error').filter({ hasText: 'Give the daemon a name' }).waitFor();
        await page.getByTestId('wizard-name').fill('rack-1');
        await page.getByTestId('wizard-generate').click();
        await page.getByTestId('install-docker').waitFor();
      });
      const [key] = await keysNamed('rack-1 API key');
      expect(key?.network_id).toBe(networkId);
      const plaintext = (await page.getByTestId('wizard-key').textContent())!.trim();
      expect(plaintext.length).toBeGreaterThan(10);
      const docker = await page.getByTestId('install-docker').textContent();
      expect(docker).toContain(`SCANOPY_DAEMON_API_KEY=${plaintext}`);
      expect(docker).toContain(`SCANOPY_NETWORK_ID=${networkId}`);
      await page.getByTestId('install-tab-compose').click();
      expect(await page.getByTestId('install-compose').textContent()).toContain(
        `SCANOPY_DAEMON_API_KEY: "${plaintext}"`,
      );
      await page.getByTestId('install-tab-binary').click();
      expect(await page.getByTestId('install-binary').textContent()).toMatch(/^node scanopy-daemon\.mjs/);
      expect(await page.getByTestId('install-bundle-fetch').textContent()).toContain('> scanopy-daemon.mjs');

      await step('back: the network is locked and says why', async () => {
        await page.getByTestId('wizard-back').click();
        await page.getByTestId('wizard-network-locked').waitFor();
      });
      expect(await page.getByTestId('wizard-network').isDisabled()).toBe(true);
      expect(await page.getByTestId('wizard-network-locked').textContent()).toMatch(
        /only works for “Home Lab”/,
      );

      await step('start over unlocks it and revokes the key', async () => {
        await page.getByTestId('wizard-start-over').click();
        await page.getByTestId('wizard-network-locked').waitFor({ state: 'detached' });
      });
      expect(await page.getByTestId('wizard-network').isDisabled()).toBe(false);
      expect(await keysNamed('rack-1 API key')).toEqual([]);

      await step('a key for the other network', async () => {
        await page.getByTestId('wizard-network').selectOption({ label: 'Second site' });
        await page.getByTestId('wizard-generate').click();
        await page.getByTestId('wizard-done').click();
        await page.getByTestId('daemon-wizard').waitFor({ state: 'detached' });
      });
      const [second] = await keysNamed('rack-1 API key');
      expect(second?.network_id).not.toBe(networkId);
    });

    it('provisions a server-polled daemon: its URL is checked, and "start over" deletes it', async () => {
      const named = async (name: string) =>
        (
          await api<{ id: string; name: string; mode: string; url: string | null }[]>(
            page,
            'GET',
            `${base}/api/v1/daemons`,
          )
        ).filter((d) => d.name === name);
      await step('choose "Server polls" and give a bad URL', async () => {
        await page.goto(`${base}/daemons?create=1`);
        await page.getByTestId('daemon-wizard').waitFor();
        await page.getByTestId('wizard-network').selectOption({ label: 'Home Lab' });
        await page.getByTestId('wizard-name').fill('dmz-box');
        await page.getByTestId('wizard-mode-server_poll').check();
        await page.getByTestId('wizard-daemon-url').fill('nas:9');
        await page.getByTestId('wizard-generate').click();
        await page.getByTestId('field-error').filter({ hasText: 'without a port' }).waitFor();
      });
      expect(await named('dmz-box')).toEqual([]);
      // A closed loopback port: the server's polls reach nothing.
      await step('a good URL provisions it and shows its commands', async () => {
        await page.getByTestId('wizard-daemon-url').fill('http://127.0.0.1');
        await page.getByTestId('wizard-daemon-port').fill('9');
        await page.getByTestId('wizard-generate').click();
        await page.getByTestId('install-docker').waitFor();
      });
      const [daemon] = await named('dmz-box');
      expect(daemon).toMatchObject({ mode: 'server_poll', url: 'http://127.0.0.1:9' });
      const docker = (await page.getByTestId('install-docker').textContent())!;
      expect(docker).toContain('SCANOPY_MODE=server_poll');
      expect(docker).toContain('SCANOPY_DAEMON_PORT=9');
      expect(docker).toContain(
        `SCANOPY_DAEMON_API_KEY=${(await page.getByTestId('wizard-key').textContent())!.trim()}`,
      );
      await step('start over removes the provisioned daemon', async () => {
        await page.getByTestId('wizard-back').click();
        await page.getByTestId('wizard-start-over').click();
        await page.getByTestId('wizard-network-locked').waitFor({ state: 'detached' });
      });
      expect(await named('dmz-box')).toEqual([]);
      await page.keyboard.press('Escape');
      await page.getByTestId('daemon-wizard').waitFor({ state: 'detached' });
    });

    it('shows the run commands of the chosen OS and adds advanced settings that differ from the defaults', async () => {
      await step('generate a key', async () => {
        await page.goto(`${base}/daemons?create=1`);
        await page.getByTestId('daemon-wizard').waitFor();
        await page.getByTestId('wizard-network').selectOption({ label: 'Home Lab' });
        await page.getByTestId('wizard-name').fill('mac-mini');
        await page.getByTestId('wizard-generate').click();
        await page.getByTestId('install-docker').waitFor();
      });
      const key = (await page.getByTestId('wizard-key').textContent())!.trim();
      // Headless Chromium here says Linux: Docker and Compose are offered.
      expect(await page.getByTestId('wizard-os-linux').isChecked()).toBe(true);

      await step('macOS: the bundle only, in a POSIX shell', async () => {
        await page.getByTestId('wizard-os-macos').check();
        await page.getByTestId('install-binary').waitFor();
      });
      expect(await page.getByTestId('install-tab-docker').count()).toBe(0);
      expect(await page.getByTestId('install-tab-compose').count()).toBe(0);
      expect(await page.getByTestId('wizard-os-note').textContent()).toMatch(/virtual machine/);
      expect(await page.getByTestId('install-binary').textContent()).toMatch(/^node scanopy-daemon\.mjs \\/);

      await step('Windows: PowerShell with its own bundle path', async () => {
        await page.getByTestId('wizard-os-windows').check();
        await page.getByTestId('install-binary').filter({ hasText: 'LOCALAPPDATA' }).waitFor();
      });
      const windows = (await page.getByTestId('install-binary').textContent())!;
      expect(windows).toMatch(/^node "\$env:LOCALAPPDATA\\Scanopy\\scanopy-daemon\.mjs" `/);
      expect(windows).toContain(`--daemon-api-key ${key}`);
      expect(windows).not.toContain('--network host');
      expect(await page.getByTestId('install-bundle-fetch').textContent()).toContain('docker cp');

      await step('advanced: a slower scan rate and debug logs reach the commands', async () => {
        await page.getByTestId('wizard-advanced').click();
        await page.getByTestId('wizard-advanced-step').waitFor();
        await page.getByTestId('wizard-scan-rate').fill('0.5');
        await page.getByTestId('field-error').filter({ hasText: 'whole number' }).waitFor();
        await page.getByTestId('wizard-scan-rate').fill('100');
        await page.getByTestId('wizard-log-level').selectOption('debug');
        await page.getByTestId('wizard-interfaces').fill('eth0;reboot');
        await page.getByTestId('field-error').filter({ hasText: 'not an interface name' }).waitFor();
        await page.getByTestId('wizard-interfaces').fill('eth0');
        await page.getByTestId('wizard-advanced-done').click();
        await page.getByTestId('wizard-os-linux').check();
        await page.getByTestId('install-tab-docker').click();
        await page.getByTestId('install-docker').waitFor();
      });
      const docker = (await page.getByTestId('install-docker').textContent())!;
      expect(docker).toContain('--network host');
      expect(docker).toContain('-e SCANOPY_SCAN_RATE_PPS=100');
      expect(docker).toContain('-e SCANOPY_LOG_LEVEL=debug');
      expect(docker).toContain('-e SCANOPY_INTERFACES=eth0');
      expect(docker).not.toContain('SCANOPY_HEARTBEAT_INTERVAL');
      await page.getByTestId('wizard-done').click();
      const keys = await api<Key[]>(page, 'GET', `${base}/api/v1/auth/daemon`);
      expect(keys.filter((k) => k.name === 'mac-mini API key').map((k) => k.network_id)).toEqual([networkId]);
    });

    it("rotates a daemon's key: the new key is shown once, the old one stops working", async () => {
      // A server_poll daemon registered by hand (its URL is a closed loopback port: nothing is ever reached).
      const provisioned = await api<{ daemon: { id: string }; daemon_api_key: string }>(
        page,
        'POST',
        `${base}/api/v1/daemons/provision`,
        { name: 'remote-rack', network_id: networkId, url: 'http://127.0.0.1:9' },
      );
      const daemonId = provisioned.daemon.id;
      const anon = await request.newContext({ baseURL: base });
      const heartbeat = async (key: string) =>
        (
          await anon.post(`/api/daemons/${daemonId}/heartbeat`, {
            headers: { authorization: `Bearer ${key}`, 'x-daemon-id': daemonId },
            data: {},
          })
        ).status();
      try {
        expect(await heartbeat(provisioned.daemon_api_key)).toBe(200);
        const key = await step('rotate from the Daemons page', async () => {
          await page.goto(`${base}/daemons`);
          await page
            .getByTestId('daemon-row')
            .filter({ hasText: 'remote-rack' })
            .getByTestId('daemon-rotate')
            .click();
          await page.getByTestId('confirm-submit').click();
          await page.getByTestId('rotated-key').waitFor();
          return (await page.getByTestId('rotated-key-value').textContent())!.trim();
        });
        expect(key).toMatch(/^scp_d_/);
        expect(key).not.toBe(provisioned.daemon_api_key);
        expect(await heartbeat(provisioned.daemon_api_key)).toBe(401);
        expect(await heartbeat(key)).toBe(200);
        await page.getByTestId('rotated-key').getByRole('button', { name: 'Done' }).click();
        await page.getByTestId('rotated-key').waitFor({ state: 'detached' });
      } finally {
        await anon.dispose();
        await api(page, 'DELETE', `${base}/api/v1/daemons/${daemonId}`);
      }
    });

    it('says why a session for a daemon that never connected stays pending, and deletes that daemon from the list', async () => {
      // A server_poll daemon registered by hand at a closed loopback port: never reached, so never seen.
      const provisioned = await api<{ daemon: { id: string; host_id: string } }>(
        page,
        'POST',
        `${base}/api/v1/daemons/provision`,
        { name: 'garage-nuc', network_id: networkId, url: 'http://127.0.0.1:9' },
      );
      const daemonId = provisioned.daemon.id;
      // A Self Report for it (it reads only the daemon's own machine, and this daemon does not exist): it waits in
      // the queue. Started through the API: the page's start requests are blocked in this suite.
      const job = await api<{ id: string }>(page, 'POST', `${base}/api/v1/discovery`, {
        name: 'Self Report (garage-nuc)',
        network_id: networkId,
        daemon_id: daemonId,
        discovery_type: { type: 'SelfReport', host_id: provisioned.daemon.host_id },
        run_type: { type: 'AdHoc', last_run: null },
        tags: [],
      });
      const session = await api<{ session_id: string; phase: string }>(
        page,
        'POST',
        `${base}/api/v1/discovery/start-session`,
        job.id,
      );
      expect(session.phase).toBe('Pending');
      const card = page.locator(`[data-testid="session-card"][data-session-id="${session.session_id}"]`);
      const hint = await step('the pending card says what it waits for', async () => {
        await page.goto(`${base}/discovery`);
        await card.getByTestId('session-hint').waitFor({ timeout: 10_000 });
        return (await card.getByTestId('session-hint').textContent())!;
      });
      expect(hint).toMatch(/garage-nuc.*never connected/);
      expect(hint).toMatch(/cancel/i);
      await step('cancel it', async () => {
        await card.getByTestId('session-cancel').click();
        await page
          .locator(
            `[data-testid="session-card"][data-session-id="${session.session_id}"][data-phase="Cancelled"]`,
          )
          .waitFor({ timeout: 10_000 });
      });
      expect(await card.getByTestId('session-hint').count()).toBe(0);
      const open = await api<{ session_id: string }[]>(
        page,
        'GET',
        `${base}/api/v1/discovery/active-sessions`,
      );
      expect(open.map((s) => s.session_id)).not.toContain(session.session_id);
      // The schedule test below edits the first Self Report on the page: only the integrated daemon's is left.
      await api(page, 'DELETE', `${base}/api/v1/discovery/${job.id}`);

      await step('delete the daemon from the Daemons page', async () => {
        await page.goto(`${base}/daemons`);
        const row = page.getByTestId('daemon-row').filter({ hasText: 'garage-nuc' });
        await row.getByTestId('row-delete').click();
        await page.getByTestId('confirm-submit').click();
        await row.waitFor({ state: 'detached' });
      });
      const daemons = await api<{ id: string }[]>(page, 'GET', `${base}/api/v1/daemons`);
      expect(daemons.map((d) => d.id)).not.toContain(daemonId);
    });

    it('edits a discovery schedule with a readable preview and its time zone', async () => {
      await step('open the Self Report schedule', async () => {
        await page.goto(`${base}/discovery`);
        await page
          .locator('[data-testid="job-row"][data-type="SelfReport"]')
          .first()
          .getByTestId('job-schedule')
          .click();
        await page.getByTestId('schedule-scheduled').check();
        await page.getByTestId('schedule-cron').fill('0 30 4 * * 1');
        await page.getByTestId('schedule-timezone').selectOption('Europe/Paris');
        await page.getByTestId('schedule-description').filter({ hasText: '04:30' }).waitFor();
      });
      expect(await page.getByTestId('schedule-description').textContent()).toMatch(/Monday/);
      expect(await page.getByTestId('schedule-next').textContent()).toContain('04:30 (Europe/Paris)');
      await step('an invalid expression blocks saving', async () => {
        await page.getByTestId('schedule-cron').fill('0 30 25 * * 1');
        await page.getByTestId('field-error').waitFor();
      });
      expect(await page.getByTestId('schedule-save').isDisabled()).toBe(true);
      await step('save it paused', async () => {
        await page.getByTestId('schedule-cron').fill('0 30 4 * * 1');
        await page.getByTestId('schedule-enabled').uncheck();
        await page.getByTestId('schedule-save').click();
        await page.getByTestId('schedule-editor').waitFor({ state: 'detached' });
      });
      const jobs = await api<{ discovery_type: { type: string }; run_type: Record<string, unknown> }[]>(
        page,
        'GET',
        `${base}/api/v1/discovery?run_type=Scheduled`,
      );
      expect(jobs.find((j) => j.discovery_type.type === 'SelfReport')?.run_type).toMatchObject({
        type: 'Scheduled',
        cron_schedule: '0 30 4 * * 1',
        timezone: 'Europe/Paris',
        enabled: false,
      });
    });

    it('works by keyboard, switches theme, names icon-only links and has a 404 page', async () => {
      await step('skip link, then focus in the page', async () => {
        await page.goto(`${base}/hosts`);
        await page.getByTestId('hosts-table').waitFor();
        await page.keyboard.press('Tab');
        // Page functions run in the browser; as strings they need no DOM types in this Node project.
        expect(await page.evaluate("document.activeElement?.getAttribute('data-testid')")).toBe('skip-link');
        await page.keyboard.press('Enter');
        expect(await page.evaluate('document.activeElement?.id')).toBe('main-content');
        await page.keyboard.press('Tab');
      });
      const outline = (await page.evaluate(
        '(() => { const s = getComputedStyle(document.activeElement); return { outline: s.outlineStyle, ring: s.boxShadow }; })()',
      )) as { outline: string; ring: string };
      // Links show focus as an outline; buttons and inputs as a focus ring.
      expect(outline.outline !== 'none' || outline.ring !== 'none').toBe(true);

      await step('dark theme is kept across a reload', async () => {
        await page.getByTestId('theme-dark').click();
        await page.reload();
        await page.getByTestId('hosts-table').waitFor();
      });
      expect(await page.evaluate("document.documentElement.classList.contains('dark')")).toBe(true);
      await page.getByTestId('theme-light').click();

      await step('a collapsed sidebar stays collapsed across a reload, its links still named', async () => {
        await page.getByTestId('sidebar-toggle').click();
        await page.locator('[data-testid="sidebar"][data-collapsed="true"]').waitFor();
        await page.reload();
        await page.getByTestId('hosts-table').waitFor();
        await page.locator('[data-testid="sidebar"][data-collapsed="true"]').waitFor();
      });
      for (const name of ['Hosts', 'Discovery', 'Account']) {
        expect(await page.getByRole('link', { name, exact: true }).isVisible()).toBe(true);
      }
      await step('expand it again', async () => {
        await page.getByTestId('sidebar-toggle').click();
        await page.locator('[data-testid="sidebar"][data-collapsed="false"]').waitFor();
      });

      await page.setViewportSize({ width: 390, height: 800 });
      for (const name of ['Hosts', 'Daemons', 'Topology', 'Users']) {
        expect(await page.getByRole('link', { name, exact: true }).isVisible()).toBe(true);
      }
      await page.setViewportSize({ width: 1280, height: 800 });

      await step('404', async () => {
        await page.goto(`${base}/no-such-page`);
        await page.getByTestId('not-found').waitFor();
      });
      expect(await page.getByTestId('not-found').getAttribute('data-status')).toBe('404');
      await step('/settings opens Account', async () => {
        await page.goto(`${base}/settings`);
        await page.waitForURL(`${base}/account`);
        await page.getByTestId('page-title').filter({ hasText: 'Account' }).waitFor();
      });
    });

    it('recovers when the server goes away and comes back, without a reload', async () => {
      await step('live stream', async () => {
        await page.goto(`${base}/discovery`);
        await page.getByTestId('stream-status').filter({ hasText: 'Live' }).waitFor();
      });
      let down = false;
      await server!.restart(async () => {
        down = true;
        await page.getByTestId('stream-status').filter({ hasText: 'Connecting' }).waitFor();
      });
      expect(down).toBe(true);
      await step('live again, and new rows arrive', async () => {
        await page.getByTestId('stream-status').filter({ hasText: 'Live' }).waitFor({ timeout: 60_000 });
        await page.getByTestId('nav-subnets').click();
        await page.getByTestId('subnets-table').waitFor();
        await api(page, 'POST', `${base}/api/v1/subnets`, {
          network_id: networkId,
          cidr: '10.60.0.0/24',
          name: 'after-restart',
          subnet_type: 'Lan',
        });
        await page.getByTestId('subnet-row').filter({ hasText: 'after-restart' }).waitFor();
      });
    });
  },
);
