import { describe, expect, it } from 'vitest';
import { codeFor, staffWithMFA } from '../helpers/mfa.js';
import { hasChromium, useWebAppAndBrowser, openPage, watchDenials } from './browser.js';
import { signInToConsole } from './mfa-steps.js';

const SIX_MINUTES = 6 * 60_000;

describe.skipIf(!hasChromium)('console: the MFA settings save through the inline step-up', () => {
  const suite = useWebAppAndBrowser();

  it('with a stale step-up, changing the waiting period asks for the step-up, and the code saves the change (shown after a reload)', async () => {
    const { t } = suite.web;
    const admin = await staffWithMFA(t, 'admin');
    const a = await openPage(suite.browser, suite.web.baseURL);
    const denials = watchDenials(a);
    await signInToConsole(t, a, admin.email, admin.secret);
    t.clock.advance(SIX_MINUTES);
    await a.page.goto('/admin/settings');
    const settings = a.page.getByRole('form', { name: 'MFA settings' });
    const hours = settings.getByLabel('Waiting period before resets and temporary codes (hours)');
    await hours.fill('24');
    await settings.getByLabel('Reason for the change').fill('Defence against help-desk social engineering');
    await settings.getByRole('button', { name: 'Save MFA settings' }).click();

    const stepUp = a.page.getByRole('dialog', { name: 'Confirm it is you' });
    // The step-up dialog's form is its own, not nested in the settings form.
    expect(await stepUp.evaluate((el) => !!el.closest('form[aria-label="MFA settings"]'))).toBe(false);
    await stepUp.getByLabel('Code from your authenticator app').fill(codeFor(t, admin.secret));
    await stepUp.getByRole('button', { name: 'Confirm' }).click();
    await stepUp.waitFor({ state: 'detached' });
    await settings.getByRole('status').getByText('MFA settings saved.').waitFor();
    expect(denials).toEqual(['step_up_required']);

    const stored = await admin.client.get('/api/v1/settings/mfa');
    expect(stored.json().waitingPeriodHours).toBe(24);
    await a.page.reload();
    await expect.poll(() => a.page.getByRole('form', { name: 'MFA settings' }).getByLabel('Waiting period before resets and temporary codes (hours)').inputValue()).toBe('24');
    expect(a.problems.filter((p) => !p.endsWith('status of 403 (Forbidden)'))).toEqual([]);
    await a.context.close();
  });

  it('shortening the remembered-browser period says, before saving, which remembered browsers it ends', async () => {
    const { t } = suite.web;
    const admin = await staffWithMFA(t, 'admin');
    const a = await openPage(suite.browser, suite.web.baseURL);
    await signInToConsole(t, a, admin.email, admin.secret);
    await a.page.goto('/admin/settings');
    const settings = a.page.getByRole('form', { name: 'MFA settings' });
    const days = settings.getByLabel('Remember a browser for (days, 0 turns it off)');
    const before = Number(await days.inputValue());
    expect(before).toBeGreaterThan(7);
    const warning = settings.getByText(/^Saving forgets every browser remembered more than 7 days ago/);
    await days.fill('7');
    await warning.waitFor();
    expect(await days.getAttribute('aria-describedby')).toBeTruthy();
    await days.fill('0');
    await settings.getByText('Saving forgets every remembered browser: customers will be asked for their second step at their next sign-in.').waitFor();
    // Lengthening (or keeping) the period ends nothing, and says nothing.
    await days.fill(String(before + 1));
    await expect.poll(() => settings.getByText(/^Saving forgets/).count()).toBe(0);
    // Saved, the shorter period is the new baseline: no warning left over.
    await days.fill('7');
    await settings.getByLabel('Reason for the change').fill('Shorter trust for shared computers');
    await settings.getByRole('button', { name: 'Save MFA settings' }).click();
    await settings.getByText('MFA settings saved.').waitFor();
    await expect.poll(() => settings.getByText(/^Saving forgets/).count()).toBe(0);
    expect((await admin.client.get('/api/v1/settings/mfa')).json().rememberDeviceDays).toBe(7);
    await admin.stepUp();
    expect((await admin.client.put('/api/v1/settings/mfa', { rememberDeviceDays: before, reason: 'restore' })).statusCode).toBe(200);
    expect(a.problems).toEqual([]);
    await a.context.close();
  });
});
