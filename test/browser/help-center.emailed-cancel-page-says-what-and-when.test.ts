import { describe, expect, it } from 'vitest';
import { signUpContact } from '../helpers/app.js';
import { MailSink } from '../helpers/mail-sink.js';
import { enrollTOTP, staffWithMFA } from '../helpers/mfa.js';
import { hasChromium, useWebAppAndBrowser, openPage } from './browser.js';

// A customer emailed "our support team will change your two-step verification" opens the
// cancel link. The page said only that "a change" was scheduled: not which, nor when. It now
// says what the change will do, when it was scheduled and when it takes effect, before the
// button; and a link whose change is no longer pending says so, with no button to press.

describe.skipIf(!hasChromium)('help center: the emailed cancel page says what it cancels and when', () => {
  const suite = useWebAppAndBrowser();

  it('a scheduled reset: what, when, how long is left; then, cancelled, the same link says so', async () => {
    const { t } = suite.web;
    const admin = await staffWithMFA(t, 'admin');
    await admin.stepUp();
    expect((await admin.client.put('/api/v1/settings/mfa', { waitingPeriodHours: 24, reason: 'social engineering defence' })).statusCode).toBe(200);
    const customer = await signUpContact(t);
    await enrollTOTP(t, customer.client);
    await admin.stepUp();
    const r = await admin.client.post(`/api/v1/contacts/${customer.id}/mfa/reset`, { reason: 'caller lost phone' });
    expect(r.statusCode, r.body).toBe(202);
    const link = MailSink.link(await t.mail.waitFor(customer.email, 'Our support team will change your two-step verification'), '/pending-actions/cancel');

    const c = await openPage(suite.browser, suite.web.baseURL);
    await c.page.goto(link);
    const facts = c.page.getByRole('definition');
    await c.page.getByText('Our support team will reset the two-step verification of your account').waitFor();
    await facts.getByText(/\(in 24 h\)/).waitFor();
    // Looking changed nothing.
    const row = () => t.ctx.db.selectFrom('pending_actions').select('status').where('id', '=', r.json().pendingActionId).executeTakeFirstOrThrow();
    expect((await row()).status).toBe('pending');

    await c.page.getByRole('button', { name: 'Cancel the change' }).click();
    await c.page.getByRole('status').getByText('Cancelled. Nothing will change on your account').waitFor();
    expect((await row()).status).toBe('cancelled');

    const again = await openPage(suite.browser, suite.web.baseURL);
    await again.page.goto(link);
    await again.page.getByRole('status').getByText('This change was already cancelled').waitFor();
    expect(await again.page.getByRole('button', { name: 'Cancel the change' }).count()).toBe(0);
  });

  it('a link that is not valid says so, with no button: cut short, or well-formed and unknown', async () => {
    for (const token of ['cut-short-0123456789', 'A'.repeat(43)]) {
      const c = await openPage(suite.browser, suite.web.baseURL);
      await c.page.goto(`/pending-actions/cancel?token=${token}`);
      await c.page.getByRole('alert').getByText(/This link is not valid/).waitFor();
      expect(await c.page.getByRole('button', { name: 'Cancel the change' }).count()).toBe(0);
    }
  });
});
