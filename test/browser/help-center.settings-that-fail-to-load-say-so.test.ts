import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { signUpContact } from '../helpers/app.js';
import { hasChromium, openPage, useWebAppAndBrowser } from './browser.js';
import { signInWithPassword, unexpected } from './mfa-steps.js';

/**
 * The sign-up page and the customer's security page wait for the help center's public settings
 * (is sign-up open, what is the MFA policy). When that request fails (the server restarting, a
 * proxy's 503, the network gone), the page must say so and offer to try again, not sit on
 * "Loading…" for ever.
 */
async function failSettingsWhile(p: Page, failing: () => boolean): Promise<void> {
  await p.route(
    (url) => url.pathname === '/api/v1/help-center',
    (route) =>
      failing()
        ? route.fulfill({
            status: 503,
            contentType: 'application/problem+json',
            body: JSON.stringify({ type: 'about:blank', title: 'Service Unavailable', status: 503, code: 'unavailable', detail: 'The help center is restarting.' }),
          })
        : route.continue(),
  );
}

describe.skipIf(!hasChromium)('help center: settings that fail to load', () => {
  const suite = useWebAppAndBrowser();

  it('the sign-up page says it could not load, and Try again brings the form', async () => {
    const w = await openPage(suite.browser, suite.web.baseURL);
    const p = w.page;
    let failing = true;
    await failSettingsWhile(p, () => failing);
    await p.goto('/sign-up');
    await p.getByText('Could not load the sign-up form.').waitFor();
    await p.getByRole('alert').getByText('The help center is restarting.').waitFor();
    expect(await p.getByRole('status').filter({ hasText: 'Loading…' }).count()).toBe(0);

    failing = false;
    await p.getByRole('button', { name: 'Try again' }).click();
    await p.getByRole('heading', { name: 'Create your account' }).waitFor();
    await p.getByLabel('Email').waitFor();
    expect(await p.getByRole('alert').count()).toBe(0);
    // The header asked for the same settings and failed too: the retry brings its Sign up link.
    await p.getByRole('banner').getByRole('link', { name: 'Sign up' }).waitFor();
    expect(unexpected(w.problems, [503])).toEqual([]);
  });

  it("the customer's security page says it could not load, and Try again brings the page", async () => {
    const { email } = await signUpContact(suite.web.t);
    const w = await openPage(suite.browser, suite.web.baseURL);
    const p = w.page;
    await signInWithPassword(p, email);
    await p.waitForURL((u) => u.pathname === '/' || u.pathname === '/tickets');
    let failing = true;
    await failSettingsWhile(p, () => failing);
    // A fresh page load: the settings are fetched once per load.
    await p.goto('/account/security');
    await p.getByText("Could not load this help center's settings.").waitFor();
    await p.getByRole('alert').getByText('The help center is restarting.').waitFor();

    failing = false;
    await p.getByRole('button', { name: 'Try again' }).click();
    await p.getByRole('heading', { name: 'Two-step verification' }).first().waitFor();
    expect(await p.getByText("Could not load this help center's settings.").count()).toBe(0);
    expect(unexpected(w.problems, [503])).toEqual([]);
  });
});
