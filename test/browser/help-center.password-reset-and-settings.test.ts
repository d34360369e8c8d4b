import { describe, expect, it } from 'vitest';
import { COOKIES } from '../../src/http/cookies.js';
import { PASSWORD, signUpContact } from '../helpers/app.js';
import { MailSink } from '../helpers/mail-sink.js';
import { staffWithRole } from '../helpers/staff-session.js';
import { hasChromium, useWebAppAndBrowser, openPage } from './browser.js';

describe.skipIf(!hasChromium)('help center: password reset by email, sign-out everywhere, and the sign-up switch', () => {
  const suite = useWebAppAndBrowser();

  it('a forgotten password is reset from the emailed link, which does not sign in; sign out everywhere ends the session', async () => {
    const { t } = suite.web;
    const contact = await signUpContact(t, 'robin@example.com', 'Robin Reset');
    const w = await openPage(suite.browser, suite.web.baseURL);
    const p = w.page;
    await p.goto('/sign-in');
    await p.getByRole('link', { name: 'Forgot your password?' }).click();
    await p.getByLabel('Email').fill(contact.email);
    await p.getByRole('button', { name: 'Send reset link' }).click();
    await p.getByRole('status').getByText('we have emailed it a link').waitFor();

    const mail = await t.mail.waitFor(contact.email, /password/i);
    await p.goto(MailSink.link(mail, '/reset-password'));
    await p.getByLabel('New password').fill('a brand new password');
    await p.getByLabel('Confirm password').fill('a different one');
    await p.getByRole('button', { name: 'Set new password' }).click();
    await p.getByRole('alert').getByText('not the same').waitFor();
    await p.getByLabel('Confirm password').fill('a brand new password');
    await p.getByRole('button', { name: 'Set new password' }).click();
    await p.getByRole('status').getByText('Your password has been changed').waitFor();
    // Never signed in by the reset.
    expect((await (await p.request.get('/api/v1/auth/session')).json()).state).toBe('anonymous');

    // The old password no longer works; the new one does.
    await p.getByRole('link', { name: 'Sign in' }).last().click();
    await p.getByLabel('Email').fill(contact.email);
    await p.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('alert').waitFor();
    await p.getByLabel('Password', { exact: true }).fill('a brand new password');
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('heading', { name: 'My tickets' }).waitFor();

    // Sign out everywhere asks first, then ends this session too.
    await p.getByRole('link', { name: 'Account' }).click();
    await p.getByRole('button', { name: 'Sign out everywhere' }).click();
    await p.getByText('This signs you out on every browser and device').waitFor();
    await p.getByRole('button', { name: 'Yes, sign out everywhere' }).click();
    await p.getByRole('heading', { name: 'Sign in to the Help Center' }).waitFor();
    await p.goto('/tickets');
    await p.getByRole('heading', { name: 'Sign in to the Help Center' }).waitFor();

    // A wrong password is the only console message (the browser logs the failed request).
    expect(w.problems.filter((m) => !m.includes('401'))).toEqual([]);
  });

  it('an admin turns sign-up off in the settings, and the help center stops offering it', async () => {
    const { t } = suite.web;
    const visitor = await openPage(suite.browser, suite.web.baseURL);
    await visitor.page.goto('/sign-in');
    await visitor.page.getByRole('link', { name: 'Create an account' }).waitFor();

    const { client } = await staffWithRole(t, 'admin');
    const admin = await openPage(suite.browser, suite.web.baseURL);
    await admin.context.addCookies([{ name: COOKIES.staff, value: client.cookies.get(COOKIES.staff)!, url: suite.web.baseURL }]);
    const p = admin.page;
    await p.goto('/admin/settings');
    // The page also holds the MFA settings form: work in the help-center one.
    const form = p.getByRole('form', { name: 'Help center settings' });
    const toggle = form.getByLabel('Allow customers to sign up');
    expect(await toggle.isChecked()).toBe(true);
    await toggle.uncheck();
    await form.getByLabel('Reason').fill('Invitation-only pilot');
    await form.getByRole('button', { name: 'Save settings' }).click();
    await form.getByRole('status').getByText('Settings saved').waitFor();

    const fresh = await openPage(suite.browser, suite.web.baseURL);
    await fresh.page.goto('/sign-in');
    await fresh.page.getByRole('heading', { name: 'Sign in to the Help Center' }).waitFor();
    await fresh.page.waitForLoadState('networkidle');
    expect(await fresh.page.getByRole('link', { name: /Create an account|Sign up/ }).count()).toBe(0);
    await fresh.page.goto('/sign-up');
    await fresh.page.getByText('does not take sign-ups').waitFor();

    expect([...visitor.problems, ...admin.problems, ...fresh.problems]).toEqual([]);
  });
});
