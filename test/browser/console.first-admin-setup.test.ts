import { describe, expect, it } from 'vitest';
import { ensureFirstAdminSetupLink } from '../../src/accounts/staff.js';
import { PASSWORD } from '../helpers/app.js';
import { MailSink } from '../helpers/mail-sink.js';
import { hasChromium, useWebAppAndBrowser, openPage, screenshot } from './browser.js';
import { addAuthenticatorApp, saveRecoveryCodes } from './mfa-steps.js';

describe.skipIf(!hasChromium)('console: first-admin setup', () => {
  const suite = useWebAppAndBrowser();

  it('the setup link leads to a signed-in admin who invites a staff member, who accepts and signs in', async () => {
    const { t } = suite.web;
    const link = await ensureFirstAdminSetupLink(t.ctx);
    expect(link).toMatch(/\/admin\/setup\?token=/);

    const admin = await openPage(suite.browser, suite.web.baseURL);
    const ap = admin.page;
    await ap.goto(link!);
    await ap.getByRole('heading', { name: 'Set up your administrator account' }).waitFor();
    await ap.getByLabel('Email').fill('ada@example.com');
    await ap.getByLabel('Name').fill('Ada Admin');
    await ap.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await screenshot(ap, 'admin-setup');
    await ap.getByRole('button', { name: 'Create administrator account' }).click();
    await ap.getByRole('status').getByText('Your account is ready').waitFor();

    // The link is single-use.
    const again = await openPage(suite.browser, suite.web.baseURL);
    await again.page.goto(link!);
    await again.page.getByRole('alert').getByText('not valid any more').waitFor();
    await again.context.close();

    // Sign in: admins must use MFA, so an admin without a factor sets one up first, in the UI.
    await ap.getByRole('link', { name: 'Sign in' }).click();
    await ap.getByLabel('Email').fill('ada@example.com');
    await ap.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await ap.getByRole('button', { name: 'Sign in' }).click();
    await ap.getByRole('heading', { name: 'Set up two-step verification' }).waitFor();
    expect(new URL(ap.url()).pathname).toBe('/admin/mfa/setup');
    await screenshot(ap, 'admin-mfa-setup');
    await addAuthenticatorApp(t, ap, 'Phone');
    await ap.getByRole('status').getByText('Two-step verification is on').waitFor();
    await saveRecoveryCodes(ap, 'Continue to the console');

    // Signed in: invite a staff member.
    await ap.getByRole('heading', { name: 'Tickets' }).waitFor();
    expect(new URL(ap.url()).pathname).toBe('/admin/tickets');
    await ap.getByText('No tickets yet').waitFor();
    // The console's navigation leads to the admin's own Security page.
    await ap.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Security' }).click();
    await ap.getByRole('table', { name: 'Sign-in methods' }).getByRole('row').filter({ hasText: 'Phone' }).waitFor();
    await ap.getByText('You have 10 unused recovery codes').waitFor();
    await screenshot(ap, 'admin-security');
    await ap.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Staff' }).click();
    await ap.getByRole('heading', { name: 'Staff', exact: true }).waitFor();
    const invite = ap.getByRole('form', { name: 'Invite a staff member' });
    await invite.getByLabel('Name').fill('Sam Agent');
    await invite.getByLabel('Email').fill('sam@example.com');
    await invite.getByLabel('Role').selectOption('agent');
    await invite.getByRole('button', { name: 'Send invitation' }).click();
    await ap.getByRole('status').getByText('Invitation sent to sam@example.com').waitFor();
    const row = ap.getByRole('row').filter({ hasText: 'sam@example.com' });
    await row.getByText('Invited').waitFor();
    await screenshot(ap, 'admin-staff');

    // The invitee accepts from the real email and signs in (agents need no second factor).
    const mail = await t.mail.waitFor('sam@example.com', /invit/i);
    const sam = await openPage(suite.browser, suite.web.baseURL);
    const sp = sam.page;
    await sp.goto(MailSink.link(mail, '/admin/invitation'));
    await sp.getByText('Welcome, Sam Agent').waitFor();
    await sp.getByLabel('Password', { exact: true }).fill('another good password');
    await sp.getByRole('button', { name: 'Accept invitation' }).click();
    await sp.getByRole('status').getByText('Your account is ready').waitFor();
    await sp.getByRole('link', { name: 'Sign in' }).click();
    await sp.getByLabel('Email').fill('sam@example.com');
    await sp.getByLabel('Password', { exact: true }).fill('another good password');
    await sp.getByRole('button', { name: 'Sign in' }).click();
    await sp.getByRole('heading', { name: 'Tickets' }).waitFor();
    // Agents see no admin sections.
    expect(await sp.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Staff' }).count()).toBe(0);

    // The admin changes the role, then deactivates after confirming; the agent's session ends.
    await ap.reload();
    await row.getByText('Active').waitFor();
    await row.getByLabel('Role of Sam Agent').selectOption('supervisor');
    await row.getByRole('button', { name: 'Yes, make supervisor' }).click();
    await ap.getByRole('status').getByText('Sam Agent is now supervisor').waitFor();
    await row.getByRole('button', { name: 'Deactivate Sam Agent' }).click();
    await row.getByText('will be signed out everywhere').waitFor();
    await row.getByRole('button', { name: 'Yes, deactivate' }).click();
    await row.getByText('Deactivated').waitFor();
    await sp.reload();
    await sp.getByRole('heading', { name: 'Sign in to the Portico console' }).waitFor();

    expect(admin.problems).toEqual([]);
    expect(sam.problems).toEqual([]);
  });
});
