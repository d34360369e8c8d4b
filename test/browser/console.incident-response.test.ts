import { describe, expect, it } from 'vitest';
import { PASSWORD, signUpContact, type TestApp } from '../helpers/app.js';
import { MailSink } from '../helpers/mail-sink.js';
import { codeFor, enrollTOTP, nextStep, staffWithMFA } from '../helpers/mfa.js';
import { seedEnrolledContacts } from '../helpers/seed.js';
import { hasChromium, useWebAppAndBrowser, openPage, type WatchedPage } from './browser.js';
import { signInToConsole } from './mfa-steps.js';


describe.skipIf(!hasChromium)('console: incident response and locked-out customers', () => {
  const suite = useWebAppAndBrowser();

  it('with a 24-hour waiting period a reset is scheduled, and the customer cancels it from the emailed link', async () => {
    const { t } = suite.web;
    const customer = await signUpContact(t, 'wanda@example.com', 'Wanda Waiting');
    await enrollTOTP(t, customer.client, 'contact', 'Phone');
    const admin = await staffWithMFA(t, 'admin');
    const a = await openPage(suite.browser, suite.web.baseURL);
    await signInToConsole(t, a, admin.email, admin.secret);
    await a.page.goto('/admin/settings');
    const settings = a.page.getByRole('form', { name: 'MFA settings' });
    await settings.getByText('We recommend 24 hours').waitFor();
    await settings.getByLabel('Waiting period before resets and temporary codes (hours)').fill('24');
    await settings.getByLabel('Reason for the change').fill('Defence against help-desk social engineering');
    await settings.getByRole('button', { name: 'Save MFA settings' }).click();
    await settings.getByRole('status').getByText('MFA settings saved.').waitFor();

    const sup = await staffWithMFA(t, 'supervisor');
    const s = await openPage(suite.browser, suite.web.baseURL);
    await signInToConsole(t, s, sup.email, sup.secret);
    await s.page.goto(`/admin/contacts/${customer.id}`);
    const panel = s.page.getByRole('region', { name: 'Security' });
    await panel.getByRole('button', { name: 'Reset MFA' }).click();
    const dialog = s.page.getByRole('dialog', { name: 'Reset MFA' });
    await dialog.getByLabel('Reason').fill('Caller says they lost their phone');
    await dialog.getByRole('button', { name: 'Reset MFA' }).click();
    const scheduled = s.page.getByRole('dialog', { name: 'Reset MFA: scheduled' });
    await scheduled.getByText(/Scheduled for .* the customer was emailed a link to cancel it/).waitFor();
    await scheduled.getByRole('button', { name: 'Done' }).click();
    const scheduledList = panel.getByRole('region', { name: 'Scheduled changes' });
    await scheduledList.getByText('Reset MFA').waitFor();
    await scheduledList.getByText(/Scheduled by you on .* reason: Caller says they lost their phone/).waitFor();
    // Nothing happened yet.
    await panel.getByText('Enrolled', { exact: true }).waitFor();

    const mail = await t.mail.waitFor(customer.email, 'Our support team will change your two-step verification');
    const c = await openPage(suite.browser, suite.web.baseURL);
    await c.page.goto(MailSink.link(mail, '/pending-actions/cancel'));
    await c.page.getByRole('heading', { name: 'Cancel a scheduled change' }).waitFor();
    const pending = await t.ctx.db.selectFrom('pending_actions').selectAll().where('owner_id', '=', customer.id).executeTakeFirstOrThrow();
    // Opening the page changed nothing; the button does.
    expect(pending.status).toBe('pending');
    await c.page.getByRole('button', { name: 'Cancel the change' }).click();
    await c.page.getByRole('status').getByText(/Cancelled\. Nothing will change/).waitFor();

    await s.page.reload();
    await panel.getByText('Enrolled', { exact: true }).waitFor();
    expect(await panel.getByRole('region', { name: 'Scheduled changes' }).count()).toBe(0);
    await s.page.goto('/admin/pending-actions');
    await s.page.getByText('Nothing is scheduled.').waitFor();
    // The console shows the change as cancelled by the customer, with a link to the contact.
    await s.page.getByLabel('Show').selectOption('cancelled');
    const cancelledList = s.page.getByRole('list', { name: 'Cancelled changes' });
    const row = cancelledList.getByRole('listitem', { name: 'Reset MFA: cancelled' });
    await row.getByText(/Cancelled by the customer/).waitFor();
    await row.getByRole('link', { name: /Wanda Waiting/ }).waitFor();
    expect(await row.getByRole('button', { name: /^Cancel/ }).count()).toBe(0);
    expect(s.problems).toEqual([]);
    const after = await t.ctx.db.selectFrom('pending_actions').selectAll().where('id', '=', pending.id).executeTakeFirstOrThrow();
    expect(after).toMatchObject({ status: 'cancelled', cancelled_by: 'contact' });
    await t.mail.waitFor(sup.email, 'A customer cancelled a scheduled MFA change');

    // A temporary code is scheduled too: shown once now, usable only when the period ends.
    await s.page.goto(`/admin/contacts/${customer.id}`);
    await panel.getByRole('button', { name: 'Temporary access code' }).click();
    const codeDialog = s.page.getByRole('dialog', { name: 'Temporary access code' });
    await codeDialog.getByLabel('Reason').fill('Caller asks for a code');
    await codeDialog.getByRole('button', { name: 'Temporary access code' }).click();
    const issued = s.page.getByRole('dialog', { name: 'Temporary access code: scheduled' });
    await issued.getByText(/The code below becomes usable at .*, not before\./).waitFor();
    expect(await issued.getByLabel('Temporary access code').innerText()).toMatch(/\w/);
    await issued.getByRole('button', { name: 'Done' }).click();
    // The supervisor thinks better of it: cancelling needs a reason.
    const codeRow = panel.getByRole('region', { name: 'Scheduled changes' }).getByRole('listitem', { name: /Temporary access code/ });
    await codeRow.getByRole('button', { name: /^Cancel Temporary access code/ }).click();
    const cancelIt = codeRow.getByRole('button', { name: 'Cancel this change' });
    expect(await cancelIt.isDisabled()).toBe(true);
    await codeRow.getByLabel('Reason for cancelling').fill('Could not confirm the caller');
    await cancelIt.click();
    await panel.getByRole('region', { name: 'Scheduled changes' }).waitFor({ state: 'detached' });
    const code = await t.ctx.db.selectFrom('pending_actions').selectAll().where('owner_id', '=', customer.id).where('kind', '=', 'temporary_code').executeTakeFirstOrThrow();
    expect(code).toMatchObject({ status: 'cancelled', cancelled_by: 'staff' });
    expect(c.problems).toEqual([]);
    expect(a.problems).toEqual([]);
    // Back to no waiting period for the other tests.
    await t.ctx.db.deleteFrom('settings').execute();
    await Promise.all([a.context.close(), s.context.close(), c.context.close()]);
  });

  it('a locked-out customer asks for help from the second step; an agent sees the recovery ticket with its checklist; the owner can cancel it from the email', async () => {
    const { t } = suite.web;
    const customer = await signUpContact(t, 'lena@example.com', 'Lena Lost');
    await enrollTOTP(t, customer.client, 'contact', 'Phone');
    const c = await openPage(suite.browser, suite.web.baseURL);
    await c.page.goto('/sign-in');
    await c.page.getByLabel('Email').fill(customer.email);
    await c.page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await c.page.getByRole('button', { name: 'Sign in' }).click();
    await c.page.getByRole('link', { name: /Can.t use any of your methods/ }).click();
    await c.page.getByLabel('Describe the problem').fill('My phone fell in the sea and I have no recovery codes.');
    await c.page.getByRole('button', { name: 'Ask support for help' }).click();
    // The customer is told the request is open, not its internal ticket id (they cannot open it).
    await c.page.getByRole('status').getByText(/We opened a request and emailed you about it/).waitFor();
    expect(await c.page.getByRole('status').innerText()).not.toMatch(/tk_/);
    const { id: ticketId } = await t.ctx.db.selectFrom('tickets').select('id').where('contact_id', '=', customer.id).where('recovery', '=', 1).executeTakeFirstOrThrow();
    const requestMail = await t.mail.waitFor(customer.email, 'A request to recover your account was opened');
    // Asking again while the request is open says so instead of opening a second one.
    await c.page.reload();
    await c.page.getByLabel('Describe the problem').fill('Did you get my message?');
    await c.page.getByRole('button', { name: 'Ask support for help' }).click();
    await c.page.getByRole('status').getByText('You already have an open request: our support team will contact you.').waitFor();
    expect(await t.ctx.db.selectFrom('tickets').select('id').where('contact_id', '=', customer.id).where('recovery', '=', 1).execute()).toHaveLength(1);

    const agent = await staffWithMFA(t, 'agent');
    const g = await openPage(suite.browser, suite.web.baseURL);
    await signInToConsole(t, g, agent.email, agent.secret);
    await g.page.goto(`/admin/tickets/${ticketId}`);
    await g.page.getByRole('note').getByText('MFA recovery request.').waitFor();
    const checklist = g.page.getByRole('region', { name: 'Identity checklist' });
    await checklist.getByLabel('Call back the phone number on file, not a number the caller gives you.').check();
    await checklist.getByText('1 of 6 checked.', { exact: false }).waitFor();
    await g.page.getByText('My phone fell in the sea and I have no recovery codes.').waitFor();
    // An agent sees the Security panel but cannot act.
    await g.page.getByRole('region', { name: 'Security' }).getByText(/Only a supervisor or an admin can change/).waitFor();

    // A supervisor sends the emailed code from the checklist; the reset then records that check.
    const sup = await staffWithMFA(t, 'supervisor');
    const s = await openPage(suite.browser, suite.web.baseURL);
    await signInToConsole(t, s, sup.email, sup.secret);
    await s.page.goto(`/admin/tickets/${ticketId}`);
    const list = s.page.getByRole('region', { name: 'Identity checklist' });
    await list.getByRole('button', { name: 'Send code' }).click();
    const check = await t.mail.waitFor(customer.email, /verification code/i);
    await list.getByLabel('Code read back').fill(/\b(\d{6})\b/.exec(check.text)![1]);
    await list.getByRole('button', { name: 'Confirm code' }).click();
    await list.getByText('Email on file verified').waitFor();
    expect(await list.getByLabel('Send an emailed verification code and have the caller read it back.').isChecked()).toBe(true);
    await s.page.getByRole('region', { name: 'Security' }).getByRole('button', { name: 'Reset MFA' }).click();
    const dialog = s.page.getByRole('dialog', { name: 'Reset MFA' });
    await dialog.getByText('Email on file verified').waitFor();
    await dialog.getByLabel('Reason').fill('Recovery request; caller read back the emailed code');
    await dialog.getByRole('button', { name: 'Reset MFA' }).click();
    await s.page.getByRole('dialog', { name: 'Reset MFA: done' }).getByRole('button', { name: 'Done' }).click();
    const reset = await t.ctx.db.selectFrom('audit_events').selectAll().where('action', '=', 'mfa.reset').where('contact_id', '=', customer.id).executeTakeFirstOrThrow();
    expect(JSON.parse(reset.verification ?? 'null')).toMatchObject({ method: 'email_code' });
    // The confirmed check was single-use: the checklist offers to send a new one.
    await list.getByRole('button', { name: 'Send code' }).waitFor();

    // Had it not been the owner: the emailed link opens a page, and only its button cancels.
    await c.page.goto(MailSink.link(requestMail, '/recovery-requests/cancel'));
    await c.page.getByRole('heading', { name: 'Cancel a recovery request' }).waitFor();
    const ticketRow = () => t.ctx.db.selectFrom('tickets').select('status').where('id', '=', ticketId).executeTakeFirstOrThrow();
    expect((await ticketRow()).status).not.toBe('solved');
    await c.page.getByRole('button', { name: 'It was not me: cancel the request' }).click();
    await c.page.getByRole('status').getByText('The request is cancelled and marked as suspicious').waitFor();
    expect((await ticketRow()).status).toBe('solved');
    await s.page.reload();
    await s.page.getByText(/The account owner CANCELLED this request/).waitFor();

    // The one 409 is the API saying a request is already open; the browser logs it.
    expect(c.problems.filter((p) => !p.endsWith('status of 409 (Conflict)'))).toEqual([]);
    expect(c.problems).toHaveLength(1);
    expect(g.problems).toEqual([]);
    expect(s.problems).toEqual([]);
    await Promise.all([c.context.close(), g.context.close(), s.context.close()]);
  });

  it('an admin previews and runs a bulk reset and watches it finish; the overview draws its charts', async () => {
    const { t } = suite.web;
    const seeded = await seedEnrolledContacts(t.ctx, 40);
    const admin = await staffWithMFA(t, 'admin');
    const a = await openPage(suite.browser, suite.web.baseURL);
    await signInToConsole(t, a, admin.email, admin.secret);
    const total = Number(
      (await t.ctx.db.selectFrom('mfa_factors').select((eb) => eb.fn.count<number>('owner_id').distinct().as('n')).where('owner_kind', '=', 'contact').where('status', '=', 'active').executeTakeFirstOrThrow()).n,
    );
    expect(total).toBeGreaterThanOrEqual(seeded.length);
    await a.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Bulk reset' }).click();
    await a.page.getByLabel('All customers with two-step verification').check();
    await a.page.getByRole('button', { name: 'Preview' }).click();
    await a.page.getByRole('heading', { name: `${total} customers will be reset` }).waitFor();
    await a.page.getByRole('table', { name: 'Sample of the customers' }).waitFor();
    // The table says it is a sample, and of how many.
    await a.page.getByRole('region', { name: 'Preview' }).getByText(new RegExp(`^A sample: \\d+ of the ${total} customers\\.$`)).waitFor();
    const start = a.page.getByRole('form', { name: 'Start the bulk reset' });
    await start.getByLabel('Reason').fill('Incident 42: authenticator seeds may have leaked');
    const go = start.getByRole('button', { name: `Reset ${total} customers` });
    expect(await go.isDisabled()).toBe(true);
    await start.getByLabel(`Type ${total} to confirm`).fill(String(total));
    await go.click();
    const bar = a.page.getByRole('progressbar', { name: 'Bulk reset progress' });
    await bar.waitFor();
    await a.page.getByRole('heading', { name: 'Bulk reset completed' }).waitFor({ timeout: 30_000 });
    expect(await bar.getAttribute('aria-valuenow')).toBe(String(total));
    expect(await bar.getAttribute('aria-valuemax')).toBe(String(total));
    const left = await t.ctx.db.selectFrom('mfa_factors').select('id').where('owner_id', 'in', seeded).execute();
    expect(left).toHaveLength(0);
    await a.page.getByText(`${total} of ${total} contacts processed (100 %) — ${total} reset, 0 failed`).waitFor();
    await a.page.getByRole('button', { name: 'Back to the bulk reset form' }).click();
    await a.page.getByRole('region', { name: 'Recent bulk resets' }).getByRole('button', { name: new RegExp(`completed, ${total} of ${total} reset`) }).waitFor();
    // Back on the form, nothing of the run just started is left to start again with one click:
    // no preview, no confirmation, no reason.
    expect(await a.page.getByRole('region', { name: 'Preview' }).count()).toBe(0);
    expect(await a.page.getByRole('form', { name: 'Start the bulk reset' }).count()).toBe(0);
    expect(await a.page.getByRole('button', { name: /^Reset \d+ customers?$/ }).count()).toBe(0);

    await a.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Overview' }).click();
    await a.page.getByRole('heading', { name: 'MFA overview' }).waitFor();
    const charts = a.page.getByRole('img');
    expect(await charts.count()).toBeGreaterThanOrEqual(4);
    expect(await a.page.getByRole('region', { name: 'Resets per day' }).getByText(/of which \d+ in 1 bulk job/).count()).toBe(1);
    expect(a.problems).toEqual([]);
    await a.context.close();
  });
});
