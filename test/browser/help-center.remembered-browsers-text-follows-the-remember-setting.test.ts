import { describe, expect, it } from 'vitest';
import { signUpContact } from '../helpers/app.js';
import { changeMFASettings } from '../helpers/remembered-devices.js';
import { hasChromium, useWebAppAndBrowser, openPage } from './browser.js';
import { signInWithPassword } from './mfa-steps.js';

// With "Remember a browser for 0 days", or two-step verification off, the sign-in page has no
// "Remember this browser" checkbox: the empty list must not tell the customer to tick it.
describe.skipIf(!hasChromium)('help center: the empty remembered-browsers text follows the remember setting', () => {
  const suite = useWebAppAndBrowser();

  it('says the help center does not remember browsers at 0 days or with the policy off, and points to the checkbox otherwise', async () => {
    const { t } = suite.web;
    const customer = await signUpContact(t, 'nora@example.com', 'Nora Never');
    const w = await openPage(suite.browser, suite.web.baseURL);
    const p = w.page;
    await signInWithPassword(p, customer.email);
    await p.waitForURL((u) => !u.pathname.includes('sign-in'));
    const card = p.getByRole('region', { name: 'Remembered browsers' });
    const emptyText = async () => {
      await p.goto('/account/security');
      await card.getByText(/No remembered browsers/).waitFor();
      return (await card.locator('.empty').textContent())!;
    };

    await changeMFASettings(t, { rememberDeviceDays: 0 });
    let text = await emptyText();
    expect(text).toMatch(/This help center does not remember browsers/);
    expect(text).not.toMatch(/Remember this browser/);

    await changeMFASettings(t, { policy: 'off', rememberDeviceDays: 30 });
    text = await emptyText();
    expect(text).toMatch(/This help center does not remember browsers/);
    expect(text).not.toMatch(/Remember this browser/);

    await changeMFASettings(t, { policy: 'optional', rememberDeviceDays: 30 });
    text = await emptyText();
    expect(text).toMatch(/Remember this browser/);
    expect(text).not.toMatch(/does not remember/);
    expect(w.problems).toEqual([]);
    await w.context.close();
  });
});
