import { describe, expect, it } from 'vitest';
import { signUpContact } from '../helpers/app.js';
import { enrollTOTP, staffWithMFA } from '../helpers/mfa.js';
import { hasChromium, openPage, useWebAppAndBrowser } from './browser.js';
import { signInToConsole } from './mfa-steps.js';

/**
 * Nobody resets their own MFA (PRODUCT.md §4); a bulk reset leaves out the acting admin's own
 * customer account, as the single action refuses it. The preview says so, instead of showing
 * one customer fewer than the admin pasted without a word.
 */
describe.skipIf(!hasChromium)('console: bulk reset preview', () => {
  const suite = useWebAppAndBrowser();

  it("says the admin's own customer account is left out, and counts only the others", async () => {
    const { t } = suite.web;
    const admin = await staffWithMFA(t, 'admin');
    const [user, domain] = admin.email.split('@');
    const own = await signUpContact(t, `${user}+help@${domain}`, 'Admin as a customer');
    await enrollTOTP(t, own.client);
    const other = await signUpContact(t, 'olga@example.com', 'Olga Other');
    await enrollTOTP(t, other.client);

    const a = await openPage(suite.browser, suite.web.baseURL);
    const p = a.page;
    await signInToConsole(t, a, admin.email, admin.secret);
    await p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Bulk reset' }).click();
    await p.getByLabel('Email addresses (paste a list)').fill(`${own.email}\n${other.email}`);
    await p.getByRole('button', { name: 'Preview' }).click();
    const preview = p.getByRole('region', { name: 'Preview' });
    await preview.getByRole('heading', { name: '1 customer will be reset' }).waitFor();
    await preview.getByText('Your own customer account is left out: nobody resets their own MFA. Another admin can.').waitFor();
    const sample = await preview.getByRole('table', { name: 'Sample of the customers' }).innerText();
    expect(sample).toContain(other.email);
    expect(sample).not.toContain(own.email);
    expect(a.problems).toEqual([]);
    await a.context.close();
  });
});
