import { describe, expect, it } from 'vitest';
import { createStaff, PASSWORD } from '../helpers/app.js';
import { MailSink } from '../helpers/mail-sink.js';
import { hasChromium, useWebAppAndBrowser, openPage, screenshot } from './browser.js';

/**
 * The help center's main path, through the real UI, real emails and a real server: sign up,
 * confirm the address from the email, sign in, open a ticket; an agent answers in the console
 * and sets the status; the customer reads the answer — as plain text, never as HTML.
 */
describe.skipIf(!hasChromium)('help center and console: a ticket from sign-up to answer', () => {
  const suite = useWebAppAndBrowser();

  it('a customer signs up, verifies, opens a ticket; an agent answers it; the customer sees the plain-text reply', async () => {
    const { t } = suite.web;
    const email = `casey-${Date.now()}@example.com`;
    const subject = 'Cannot download my invoice';
    const firstMessage = 'The download button does nothing. <b>not bold</b>';

    // The customer signs up.
    const customer = await openPage(suite.browser, suite.web.baseURL);
    const cp = customer.page;
    await cp.goto('/sign-in');
    await cp.getByRole('link', { name: 'Create an account' }).click();
    await cp.getByLabel('Name').fill('Casey Customer');
    await cp.getByLabel('Email').fill(email);
    await cp.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await cp.getByRole('button', { name: 'Create account' }).click();
    await cp.getByRole('status').getByText('Check your email').waitFor();

    // The link in the real email shows a page; only the button confirms (a POST).
    const mail = await t.mail.waitFor(email, 'Confirm your email');
    await cp.goto(MailSink.link(mail, '/verify-email'));
    await cp.getByRole('heading', { name: 'Confirm your email address' }).waitFor();
    await cp.getByRole('button', { name: 'Confirm my email address' }).click();
    await cp.getByText('your email address is confirmed').waitFor();

    // Sign in, then open a ticket.
    await cp.getByRole('link', { name: 'Sign in' }).last().click();
    await cp.getByLabel('Email').fill(email);
    await cp.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await cp.getByRole('button', { name: 'Sign in' }).click();
    await cp.getByRole('heading', { name: 'My tickets' }).waitFor();
    await cp.getByText('No tickets yet').waitFor();
    await cp.getByRole('button', { name: 'New ticket' }).click();
    await cp.getByLabel('Subject').fill(subject);
    await cp.getByLabel('Message').fill(firstMessage);
    await cp.getByRole('button', { name: 'Send ticket' }).click();
    await cp.getByRole('heading', { name: subject }).waitFor();
    await cp.getByText(firstMessage).waitFor();
    await screenshot(cp, 'customer-ticket');

    // An agent signs in to the console, finds the ticket and answers it.
    const agent = await createStaff(t, 'agent');
    const staff = await openPage(suite.browser, suite.web.baseURL);
    const sp = staff.page;
    await sp.goto('/admin');
    await sp.getByRole('heading', { name: 'Sign in to the Portico console' }).waitFor();
    await sp.getByLabel('Email').fill(agent.email);
    await sp.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await sp.getByRole('button', { name: 'Sign in' }).click();
    await sp.getByRole('heading', { name: 'Tickets' }).waitFor();
    await sp.getByLabel('Status').selectOption('open');
    await sp.getByRole('link', { name: subject }).click();
    await sp.getByRole('heading', { name: subject }).waitFor();
    // The customer's markup arrives as text in the console too.
    await sp.getByText(firstMessage).waitFor();
    const reply = 'Hello Casey, try again now. <b>not bold</b>\nThe second line.';
    await sp.getByLabel('Your reply').fill(reply);
    await sp.getByRole('button', { name: 'Send reply' }).click();
    await sp.getByText('Hello Casey, try again now.', { exact: false }).waitFor();
    await sp.getByLabel('Status').selectOption('pending');
    await sp.getByRole('status').getByText('Status saved').waitFor();
    await screenshot(sp, 'console-ticket');

    // The customer sees the answer, literally, and the new status.
    await cp.reload();
    const answer = cp.locator('.message.author-staff .message-body');
    await answer.waitFor();
    expect(await answer.textContent()).toBe(reply);
    expect(await cp.getByText('<b>not bold</b>', { exact: false }).count()).toBe(2);
    expect(await cp.locator('.messages b').count()).toBe(0);
    expect(await cp.locator('.badge.status-pending').textContent()).toBe('Pending');
    await cp.getByRole('link', { name: 'My tickets' }).first().click();
    await cp.getByRole('link', { name: subject }).waitFor();

    expect(customer.problems).toEqual([]);
    expect(staff.problems).toEqual([]);
  });
});
