import { describe, expect, it } from 'vitest';
import { signUpContact } from '../helpers/app.js';
import { enrollTOTP } from '../helpers/mfa.js';
import { rememberedBrowser } from '../helpers/remembered-devices.js';
import { hasChromium, useWebAppAndBrowser, openPage } from './browser.js';
import { signInToHelpCenter } from './mfa-steps.js';

// Two remembered browsers of the same kind ("Chrome on Linux") must not give two buttons of
// the same name: each Forget, and the question it asks, says which one by its date.
describe.skipIf(!hasChromium)('help center: each Forget button says which remembered browser', () => {
  const suite = useWebAppAndBrowser();

  it('two Chrome on Linux browsers get two differently named Forget buttons, and the question names the one chosen', async () => {
    const { t } = suite.web;
    const customer = await signUpContact(t, 'sam@example.com', 'Sam Same');
    const { secret } = await enrollTOTP(t, customer.client, 'contact', 'Phone');
    await rememberedBrowser(t, { email: customer.email, secret });
    t.clock.advance(3 * 3600_000);
    await rememberedBrowser(t, { email: customer.email, secret });
    const kept = await t.ctx.db.selectFrom('remembered_devices').select(['id', 'created_at']).where('owner_id', '=', customer.id).orderBy('created_at', 'asc').execute();
    expect(kept).toHaveLength(2);

    const w = await openPage(suite.browser, suite.web.baseURL);
    const p = w.page;
    await signInToHelpCenter(t, p, customer.email, secret);
    await p.goto('/account/security');
    const devices = p.getByRole('list', { name: 'Remembered browsers' });
    await devices.getByRole('listitem').nth(1).waitFor();
    const items = devices.getByRole('listitem');
    expect(await items.getByText('Chrome on Linux', { exact: true }).count()).toBe(2);

    // Two buttons, two names (a button's name is its text here: no aria-label overrides it).
    const buttons = devices.getByRole('button', { name: /^Forget Chrome on Linux/ });
    expect(await buttons.count()).toBe(2);
    const names = (await buttons.allTextContents()).map((s) => s.trim());
    expect(await buttons.evaluateAll((bs) => bs.filter((b) => b.hasAttribute('aria-label') || b.hasAttribute('aria-labelledby')).length)).toBe(0);
    expect(new Set(names).size).toBe(2);
    for (const n of names) {
      expect(n).toMatch(/remembered|last used/);
      expect(await devices.getByRole('button', { name: n, exact: true }).count()).toBe(1);
    }

    // The question names the browser chosen by its date; forgetting it leaves the other one.
    const second = items.nth(1);
    const shown = (await second.locator('.muted').textContent())!;
    const date = /Remembered ([^·]+)/.exec(shown)![1].trim();
    await second.getByRole('button', { name: /^Forget / }).click();
    const yes = second.getByRole('button', { name: 'Yes, forget it' });
    const question = (await yes.evaluate((b) => document.getElementById(b.getAttribute('aria-describedby') ?? '')?.textContent ?? '')).trim();
    expect(question).toContain('Chrome on Linux');
    expect(question).toContain(date);
    await yes.click();
    await p.getByRole('status').getByText(/will ask for the second step again/).waitFor();
    await p.waitForFunction(() => document.querySelectorAll('[aria-label="Remembered browsers"] li').length === 1);
    expect(await devices.getByText(date).count()).toBe(0);
    expect(w.problems).toEqual([]);
    await w.context.close();
  });
});
