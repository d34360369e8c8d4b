import { describe, expect, it } from 'vitest';
import { signUpContact } from '../helpers/app.js';
import { codeFor, enrollTOTP, staffWithMFA } from '../helpers/mfa.js';
import { hasChromium, useWebAppAndBrowser, openPage, watchDenials } from './browser.js';
import { signInToConsole } from './mfa-steps.js';

const SIX_MINUTES = 6 * 60_000;

describe.skipIf(!hasChromium)('console: cancelling a scheduled change asks for the step-up inline', () => {
  const suite = useWebAppAndBrowser();

  it('with a stale step-up, Cancel this change opens the step-up dialog and, after the code, the change is cancelled', async () => {
    const { t } = suite.web;
    const admin = await staffWithMFA(t, 'admin');
    await admin.stepUp();
    expect((await admin.client.put('/api/v1/settings/mfa', { policy: 'optional', rememberDeviceDays: 30, waitingPeriodHours: 24, requireEmailVerification: false, reason: 'Waiting period on' })).statusCode).toBe(200);
    const customer = await signUpContact(t, 'cy@example.com', 'Cy Cancel');
    await enrollTOTP(t, customer.client, 'contact', 'Phone');
    const sup = await staffWithMFA(t, 'supervisor');
    await sup.stepUp();
    const scheduled = await sup.client.post(`/api/v1/contacts/${customer.id}/mfa/reset`, { reason: 'Caller lost the phone' });
    expect(scheduled.statusCode, scheduled.body).toBe(202);

    const s = await openPage(suite.browser, suite.web.baseURL);
    const denials = watchDenials(s);
    await signInToConsole(t, s, sup.email, sup.secret);
    t.clock.advance(SIX_MINUTES);
    await s.page.goto(`/admin/contacts/${customer.id}`);
    const row = s.page.getByRole('region', { name: 'Scheduled changes' }).getByRole('listitem', { name: /Reset MFA/ });
    await row.getByRole('button', { name: /^Cancel Reset MFA/ }).click();
    await row.getByLabel('Reason for cancelling').fill('Could not confirm the caller');
    await row.getByRole('button', { name: 'Cancel this change' }).click();
    const stepUp = s.page.getByRole('dialog', { name: 'Confirm it is you' });
    await stepUp.getByLabel('Code from your authenticator app').fill(codeFor(t, sup.secret));
    await stepUp.getByRole('button', { name: 'Confirm' }).click();
    await stepUp.waitFor({ state: 'detached' });
    await s.page.getByRole('region', { name: 'Scheduled changes' }).waitFor({ state: 'detached' });
    const pa = await t.ctx.db.selectFrom('pending_actions').selectAll().where('id', '=', scheduled.json().pendingActionId).executeTakeFirstOrThrow();
    expect(pa).toMatchObject({ status: 'cancelled', cancelled_by: 'staff' });
    expect(denials).toEqual(['step_up_required']);
    expect(s.problems.filter((p) => !p.endsWith('status of 403 (Forbidden)'))).toEqual([]);
    await t.ctx.db.deleteFrom('settings').execute();
    await s.context.close();
  });
});
