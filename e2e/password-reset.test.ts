import path from 'node:path';
import { tmpdir } from 'node:os';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MailSink } from '../apps/server/test/mail-sink.ts';
import { browserUnavailable, launchBrowser, type Browser } from './support/browser.ts';
import { ensureWebBuild, startServer, type RunningServer } from './support/server.ts';

const unavailable = browserUnavailable();
const skipReason = unavailable && !process.env.CI ? unavailable : undefined;

const OWNER = { email: 'forgetful@example.com', password: 'CorrectHorse9', next: 'BatteryStaple42' };

describe.skipIf(skipReason)(
  `password reset, email change and invites by email in a browser${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    const sink = new MailSink();
    let server: RunningServer | undefined;
    let browser: Browser | undefined;
    let page: Page;

    beforeAll(async () => {
      if (unavailable) throw new Error(`browser tests must run under CI, but ${unavailable}`);
      ensureWebBuild();
      const smtpPort = await sink.start();
      // No integrated daemon: this suite is about mail, and a scanning daemon would only slow it down.
      server = await startServer((baseUrl) => ({
        SCANOPY_INTEGRATED_DAEMON: 'false',
        SCANOPY_PUBLIC_URL: baseUrl,
        SCANOPY_SMTP_HOST: '127.0.0.1',
        SCANOPY_SMTP_PORT: String(smtpPort),
        SCANOPY_SMTP_FROM: 'Scanopy <scanopy@example.com>',
      }));
      // The first account is the setup owner: verified at once, even with email on.
      const res = await fetch(`${server.baseUrl}/api/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: OWNER.email, password: OWNER.password, terms_accepted: true }),
      });
      expect(res.status).toBe(200);
      browser = await launchBrowser();
      page = await browser.context.newPage();
    });

    afterAll(async () => {
      await browser?.close();
      await server?.stop();
      await sink.stop();
    });

    /** Runs a browser step; on failure keeps a screenshot and adds the server's recent output to the error. */
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

    it('mails a reset link from the sign-in page, and the link sets a new password that signs in', async () => {
      await step('open forgot-password from sign-in', async () => {
        await page.goto(server!.baseUrl);
        await page.getByTestId('login-form').waitFor();
        await page.getByTestId('forgot-password-link').click();
        await page.getByTestId('forgot-password-form').waitFor();
      });
      const mail = sink.next(OWNER.email);
      await step('request the reset mail', async () => {
        await page.getByTestId('forgot-password-email').fill(OWNER.email);
        await page.getByTestId('forgot-password-submit').click();
        await page.getByTestId('check-email').waitFor();
      });
      await expect(page.getByTestId('check-email-address').textContent()).resolves.toBe(OWNER.email);

      const { text } = await mail;
      const base = server!.baseUrl.replace(/[.]/g, '\\.');
      const link = new RegExp(`${base}/reset-password\\?token=[A-Za-z0-9_-]+`).exec(text)?.[0];
      expect(link, `no reset link in:\n${text}`).toBeDefined();

      await step('open the mailed link and set a new password', async () => {
        await page.goto(link!);
        await page.getByTestId('reset-password-form').waitFor();
        await page.getByTestId('reset-password').fill('short');
        await page.getByTestId('reset-confirm').fill('short');
        await page.getByTestId('reset-submit').click();
        // The 10-character rule is checked before anything is sent.
        await page.getByTestId('form-error').waitFor();
        await page.getByTestId('reset-password').fill(OWNER.next);
        await page.getByTestId('reset-confirm').fill(OWNER.next);
        await page.getByTestId('reset-submit').click();
        await page.getByTestId('sidebar').waitFor();
      });
      await expect(page.getByTestId('user-email').textContent()).resolves.toBe(OWNER.email);

      await step('the link is spent', async () => {
        await page.goto(link!);
        await page.getByTestId('reset-password').fill(OWNER.next);
        await page.getByTestId('reset-confirm').fill(OWNER.next);
        await page.getByTestId('reset-submit').click();
        await page.getByTestId('form-error').waitFor();
      });
      await expect(page.getByTestId('form-error').textContent()).resolves.toMatch(/invalid|expired|used/i);

      await step('sign out; the old password is refused and the new one signs in', async () => {
        await page.goto(server!.baseUrl);
        await page.getByTestId('user-menu').click();
        await page.getByTestId('logout-button').click();
        await page.getByTestId('login-form').waitFor();
        await page.getByTestId('login-email').fill(OWNER.email);
        await page.getByTestId('login-password').fill(OWNER.password);
        await page.getByTestId('login-submit').click();
        await page.getByTestId('form-error').waitFor();
        await page.getByTestId('login-password').fill(OWNER.next);
        await page.getByTestId('login-submit').click();
        await page.getByTestId('sidebar').waitFor();
      });
    });

    it('changes the email address only through the link mailed to the new address', async () => {
      const NEW = 'renamed@example.com';
      await step('a wrong password is refused readably, and nothing is mailed', async () => {
        await page.goto(`${server!.baseUrl}/account`);
        await page.getByTestId('new-email').fill(NEW);
        await page.getByTestId('email-password').fill('not-my-password');
        await page.getByTestId('email-save').click();
        await page.getByTestId('email-error').waitFor();
      });
      await expect(page.getByTestId('email-error').textContent()).resolves.toMatch(/password/i);
      expect(sink.count(NEW)).toBe(0);
      const mail = sink.next(NEW);
      await step('with the right password the link is mailed', async () => {
        await page.getByTestId('email-password').fill(OWNER.next);
        await page.getByTestId('email-save').click();
        await page.getByTestId('email-sent').filter({ hasText: NEW }).waitFor();
      });
      // Not changed until the link is followed.
      await expect(page.getByTestId('account-email').textContent()).resolves.toContain(OWNER.email);
      const { text } = await mail;
      const base = server!.baseUrl.replace(/[.]/g, '\\.');
      const link = new RegExp(`${base}/verify-email\\?token=[A-Za-z0-9_-]+`).exec(text)?.[0];
      expect(link, `no confirmation link in:\n${text}`).toBeDefined();
      await step('the link switches the address', async () => {
        await page.goto(link!);
        await page.getByTestId('verify-success').filter({ hasText: NEW }).waitFor();
        await page.goto(`${server!.baseUrl}/account`);
        await page.getByTestId('account-email').filter({ hasText: NEW }).waitFor();
      });
      const login = (email: string) =>
        fetch(`${server!.baseUrl}/api/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email, password: OWNER.next }),
        }).then((r) => r.status);
      expect(await login(NEW)).toBe(200);
      expect(await login(OWNER.email)).not.toBe(200);
    });

    it('invites by email: the mail carries the link, and the invitee joins with the chosen role and network', async () => {
      const INVITEE = { email: 'new.member@example.com', password: 'BatteryStaple7' };
      const origin = server!.baseUrl;
      const networks = (await (await page.request.get(`${origin}/api/v1/networks`)).json()) as {
        data: { id: string }[];
      };
      const networkId = networks.data[0]!.id;
      const mail = sink.next(INVITEE.email);
      const shown = await step('invite by email from Users', async () => {
        await page.goto(`${origin}/users`);
        await page.getByTestId('invite-create').click();
        await page.getByTestId('invite-by-email').check();
        await page.getByTestId('invite-email').fill(INVITEE.email);
        await page.getByTestId('invite-role').selectOption('Member');
        await page.getByTestId('network-scope-option').first().check();
        await page.getByTestId('invite-submit').click();
        return page.getByTestId('invite-link').inputValue();
      });
      await expect(page.getByTestId('invite-dialog').textContent()).resolves.toContain(
        `We emailed the invite to ${INVITEE.email}`,
      );
      const { text } = await mail;
      const mailed = /https?:\/\/[^\s]+\/api\/v1\/invites\/([0-9a-f-]{36})\/accept/.exec(text);
      expect(mailed, `no invite link in:\n${text}`).not.toBeNull();
      expect(shown).toContain(`/api/v1/invites/${mailed![1]}/accept`);
      await page.getByTestId('invite-done').click();
      const invites = (await (await page.request.get(`${origin}/api/v1/invites`)).json()) as {
        data: { id: string; send_to: string | null; permissions: string; network_ids: string[] }[];
      };
      expect(invites.data).toEqual([
        expect.objectContaining({
          id: mailed![1],
          send_to: INVITEE.email,
          permissions: 'Member',
          network_ids: [networkId],
        }),
      ]);

      const ownerCookies = await browser!.context.cookies();
      const verification = sink.next(INVITEE.email, 1);
      await step('the invitee follows the mailed link and registers', async () => {
        await browser!.context.clearCookies();
        await page.goto(mailed![0].replace(/^https?:\/\/[^/]+/, origin));
        await page.getByTestId('invite-register-email').fill(INVITEE.email);
        await page.getByTestId('invite-register-password').fill(INVITEE.password);
        await page.getByTestId('invite-register-submit').click();
        // With email on, the new address is confirmed first.
        await page.getByTestId('check-email').waitFor();
      });
      const verifyText = (await verification).text;
      const verify = /https?:\/\/[^\s]+\/verify-email\?token=[A-Za-z0-9_-]+/.exec(verifyText)?.[0];
      expect(verify, `no verification link in:\n${verifyText}`).toBeDefined();
      await step('the verification link signs the invitee in', async () => {
        await page.goto(verify!.replace(/^https?:\/\/[^/]+/, origin));
        await page.getByTestId('verify-success').waitFor();
        await page.getByTestId('verify-continue').click();
        await page.getByTestId('sidebar').waitFor();
      });
      const me = (await (await page.request.post(`${origin}/api/auth/me`)).json()) as {
        data: { email: string; permissions: string; network_ids: string[] };
      };
      expect(me.data).toMatchObject({
        email: INVITEE.email,
        permissions: 'Member',
        network_ids: [networkId],
      });
      await browser!.context.clearCookies();
      await browser!.context.addCookies(ownerCookies);
    });

    it('shows the reason when a verification link is not valid', async () => {
      await step('open a bad verification link', async () => {
        await page.goto(`${server!.baseUrl}/verify-email?token=not-a-real-token`);
        await page.getByTestId('verify-failed').waitFor();
      });
      await expect(page.getByTestId('form-error').textContent()).resolves.toMatch(/invalid|expired|used/i);
    });
  },
);
