import { describe, expect, it } from 'vitest';
import { signUpContact } from '../helpers/app.js';
import { codeFor, enrollTOTP, nextStep, staffWithMFA } from '../helpers/mfa.js';
import { hasChromium, useWebAppAndBrowser, openPage } from './browser.js';
import { signInWithPassword } from './mfa-steps.js';

describe.skipIf(!hasChromium)('help center: after support\'s actions the set-up page gives the real reason', () => {
  const suite = useWebAppAndBrowser();

  it('after "Require setup" it says support asked and the old methods will be removed, and that the browser was not remembered', async () => {
    const { t } = suite.web;
    const customer = await signUpContact(t, 'rey@example.com', 'Rey Required');
    const { secret } = await enrollTOTP(t, customer.client, 'contact', 'Old phone');
    const sup = await staffWithMFA(t, 'supervisor');
    await sup.stepUp();
    expect((await sup.client.post(`/api/v1/contacts/${customer.id}/mfa/require-enrollment`, { reason: 'Stolen phone' })).statusCode).toBe(200);

    const c = await openPage(suite.browser, suite.web.baseURL);
    const p = c.page;
    await signInWithPassword(p, customer.email);
    nextStep(t);
    await p.getByLabel('6-digit code from your authenticator app').fill(codeFor(t, secret));
    await p.getByLabel(/Remember this browser/).check();
    await p.getByRole('button', { name: 'Verify' }).click();
    await p.getByRole('heading', { name: 'Set up two-step verification' }).waitFor();
    await p.getByText(/Our support team asked you to set up two-step verification again/).waitFor();
    await p.getByText(/Old phone.*will be removed/).waitFor();
    await p.getByText(/This browser was not remembered/).waitFor();
    expect(await p.getByText('This help center asks every customer to use a second factor').count()).toBe(0);
    expect(c.problems).toEqual([]);
    await c.context.close();
  });

  it('after a temporary code it says support asked for a new setup and the old methods will be removed; the code step offers no "Remember"', async () => {
    const { t } = suite.web;
    const customer = await signUpContact(t, 'tia@example.com', 'Tia Temporary');
    await enrollTOTP(t, customer.client, 'contact', 'Lost phone');
    const sup = await staffWithMFA(t, 'supervisor');
    await sup.stepUp();
    const issued = await sup.client.post(`/api/v1/contacts/${customer.id}/mfa/temporary-codes`, { reason: 'Lost phone', ttlMinutes: 60 });
    expect(issued.statusCode, issued.body).toBe(201);

    const c = await openPage(suite.browser, suite.web.baseURL);
    const p = c.page;
    await signInWithPassword(p, customer.email);
    await p.getByRole('group', { name: 'Choose a method' }).getByRole('button', { name: 'Temporary access code' }).click();
    expect(await p.getByLabel(/Remember this browser/).count()).toBe(0);
    await p.getByLabel('Temporary access code', { exact: true }).fill(issued.json().code);
    await p.getByRole('button', { name: 'Verify' }).click();
    await p.getByRole('heading', { name: 'Set up two-step verification' }).waitFor();
    await p.getByText(/Our support team asked you to set up two-step verification again/).waitFor();
    await p.getByText(/Lost phone.*will be removed/).waitFor();
    expect(c.problems).toEqual([]);
    await c.context.close();
  });
});
