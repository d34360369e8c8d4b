import { describe, expect, it } from 'vitest';
import { signUpContact } from '../helpers/app.js';
import { enrollTOTP, staffWithMFA } from '../helpers/mfa.js';
import { hasChromium, useWebAppAndBrowser, openPage } from './browser.js';
import { signInToConsole } from './mfa-steps.js';

const HOUR = 3600_000;

// A scheduled change says when it takes effect as a date, and how long is left ("in 17 h",
// "in 25 min") so staff need not work it out, and what it will do (whether the customer must
// set up MFA again, how long a temporary code then works).
describe.skipIf(!hasChromium)('console: scheduled changes say how long is left and what they will do', () => {
  const suite = useWebAppAndBrowser();

  it('the Scheduled changes page and the Security panel show the time left and the effect of each change', async () => {
    const { t } = suite.web;
    const admin = await staffWithMFA(t, 'admin');
    await admin.stepUp();
    expect((await admin.client.put('/api/v1/settings/mfa', { policy: 'optional', rememberDeviceDays: 30, waitingPeriodHours: 24, requireEmailVerification: false, reason: 'Waiting period on' })).statusCode).toBe(200);
    const ida = await signUpContact(t, 'ida-setup@example.com', 'Ida Setup');
    const ned = await signUpContact(t, 'ned-nosetup@example.com', 'Ned Nosetup');
    await enrollTOTP(t, ida.client, 'contact', 'Phone');
    await enrollTOTP(t, ned.client, 'contact', 'Phone');
    const sup = await staffWithMFA(t, 'supervisor');
    await sup.stepUp();
    const r1 = await sup.client.post(`/api/v1/contacts/${ida.id}/mfa/reset`, { reason: 'Caller lost the phone', requireEnrollment: true });
    expect(r1.statusCode, r1.body).toBe(202);
    const r2 = await sup.client.post(`/api/v1/contacts/${ned.id}/mfa/reset`, { reason: 'Caller lost the phone', requireEnrollment: false });
    expect(r2.statusCode, r2.body).toBe(202);
    const r3 = await sup.client.post(`/api/v1/contacts/${ida.id}/mfa/temporary-codes`, { reason: 'Caller asks for a code', ttlMinutes: 240 });
    expect(r3.statusCode, r3.body).toBe(202);
    const effectiveAt = new Date(r1.json().effectiveAt).getTime();

    const s = await openPage(suite.browser, suite.web.baseURL);
    await signInToConsole(t, s, sup.email, sup.secret);
    const p = s.page;

    // 7 hours into the 24: 17 hours are left.
    await p.clock.setSystemTime(new Date(effectiveAt - 17 * HOUR));
    await p.goto('/admin/pending-actions');
    const list = p.getByRole('list', { name: 'Scheduled changes' });
    await list.getByRole('link', { name: /Ned Nosetup/ }).waitFor();
    const idasReset = list.getByRole('listitem').filter({ hasText: 'Reset MFA' }).filter({ has: p.getByRole('link', { name: /Ida Setup/ }) });
    const nedsReset = list.getByRole('listitem').filter({ hasText: 'Reset MFA' }).filter({ has: p.getByRole('link', { name: /Ned Nosetup/ }) });
    const idasCode = list.getByRole('listitem').filter({ hasText: 'Temporary access code' });
    for (const row of [idasReset, nedsReset, idasCode]) await row.getByText(/Takes effect .+ \(in 17 h\)/).waitFor();
    // What each will do, from what the row carries.
    await idasReset.getByText(/must set up MFA again at the next sign-in/).waitFor();
    await nedsReset.getByText(/can sign in with the password alone/).waitFor();
    expect(await nedsReset.getByText(/must set up MFA/).count()).toBe(0);
    await idasCode.getByText(/works once for 4 hours/).waitFor();
    // The Cancel button's name (which reads the line) still says which change, and now when.
    expect(await list.getByRole('button', { name: /^Cancel Reset MFA — Takes effect .+ \(in 17 h\).*Ned Nosetup/ }).count()).toBe(1);

    // 25 minutes before, on the customer's Security panel.
    await p.clock.setSystemTime(new Date(effectiveAt - 25 * 60_000));
    await p.goto(`/admin/contacts/${ida.id}`);
    const region = p.getByRole('region', { name: 'Scheduled changes' });
    await region.getByRole('listitem').nth(1).waitFor();
    await region.getByRole('listitem', { name: /Reset MFA/ }).getByText(/Takes effect .+ \(in 25 min\)/).waitFor();
    await region.getByRole('listitem', { name: /Reset MFA/ }).getByText(/must set up MFA again at the next sign-in/).waitFor();
    expect(s.problems).toEqual([]);
    await s.context.close();
  });
});
