import { describe, expect, it } from 'vitest';
import { PASSWORD, signUpContact } from '../helpers/app.js';
import { enrollTOTP, staffWithMFA } from '../helpers/mfa.js';
import { hasChromium, useWebAppAndBrowser, openPage, screenshot } from './browser.js';
import { signInToConsole } from './mfa-steps.js';

// While a caller asks for a reset, the Security panel shows sign-ins that passed the password
// and wait for a second step (someone knows the password), with their browser and IP, apart
// from the active sessions (and "Sign out everywhere" says it ends them); with none, the section
// is not there.

describe.skipIf(!hasChromium)('console: sign-ins waiting for a second step', () => {
  const suite = useWebAppAndBrowser();

  it('are listed on the Security panel with browser and IP', async () => {
    const { t } = suite.web;
    const customer = await signUpContact(t, 'paula@example.com', 'Paula Pending');
    await enrollTOTP(t, customer.client, 'contact', 'Phone');
    const supervisor = await staffWithMFA(t, 'supervisor');

    const s = await openPage(suite.browser, suite.web.baseURL);
    await signInToConsole(t, s, supervisor.email, supervisor.secret);
    await s.page.goto(`/admin/contacts/${customer.id}`);
    const panel = s.page.getByRole('region', { name: 'Security' });
    await panel.getByText('Enrolled', { exact: true }).waitFor();
    expect(await panel.getByRole('list', { name: 'Sign-ins waiting for a second step' }).count()).toBe(0);

    // Someone with the password, from another browser.
    const caller = t.client();
    expect((await caller.post('/api/v1/auth/login', { email: customer.email, password: PASSWORD }, { 'user-agent': 'CallerBrowser/9.9' })).json().state).toBe('mfa_required');

    await s.page.reload();
    const pending = panel.getByRole('list', { name: 'Sign-ins waiting for a second step' });
    await pending.getByText('CallerBrowser/9.9').waitFor();
    expect(await pending.innerText()).toMatch(/waiting for the second step/);
    await panel.getByRole('heading', { name: 'Sign-ins waiting for a second step (1)' }).waitFor();
    await screenshot(s.page, 'security-panel-pending-sign-in');
    // What "Sign out everywhere" will end says so too.
    await panel.getByRole('button', { name: 'Sign out everywhere' }).click();
    const dialog = s.page.getByRole('dialog', { name: 'Sign out everywhere' });
    await dialog.getByRole('list', { name: 'What will change' }).getByText('ends 1 sign-in waiting for a second step', { exact: false }).waitFor();
  });
});
