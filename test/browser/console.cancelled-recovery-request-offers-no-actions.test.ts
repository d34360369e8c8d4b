import { describe, expect, it } from 'vitest';
import { PASSWORD, signUpContact } from '../helpers/app.js';
import { MailSink } from '../helpers/mail-sink.js';
import { enrollTOTP, staffWithMFA } from '../helpers/mfa.js';
import { hasChromium, useWebAppAndBrowser, openPage } from './browser.js';
import { signInToConsole } from './mfa-steps.js';

describe.skipIf(!hasChromium)('console: a recovery request the owner cancelled ("it was not me") offers no recovery actions', () => {
  const suite = useWebAppAndBrowser();

  it('the ticket says the owner cancelled it and warns of social engineering; no checklist, reset or temporary code is offered from it', async () => {
    const { t } = suite.web;
    const customer = await signUpContact(t, 'nora@example.com', 'Nora Notme');
    await enrollTOTP(t, customer.client, 'contact', 'Phone');
    const caller = t.client();
    expect((await caller.post('/api/v1/auth/login', { email: customer.email, password: PASSWORD })).json().state).toBe('mfa_required');
    const { ticketId } = (await caller.post('/api/v1/auth/mfa/recovery-requests', { message: 'I lost my phone, please reset' })).json();

    const sup = await staffWithMFA(t, 'supervisor');
    const s = await openPage(suite.browser, suite.web.baseURL);
    await signInToConsole(t, s, sup.email, sup.secret);
    // Before the cancel: the request's tools are there.
    await s.page.goto(`/admin/tickets/${ticketId}`);
    await s.page.getByRole('region', { name: 'Identity checklist' }).waitFor();
    expect((await sup.client.get(`/api/v1/tickets/${ticketId}`)).json().recoveryCancelledAt).toBeNull();

    const mail = await t.mail.waitFor(customer.email, 'A request to recover your account was opened');
    const token = new URL(MailSink.link(mail, '/recovery-requests/cancel')).searchParams.get('token');
    const cancelled = await t.client().post('/api/v1/auth/recovery-requests/cancel', { token });
    expect(cancelled.statusCode, cancelled.body).toBe(200);

    const api = await sup.client.get(`/api/v1/tickets/${ticketId}`);
    expect(api.json()).toMatchObject({ id: ticketId, recovery: true, status: 'solved' });
    expect(api.json().recoveryCancelledAt).toEqual(expect.any(String));

    await s.page.reload();
    const warning = s.page.getByRole('alert');
    await warning.getByText(/cancelled by the account owner/i).waitFor();
    await warning.getByText(/social engineering/i).waitFor();
    expect(await s.page.getByRole('note').getByText('MFA recovery request.').count()).toBe(0);
    expect(await s.page.getByRole('region', { name: 'Identity checklist' }).count()).toBe(0);
    for (const name of ['Reset MFA', 'Temporary access code', 'Send code']) {
      expect(await s.page.getByRole('button', { name }).count()).toBe(0);
    }
    await s.page.getByText(/The account owner CANCELLED this request/).waitFor();
    expect(s.problems).toEqual([]);
    await s.context.close();
  });
});
