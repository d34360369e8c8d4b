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
});
