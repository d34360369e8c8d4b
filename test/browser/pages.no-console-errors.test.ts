import { describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { COOKIES } from '../../src/http/cookies.js';
import { signUpContact } from '../helpers/app.js';
import { staffWithRole } from '../helpers/staff-session.js';
import { hasChromium, useWebAppAndBrowser, openPage, screenshot, type WatchedPage } from './browser.js';

/** Every form control on the page has an accessible name (a label or aria-label). */
async function unlabelledControls(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll('input, select, textarea')]
      .filter((el) => {
        const c = el as HTMLInputElement;
        return !(c.labels && c.labels.length > 0) && !c.getAttribute('aria-label') && !c.getAttribute('aria-labelledby');
      })
      .map((el) => el.outerHTML),
  );
}

async function visit(w: WatchedPage, path: string, heading: string, shot: string): Promise<void> {
  await w.page.goto(path);
  await w.page.getByRole('heading', { name: heading, exact: true }).first().waitFor();
  await w.page.waitForLoadState('networkidle');
  expect(await unlabelledControls(w.page), path).toEqual([]);
  await screenshot(w.page, shot);
}

/**
 * The strict CSP (script-src 'self', style-src 'self') and the app agree: no page logs a CSP
 * violation, a console error or an uncaught exception, and every control is labelled.
 */
describe.skipIf(!hasChromium)('web UI pages: no CSP violations or console errors', () => {
  const suite = useWebAppAndBrowser();

  // Three tests rather than one: every page waits for the network to go idle, and the whole
  // tour came close to the 30 s per-test limit on a busy 2-core machine (and passed it once).
  it('anonymous pages load cleanly', async () => {
    const anonymous = await openPage(suite.browser, suite.web.baseURL);
    await visit(anonymous, '/sign-in', 'Sign in to the Help Center', 'anon-sign-in');
    await visit(anonymous, '/sign-up', 'Create your account', 'anon-sign-up');
    await visit(anonymous, '/forgot-password', 'Reset your password', 'anon-forgot');
    await visit(anonymous, '/reset-password?token=abc', 'Choose a new password', 'anon-reset');
    await visit(anonymous, '/verify-email?token=abc', 'Confirm your email address', 'anon-verify');
    await visit(anonymous, '/admin/sign-in', 'Sign in to the Portico console', 'anon-admin-sign-in');
    await visit(anonymous, '/admin/forgot-password', 'Reset your password', 'anon-admin-forgot');
    await visit(anonymous, '/pending-actions/cancel?token=abc', 'Cancel a scheduled change', 'anon-cancel-pending');
    await visit(anonymous, '/recovery-requests/cancel?token=abc', 'Cancel a recovery request', 'anon-cancel-recovery');
    // A signed-out visit to a private page goes to sign-in, and back after it.
    await anonymous.page.goto('/account');
    await anonymous.page.getByRole('heading', { name: 'Sign in to the Help Center' }).waitFor();
    expect(new URL(anonymous.page.url()).searchParams.get('next')).toBe('/account');
    expect(anonymous.problems).toEqual([]);
  });

  /** A verified customer with a ticket, set up through the API. */
  async function customerWithTicket(email: string) {
    const contact = await signUpContact(suite.web.t, email, 'Pat Customer');
    const opened = await contact.client.post('/api/v1/me/tickets', { subject: 'Printer on fire', message: 'Line one\nLine two' });
    expect(opened.statusCode).toBe(201);
    return { contact, ticketID: opened.json().id as string };
  }

  it('customer pages load cleanly', async () => {
    const { contact, ticketID } = await customerWithTicket('pat@example.com');
    // Signed in in the browser.
    const customer = await openPage(suite.browser, suite.web.baseURL);
    await customer.context.addCookies([{ name: COOKIES.contact, value: contact.client.cookies.get(COOKIES.contact)!, url: suite.web.baseURL }]);
    await visit(customer, '/tickets', 'My tickets', 'customer-tickets');
    await visit(customer, `/tickets/${ticketID}`, 'Printer on fire', 'customer-ticket-page');
    await visit(customer, '/account', 'Account', 'customer-account');
    await customer.page.setViewportSize({ width: 390, height: 800 });
    await visit(customer, '/tickets', 'My tickets', 'customer-tickets-mobile');
    expect(customer.problems).toEqual([]);
  });

  it('admin pages load cleanly', async () => {
    const { t } = suite.web;
    const { contact, ticketID } = await customerWithTicket('sam@example.com');
    // An admin (session started directly: admin MFA sign-in is tested elsewhere).
    const { client: adminClient } = await staffWithRole(t, 'admin');
    const admin = await openPage(suite.browser, suite.web.baseURL);
    await admin.context.addCookies([{ name: COOKIES.staff, value: adminClient.cookies.get(COOKIES.staff)!, url: suite.web.baseURL }]);
    await visit(admin, '/admin/tickets', 'Tickets', 'admin-tickets');
    await visit(admin, `/admin/tickets/${ticketID}`, 'Printer on fire', 'admin-ticket-page');
    await visit(admin, '/admin/contacts', 'Contacts', 'admin-contacts');
    await visit(admin, `/admin/contacts/${contact.id}`, 'Pat Customer', 'admin-contact-page');
    await admin.page.getByRole('region', { name: 'Security' }).getByRole('heading', { name: 'Security' }).waitFor();
    await visit(admin, '/admin/contacts/new', 'New contact', 'admin-new-contact');
    await visit(admin, '/admin/staff', 'Staff', 'admin-staff-page');
    await visit(admin, '/admin/settings', 'Settings', 'admin-settings');
    await visit(admin, '/admin/account', 'Account', 'admin-account');
    await visit(admin, '/admin/bulk-reset', 'Bulk MFA reset', 'admin-bulk-reset');
    await visit(admin, '/admin/pending-actions', 'Scheduled changes', 'admin-pending-actions');
    await visit(admin, '/admin/overview', 'MFA overview', 'admin-overview');
    await visit(admin, '/admin/outbox', 'Email delivery', 'admin-outbox');
    expect(admin.problems).toEqual([]);
  });

  it('the contacts list searches, filters by MFA state, pages with "Load more", and adds a contact', async () => {
    const { t } = suite.web;
    const { client: adminClient } = await staffWithRole(t, 'admin');
    for (let i = 0; i < 55; i++) {
      const r = await adminClient.post('/api/v1/contacts', { email: `bulk-${i}@example.com`, name: `Bulk Person ${i}`, invite: false });
      expect(r.statusCode).toBe(201);
    }
    const admin = await openPage(suite.browser, suite.web.baseURL);
    const p = admin.page;
    await admin.context.addCookies([{ name: COOKIES.staff, value: adminClient.cookies.get(COOKIES.staff)!, url: suite.web.baseURL }]);
    await p.goto('/admin/contacts');
    const rows = p.locator('table tbody tr');
    await rows.nth(49).waitFor();
    expect(await rows.count()).toBe(50);
    await p.getByRole('button', { name: 'Load more' }).click();
    await rows.nth(50).waitFor();
    // 55 invited here plus the customers of the other tests in this app.
    await p.getByRole('button', { name: 'Load more' }).waitFor({ state: 'detached' });
    expect(await rows.count()).toBeGreaterThanOrEqual(55);

    await p.getByLabel('Search contacts').fill('Bulk Person 42');
    await p.getByRole('link', { name: 'Bulk Person 42' }).waitFor();
    await p.waitForFunction(() => document.querySelectorAll('table tbody tr').length === 1);

    await p.getByLabel('Search contacts').fill('');
    await p.getByLabel('MFA status').selectOption('enrolled');
    await p.getByText('No contacts match this search.').waitFor();

    await p.getByRole('link', { name: 'New contact' }).click();
    await p.getByLabel('Name').fill('Nina New');
    await p.getByLabel('Email').fill('nina@example.com');
    expect(await p.getByLabel('Send an invitation to choose a password').isChecked()).toBe(true);
    await p.getByRole('button', { name: 'Create contact' }).click();
    await p.getByRole('heading', { name: 'Nina New' }).waitFor();
    await p.getByText('Invited, has not chosen a password yet').waitFor();
    await t.mail.waitFor('nina@example.com', /invit/i);

    // A duplicate shows the API's detail next to the form.
    await p.goto('/admin/contacts/new');
    await p.getByLabel('Name').fill('Nina Again');
    await p.getByLabel('Email').fill('nina@example.com');
    await p.getByRole('button', { name: 'Create contact' }).click();
    await p.getByRole('alert').getByText('already exists').waitFor();

    // The 409 of the duplicate is the only console message (the browser logs failed requests).
    expect(admin.problems.filter((m) => !m.includes('409'))).toEqual([]);
  });
});
