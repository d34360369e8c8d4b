import { describe, expect, it } from 'vitest';
import { signUpContact } from '../helpers/app.js';
import { enrollTOTP } from '../helpers/mfa.js';
import { hasChromium, useWebAppAndBrowser, openPage } from './browser.js';
import { signInToHelpCenter } from './mfa-steps.js';

// "Yes, generate new codes" takes its card off the page: the keyboard focus must not fall to
// <body>, but land on the new codes, so a screen reader reads what to save and a keyboard user
// goes on from there.
describe.skipIf(!hasChromium)('help center: new recovery codes take the focus', () => {
  const suite = useWebAppAndBrowser();

  it('after confirming, the focus is on "Save your recovery codes" (and after Done on the Recovery codes card), never on the page body', async () => {
    const { t } = suite.web;
    const customer = await signUpContact(t, 'fran@example.com', 'Fran Focus');
    const { secret } = await enrollTOTP(t, customer.client, 'contact', 'Phone');
    const w = await openPage(suite.browser, suite.web.baseURL);
    const p = w.page;
    await signInToHelpCenter(t, p, customer.email, secret);
    await p.goto('/account/security');

    // By keyboard, as a screen-reader user would.
    await p.getByRole('button', { name: 'Generate new recovery codes' }).focus();
    await p.keyboard.press('Enter');
    await p.getByRole('button', { name: 'Yes, generate new codes' }).press('Enter');
    const codes = p.getByRole('region', { name: 'Save your recovery codes' });
    await codes.getByRole('list', { name: 'Recovery codes' }).waitFor();
    await p.waitForFunction(() => document.activeElement !== document.body, undefined, { timeout: 2000 }).catch(() => undefined);
    const focused = await p.evaluate(() => {
      const el = document.activeElement;
      return { tag: el?.tagName ?? null, text: el?.textContent?.trim().slice(0, 40) ?? null, inCodes: !!el?.closest('.recovery-codes') };
    });
    expect(focused.tag).not.toBe('BODY');
    expect(focused.inCodes).toBe(true);
    expect(focused.text).toMatch(/^Save your recovery codes/);

    // Tab goes on from there, through the codes card's controls.
    await p.keyboard.press('Tab');
    expect(await p.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Download as text');

    // "Done" takes the codes off the page in turn: the Recovery codes card that comes back has the focus.
    await p.getByLabel('I have saved these codes').check();
    await p.getByRole('button', { name: 'Done' }).press('Enter');
    await p.getByText('You have 10 unused recovery codes').waitFor();
    await expect.poll(() => p.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Recovery codes');
    await p.keyboard.press('Tab');
    expect(await p.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Generate new recovery codes');
    expect(w.problems).toEqual([]);
    await w.context.close();
  });
});
