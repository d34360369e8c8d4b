import { describe, expect, it } from 'vitest';
import { signUpContact } from '../helpers/app.js';
import { enrollTOTP } from '../helpers/mfa.js';
import { rememberedBrowser } from '../helpers/remembered-devices.js';
import { hasChromium, useWebAppAndBrowser, openPage } from './browser.js';
import { signInToHelpCenter } from './mfa-steps.js';

// Removing the last method also forgets every remembered browser (removeMyFactor): the
// question asked before it must say so, with the right number, and nothing when there is none.
describe.skipIf(!hasChromium)('help center: removing the last method says the remembered browsers go too', () => {
  const suite = useWebAppAndBrowser();

  it('names how many remembered browsers are forgotten, in the singular or plural, and none when there are none', async () => {
    const { t } = suite.web;
    const customer = await signUpContact(t, 'rita@example.com', 'Rita Remembered');
    const { secret } = await enrollTOTP(t, customer.client, 'contact', 'Phone');
    await rememberedBrowser(t, { email: customer.email, secret });
    await rememberedBrowser(t, { email: customer.email, secret });

    const w = await openPage(suite.browser, suite.web.baseURL);
    const p = w.page;
    await signInToHelpCenter(t, p, customer.email, secret);
    await p.goto('/account/security');
    const methods = p.getByRole('table', { name: 'Sign-in methods' });
    const devices = p.getByRole('list', { name: 'Remembered browsers' });
    await devices.getByRole('listitem').nth(1).waitFor();

    const ask = async () => {
      await methods.getByRole('button', { name: 'Remove Phone' }).click();
      const yes = methods.getByRole('button', { name: 'Yes, remove' });
      await yes.waitFor();
      // The question is the description of "Yes, remove", so it is read out with it.
      return (await yes.evaluate((b) => document.getElementById(b.getAttribute('aria-describedby') ?? '')?.textContent ?? '')).trim();
    };
    const cancel = () => methods.getByRole('button', { name: 'Cancel' }).click();

    let question = await ask();
    expect(question).toMatch(/two-step verification turns off/);
    expect(question).toMatch(/10 recovery codes are deleted/);
    expect(question).toMatch(/2 remembered browsers are forgotten/);
    await cancel();

    // One left: in the singular.
    await devices.getByRole('button', { name: /^Forget / }).first().click();
    await devices.getByRole('button', { name: 'Yes, forget it' }).click();
    await p.getByRole('status').getByText(/will ask for the second step again/).waitFor();
    await p.waitForFunction(() => document.querySelectorAll('[aria-label="Remembered browsers"] li').length === 1);
    question = await ask();
    expect(question).toMatch(/1 remembered browser is forgotten/);
    await cancel();

    // None: the question does not mention them.
    await devices.getByRole('button', { name: /^Forget / }).click();
    await devices.getByRole('button', { name: 'Yes, forget it' }).click();
    await p.getByText('No remembered browsers').waitFor();
    question = await ask();
    expect(question).toMatch(/recovery codes are deleted too\.$/);
    expect(question).not.toMatch(/remembered/);

    // And the server does what the question said.
    await methods.getByRole('button', { name: 'Yes, remove' }).click();
    await p.getByRole('status').getByText('Removed “Phone”').waitFor();
    expect(w.problems).toEqual([]);
    await w.context.close();
  });
});
