import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { PASSWORD, signUpContact, type TestApp } from '../helpers/app.js';
import { enrollTOTP, staffWithMFA } from '../helpers/mfa.js';
import { hasChromium, useWebAppAndBrowser, openPage } from './browser.js';
import { signInToConsole } from './mfa-steps.js';

/** In an open action dialog: the emailed identity check, sent and read back. */
async function confirmEmailedCheck(t: TestApp, p: Page, dialogName: string, email: string): Promise<void> {
  const dialog = p.getByRole('dialog', { name: dialogName });
  const before = t.mail.to(email).filter((m) => /verification code/i.test(m.subject)).length;
  await dialog.getByLabel('Email a code to the customer').check();
  await dialog.getByRole('button', { name: 'Send code' }).click();
  await dialog.getByLabel('Code read back').waitFor();
  let mails = t.mail.to(email).filter((m) => /verification code/i.test(m.subject));
  for (let i = 0; mails.length <= before; i++) {
    if (i > 100) throw new Error('the identity-check email did not arrive');
    await new Promise((r) => setTimeout(r, 50));
    mails = t.mail.to(email).filter((m) => /verification code/i.test(m.subject));
  }
  await dialog.getByLabel('Code read back').fill(/verification code is (\d{6})/.exec(mails[mails.length - 1].text)![1]);
  await dialog.getByRole('button', { name: 'Confirm code' }).click();
  await dialog.getByText('Email on file verified').waitFor();
}

describe.skipIf(!hasChromium)('console: with the emailed identity check required, every action on a customer with factors can be taken', () => {
  const suite = useWebAppAndBrowser();

  it('sign out everywhere, forget remembered devices, unlock and cancel required setup offer the identity check and send it', async () => {
    const { t } = suite.web;
    const customer = await signUpContact(t, 'rita@example.com', 'Rita Required');
    await enrollTOTP(t, customer.client, 'contact', 'Phone');
    const admin = await staffWithMFA(t, 'admin');
    await admin.stepUp();
    const set = await admin.client.put('/api/v1/settings/mfa', { policy: 'optional', rememberDeviceDays: 30, waitingPeriodHours: 0, requireEmailVerification: true, reason: 'Every action needs an emailed check' });
    expect(set.statusCode, set.body).toBe(200);
    // Ten wrong codes lock the second step, so that Unlock is offered.
    for (let round = 0; round < 2; round++) {
      const api = t.client();
      expect((await api.post('/api/v1/auth/login', { email: customer.email, password: PASSWORD })).statusCode).toBe(200);
      for (let i = 0; i < 5; i++) await api.post('/api/v1/auth/mfa/verify', { method: 'totp', code: '000000' });
    }

    const sup = await staffWithMFA(t, 'supervisor');
    const s = await openPage(suite.browser, suite.web.baseURL);
    await signInToConsole(t, s, sup.email, sup.secret);
    await s.page.goto(`/admin/contacts/${customer.id}`);
    const panel = s.page.getByRole('region', { name: 'Security' });

    // Require setup first (it already took a check), so that its cancel is offered.
    const kinds = ['Sign out everywhere', 'Forget remembered devices', 'Unlock', 'Require MFA setup at next sign-in', 'Cancel required MFA setup'];
    for (const title of kinds) {
      await panel.getByRole('group', { name: 'Security actions' }).getByRole('button', { name: title }).click();
      const dialog = s.page.getByRole('dialog', { name: title });
      await dialog.getByLabel('Reason').fill(`Caller asked: ${title}`);
      await dialog.getByRole('group', { name: 'Identity check' }).waitFor();
      await confirmEmailedCheck(t, s.page, title, customer.email);
      await dialog.getByRole('button', { name: title }).click();
      await s.page.getByRole('dialog', { name: `${title}: done` }).getByRole('button', { name: 'Done' }).click();
    }

    const entries = await t.ctx.db.selectFrom('audit_events').select(['action', 'verification']).where('contact_id', '=', customer.id).where('actor_type', '=', 'staff').execute();
    const verified = entries.filter((e) => JSON.parse(e.verification ?? 'null')?.method === 'email_code').map((e) => e.action);
    expect(verified).toEqual(expect.arrayContaining(['sessions.revoked_by_staff', 'mfa.remembered_devices.revoked_by_staff', 'mfa.unlocked', 'mfa.enrollment_required', 'mfa.enrollment_required.cancelled']));
    expect(s.problems).toEqual([]);
    await t.ctx.db.deleteFrom('settings').execute();
    await s.context.close();
  });
});
