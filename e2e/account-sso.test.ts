import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, OWNER, setupOwner, step as runStep } from './support/app.ts';
import { browserUnavailable, launchBrowser, type Browser } from './support/browser.ts';
import { IDP_NAME, IDP_SLUG, startIdp, type TestIdp } from './support/idp.ts';
import { ensureWebBuild, startServer, type RunningServer } from './support/server.ts';

const unavailable = browserUnavailable();
const skipReason = unavailable && !process.env.CI ? unavailable : undefined;

interface Me {
  email: string;
  oidc_provider?: string | null;
}

/*
 * Single sign-on from the Account page against a real OpenID Connect provider on loopback (e2e/support/idp.ts): link
 * the signed-in account, sign in with the provider from the sign-in page, unlink. No integrated daemon.
 */
describe.skipIf(skipReason)(
  `single sign-on linking in a browser${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    let idp: TestIdp | undefined;
    let server: RunningServer | undefined;
    let browser: Browser | undefined;
    let page: Page;
    let base: string;
    const step = <T>(name: string, fn: () => Promise<T>) => runStep(page, server, name, fn);

    beforeAll(async () => {
      if (unavailable) throw new Error(`browser tests must run under CI, but ${unavailable}`);
      ensureWebBuild();
      const provider = await startIdp({ subject: 'owner-at-idp', email: OWNER.email });
      idp = provider;
      server = await startServer((baseUrl) => ({
        SCANOPY_INTEGRATED_DAEMON: 'false',
        SCANOPY_PUBLIC_URL: baseUrl,
        SCANOPY_OIDC_PROVIDERS: provider.configure(baseUrl),
      }));
      base = server.baseUrl;
      browser = await launchBrowser();
      page = await browser.context.newPage();
      await setupOwner(page, server);
    });

    afterAll(async () => {
      await browser?.close();
      await server?.stop();
      await idp?.close();
    });

    /** Answers the provider's prompts (sign in, allow) until `back` shows in Scanopy; a known browser skips them. */
    async function throughProvider(back: Locator) {
      for (let hop = 0; hop < 4; hop++) {
        const settled = (what: string, l: Locator) =>
          l.waitFor({ timeout: 20_000 }).then(
            () => what,
            () => 'timeout',
          );
        const where = await Promise.race([
          settled('login', page.getByTestId('idp-login')),
          settled('allow', page.getByTestId('idp-allow')),
          settled('back', back),
        ]);
        if (where === 'back') return;
        if (where === 'timeout')
          throw new Error(`neither the provider nor Scanopy showed up (at ${page.url()})`);
        await page.getByTestId(where === 'login' ? 'idp-login' : 'idp-allow').click();
      }
      throw new Error('the provider never sent the browser back');
    }

    const me = () => api<Me>(page, 'POST', `${base}/api/auth/me`);

    it('links the account to the provider from Account, signs in with it, and unlinks it', async () => {
      const row = page.getByTestId('sso-provider').filter({ hasText: IDP_NAME });
      await step('link from Account', async () => {
        await page.goto(`${base}/account`);
        await row.getByTestId('sso-link').click();
        await throughProvider(row.getByTestId('sso-unlink'));
      });
      expect(new URL(page.url()).pathname).toBe('/account');
      expect(await row.textContent()).toContain('Linked');
      expect((await me()).oidc_provider).toBe(IDP_SLUG);
      // An address that comes from the provider is changed there.
      expect(await page.getByTestId('email-form').count()).toBe(0);

      await step('sign out, then sign in with the provider', async () => {
        await page.getByTestId('user-menu').click();
        await page.getByTestId('logout-button').click();
        await page.getByTestId('login-form').waitFor();
        await page.getByTestId(`oidc-${IDP_SLUG}`).click();
        await throughProvider(page.getByTestId('sidebar'));
      });
      expect((await me()).email).toBe(OWNER.email);

      await step('unlink', async () => {
        await page.goto(`${base}/account`);
        await row.getByTestId('sso-unlink').click();
        await page.getByTestId('confirm-submit').click();
        await row.getByTestId('sso-link').waitFor();
      });
      expect((await me()).oidc_provider ?? null).toBeNull();
      await page.getByTestId('email-form').waitFor();
    });
  },
);
