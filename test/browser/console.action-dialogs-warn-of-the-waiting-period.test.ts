import { describe, expect, it } from 'vitest';
import { signUpContact } from '../helpers/app.js';
import { enrollTOTP, staffWithMFA } from '../helpers/mfa.js';
import { hasChromium, useWebAppAndBrowser, openPage } from './browser.js';
import { signInToConsole } from './mfa-steps.js';
import { BulkRunner } from '../../src/recovery/bulk.js';

describe.skipIf(!hasChromium)('console: under a waiting period the action dialogs say the change will be scheduled', () => {
  const suite = useWebAppAndBrowser();

  it('before confirming, a reset and a temporary code say they are scheduled and when; afterwards the message is readable, with no raw id', async () => {
    const { t } = suite.web;
    const admin = await staffWithMFA(t, 'admin');
    await admin.stepUp();
    const set = await admin.client.put('/api/v1/settings/mfa', { policy: 'optional', rememberDeviceDays: 30, waitingPeriodHours: 24, requireEmailVerification: false, reason: 'Waiting period on' });
    expect(set.statusCode, set.body).toBe(200);
    const customer = await signUpContact(t, 'wes@example.com', 'Wes Wait');
    await enrollTOTP(t, customer.client, 'contact', 'Phone');
    const sup = await staffWithMFA(t, 'supervisor');
    const s = await openPage(suite.browser, suite.web.baseURL);
    await signInToConsole(t, s, sup.email, sup.secret);
    await s.page.goto(`/admin/contacts/${customer.id}`);
    const panel = s.page.getByRole('region', { name: 'Security' });

    // An action the waiting period does not delay says nothing of it.
    await panel.getByRole('button', { name: 'Sign out everywhere' }).click();
    let dialog = s.page.getByRole('dialog', { name: 'Sign out everywhere' });
    await dialog.getByLabel('Reason').waitFor();
    expect(await dialog.getByText(/waiting period/i).count()).toBe(0);
    await dialog.getByRole('button', { name: 'Cancel' }).click();

    await panel.getByRole('button', { name: 'Reset MFA' }).click();
    dialog = s.page.getByRole('dialog', { name: 'Reset MFA' });
    const warning = dialog.getByRole('note', { name: 'Waiting period' });
    await warning.getByText(/will be scheduled, not applied now: it takes effect in 24 hours \(around .+\)/).waitFor();
    await warning.getByText(/emailed a link to cancel it/).waitFor();
    await dialog.getByLabel('Reason').fill('Caller lost the phone');
    await dialog.getByRole('button', { name: 'Reset MFA' }).click();
    const done = s.page.getByRole('dialog', { name: 'Reset MFA: scheduled' });
    await done.getByText(/Scheduled for /).waitFor();
    expect(await done.innerText()).not.toMatch(/pa_/);
    await done.getByText('Listed under Scheduled changes, where it can be cancelled').waitFor();
    await done.getByRole('button', { name: 'Done' }).click();

    await panel.getByRole('button', { name: 'Temporary access code' }).click();
    dialog = s.page.getByRole('dialog', { name: 'Temporary access code' });
    await dialog.getByRole('note', { name: 'Waiting period' }).getByText(/The code is shown now but becomes usable only in 24 hours/).waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect(s.problems).toEqual([]);
    await t.ctx.db.deleteFrom('settings').execute();
    await s.context.close();
  });

  it('an account whose reset awaits its setup is under it too: a temporary code and another reset say they are scheduled', async () => {
    const { t } = suite.web;
    const admin = await staffWithMFA(t, 'admin');
    await admin.stepUp();
    const set = await admin.client.put('/api/v1/settings/mfa', { policy: 'optional', rememberDeviceDays: 30, waitingPeriodHours: 24, requireEmailVerification: false, reason: 'Waiting period on' });
    expect(set.statusCode, set.body).toBe(200);
    const customer = await signUpContact(t, 'rita@example.com', 'Rita Reset');
    await enrollTOTP(t, customer.client, 'contact', 'Phone');
    // An incident's bulk reset (exempt from the waiting period) leaves no factor and the setup to do.
    const job = await admin.client.post('/api/v1/mfa/bulk-resets', { filter: { emails: [customer.email] }, reason: 'Incident' });
    expect(job.statusCode, job.body).toBe(202);
    await new BulkRunner(t.ctx).runOnce();
    expect((await admin.client.get(`/api/v1/contacts/${customer.id}/mfa`)).json()).toMatchObject({ enrolled: false, setupLinkRequired: true });

    const sup = await staffWithMFA(t, 'supervisor');
    const s = await openPage(suite.browser, suite.web.baseURL);
    await signInToConsole(t, s, sup.email, sup.secret);
    await s.page.goto(`/admin/contacts/${customer.id}`);
    const panel = s.page.getByRole('region', { name: 'Security' });
    for (const action of ['Temporary access code', 'Reset MFA']) {
      await panel.getByRole('button', { name: action }).click();
      const dialog = s.page.getByRole('dialog', { name: action });
      await dialog.getByRole('note', { name: 'Waiting period' }).getByText(/in 24 hours/).waitFor();
      await dialog.getByRole('button', { name: 'Cancel' }).click();
    }
    expect(s.problems).toEqual([]);
    await t.ctx.db.deleteFrom('settings').execute();
    await s.context.close();
  });
});
