import { describe, expect, it } from 'vitest';
import { signUpContact } from '../helpers/app.js';
import { MailSink } from '../helpers/mail-sink.js';
import { enrollTOTP, staffWithMFA } from '../helpers/mfa.js';
import { hasChromium, useWebAppAndBrowser, openPage } from './browser.js';
import { signInWithPassword } from './mfa-steps.js';

/**
 * After a staff reset, the emailed setup link is used from the second-step page ("Continue
 * with the setup link"). A link that no longer works (used from another tab, or expired) made
 * the button vanish with no word of why: the page forgot the link and its error with it. Now
 * the error stays, and the customer knows to ask for a new link.
 */
describe.skipIf(!hasChromium)('help center: a setup link that no longer works', () => {
  const suite = useWebAppAndBrowser();

  it('says why when it was already used in another tab', async () => {
    const { t } = suite.web;
    const customer = await signUpContact(t, 'lin@example.com', 'Lin Link');
    await enrollTOTP(t, customer.client, 'contact', 'Lost phone');
    const sup = await staffWithMFA(t, 'supervisor');
    await sup.stepUp();
    const reset = await sup.client.post(`/api/v1/contacts/${customer.id}/mfa/reset`, { reason: 'Lost phone, identity checked', requireEnrollment: true });
    expect(reset.statusCode, reset.body).toBe(200);
    const link = MailSink.link(await t.mail.waitFor(customer.email, 'Your two-step verification was reset'), '/setup-mfa');

    // Two tabs (two browser contexts, as a tab's kept link is per tab), each signed in with the password.
    const tabs = [await openPage(suite.browser, suite.web.baseURL), await openPage(suite.browser, suite.web.baseURL)];
    for (const tab of tabs) {
      await tab.page.goto(link);
      await tab.page.getByText('First sign in with your email address and password.').waitFor();
      await signInWithPassword(tab.page, customer.email);
      await tab.page.getByRole('button', { name: 'Continue with the setup link' }).waitFor();
    }
    await tabs[0]!.page.getByRole('button', { name: 'Continue with the setup link' }).click();
    await tabs[0]!.page.getByRole('heading', { name: 'Set up two-step verification' }).waitFor();

    const late = tabs[1]!.page;
    await late.getByRole('button', { name: 'Continue with the setup link' }).click();
    await late.getByRole('alert').waitFor();
    expect(await late.getByRole('alert').innerText()).toMatch(/link|token/i);
    expect(await late.getByRole('button', { name: 'Continue with the setup link' }).count()).toBe(0);
    for (const tab of tabs) await tab.context.close();
  });
});
