import { describe, expect, it } from 'vitest';
import { signUpContact } from '../helpers/app.js';
import { enrollTOTP, staffWithMFA } from '../helpers/mfa.js';
import { hasChromium, useWebAppAndBrowser, openPage } from './browser.js';
import { signInToHelpCenter } from './mfa-steps.js';

describe.skipIf(!hasChromium)('help center: under the required MFA policy the last method cannot be removed', () => {
  const suite = useWebAppAndBrowser();

  it('the last factor\'s Remove is disabled with the reason; under the optional policy it can be removed, with the warning', async () => {
    const { t } = suite.web;
    const admin = await staffWithMFA(t, 'admin');
    const setPolicy = async (policy: 'optional' | 'required') => {
      await admin.stepUp();
      const r = await admin.client.put('/api/v1/settings/mfa', { policy, rememberDeviceDays: 30, waitingPeriodHours: 0, requireEmailVerification: false, reason: `Policy ${policy}` });
      expect(r.statusCode, r.body).toBe(200);
    };
    await setPolicy('required');
    const customer = await signUpContact(t, 'kim@example.com', 'Kim Keep');
    const { secret } = await enrollTOTP(t, customer.client, 'contact', 'Phone');
    const c = await openPage(suite.browser, suite.web.baseURL);
    const p = c.page;
    await signInToHelpCenter(t, p, customer.email, secret);
    await p.goto('/account/security');
    const methods = p.getByRole('table', { name: 'Sign-in methods' });
    const remove = methods.getByRole('button', { name: 'Remove Phone' });
    await remove.waitFor();
    expect(await remove.isDisabled()).toBe(true);
    await methods.getByText(/This help center requires two-step verification: add another method before you remove this one/).waitFor();
    // No false warning that two-step verification would turn off.
    expect(await p.getByText(/two-step verification turns off/).count()).toBe(0);

    // Under the optional policy, the last one may go, with the warning.
    await setPolicy('optional');
    await p.reload();
    await methods.getByRole('button', { name: 'Remove Phone' }).click();
    await p.getByText(/two-step verification turns off/).waitFor();
    expect(c.problems).toEqual([]);
    await c.context.close();
  });
});
