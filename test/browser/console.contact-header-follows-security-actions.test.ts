import { describe, expect, it } from 'vitest';
import { signUpContact } from '../helpers/app.js';
import { enrollTOTP, staffWithMFA } from '../helpers/mfa.js';
import { hasChromium, useWebAppAndBrowser, openPage } from './browser.js';
import { signInToConsole } from './mfa-steps.js';

describe.skipIf(!hasChromium)('console: the contact header follows the Security panel actions', () => {
  const suite = useWebAppAndBrowser();

  it('the badges name the methods in words, and show "Setup required" and "No MFA" right after the actions, without a reload', async () => {
    const { t } = suite.web;
    const customer = await signUpContact(t, 'hal@example.com', 'Hal Header');
    await enrollTOTP(t, customer.client, 'contact', 'Phone');
    const sup = await staffWithMFA(t, 'supervisor');
    const s = await openPage(suite.browser, suite.web.baseURL);
    await signInToConsole(t, s, sup.email, sup.secret);
    const p = s.page;
    await p.goto(`/admin/contacts/${customer.id}`);
    const head = p.locator('.page-head');
    await head.getByText('MFA: Authenticator app').waitFor();
    expect(await head.innerText()).not.toMatch(/totp/);
    const panel = p.getByRole('region', { name: 'Security' });

    await panel.getByRole('button', { name: 'Require MFA setup at next sign-in' }).click();
    let dialog = p.getByRole('dialog', { name: 'Require MFA setup at next sign-in' });
    await dialog.getByLabel('Reason').fill('Caller reports a stolen phone');
    await dialog.getByRole('button', { name: 'Require MFA setup at next sign-in' }).click();
    await p.getByRole('dialog', { name: 'Require MFA setup at next sign-in: done' }).getByRole('button', { name: 'Done' }).click();
    await head.getByText('Setup required').waitFor();

    await panel.getByRole('button', { name: 'Reset MFA' }).click();
    dialog = p.getByRole('dialog', { name: 'Reset MFA' });
    await dialog.getByLabel('Reason').fill('Owner confirmed by phone');
    await dialog.getByRole('button', { name: 'Reset MFA' }).click();
    await p.getByRole('dialog', { name: 'Reset MFA: done' }).getByRole('button', { name: 'Done' }).click();
    await head.getByText('No MFA').waitFor();
    expect(await head.getByText(/MFA: /).count()).toBe(0);
    expect(s.problems).toEqual([]);
    await s.context.close();
  });
});
