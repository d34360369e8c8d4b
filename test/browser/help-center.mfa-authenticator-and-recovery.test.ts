import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { signUpContact } from '../helpers/app.js';
import { codeFor, nextStep } from '../helpers/mfa.js';
import { hasChromium, useWebAppAndBrowser, openPage, screenshot } from './browser.js';
import { addAuthenticatorApp, saveRecoveryCodes, signInWithPassword, signOut, unexpected } from './mfa-steps.js';

describe.skipIf(!hasChromium)('help center: authenticator app, remembered browser and recovery codes', () => {
  const suite = useWebAppAndBrowser();

  it('a customer enrolls an authenticator app, signs in with a code, remembers the browser, then after a locked sign-in uses a recovery code and a step-up', async () => {
    const { t } = suite.web;
    const { email } = await signUpContact(t, 'tess@example.com', 'Tess Totp');
    const w = await openPage(suite.browser, suite.web.baseURL);
    const p = w.page;

    // No factor yet (policy "optional"): the password is enough.
    await signInWithPassword(p, email);
    await p.getByRole('heading', { name: 'My tickets' }).waitFor();
    await p.getByRole('link', { name: 'Account' }).click();
    await p.getByRole('link', { name: 'Manage security' }).click();
    await p.getByRole('heading', { name: 'Security', exact: true }).waitFor();
    await p.getByText('Two-step verification is off').waitFor();
    await p.getByText('No remembered browsers').waitFor();

    const secret = await addAuthenticatorApp(t, p, 'Phone');
    await p.getByRole('list', { name: 'Recovery codes' }).waitFor();
    await screenshot(p, 'mfa-recovery-codes');
    // The codes download as a text file.
    const [download] = await Promise.all([p.waitForEvent('download'), p.getByRole('button', { name: 'Download as text' }).click()]);
    expect(download.suggestedFilename()).toBe('recovery-codes.txt');
    const codes = await saveRecoveryCodes(p, 'Done');
    expect(readFileSync((await download.path())!, 'utf8')).toContain(codes[0]);
    await p.getByRole('status').getByText('Added “Phone”').waitFor();
    const methods = p.getByRole('table', { name: 'Sign-in methods' });
    await methods.getByRole('row').filter({ hasText: 'Phone' }).getByText('Authenticator app').waitFor();
    await p.getByText('You have 10 unused recovery codes').waitFor();
    await p.getByRole('list', { name: 'Recent security activity' }).getByText('Sign-in method added').waitFor();
    await screenshot(p, 'mfa-security-page');

    // Signing in now needs the code; a wrong one says how many tries are left.
    await signOut(p);
    await signInWithPassword(p, email);
    await p.getByRole('heading', { name: 'Two-step verification' }).waitFor();
    expect(new URL(p.url()).pathname).toBe('/sign-in/verify');
    const codeInput = p.getByLabel('6-digit code from your authenticator app');
    expect(await codeInput.getAttribute('inputmode')).toBe('numeric');
    expect(await codeInput.getAttribute('autocomplete')).toBe('one-time-code');
    await screenshot(p, 'mfa-second-step');
    const right = codeFor(t, secret, 1);
    await codeInput.fill(right === '000000' ? '111111' : '000000');
    await p.getByRole('button', { name: 'Verify' }).click();
    await p.getByRole('alert').getByText('4 tries left for this sign-in').waitFor();
    nextStep(t);
    await codeInput.fill(codeFor(t, secret));
    await p.getByLabel('Remember this browser for 30 days').check();
    await p.getByRole('button', { name: 'Verify' }).click();
    await p.getByRole('heading', { name: 'My tickets' }).waitFor();

    // This browser is remembered: the next sign-in skips the second step.
    await signOut(p);
    await signInWithPassword(p, email);
    await p.getByRole('heading', { name: 'My tickets' }).waitFor();
    await p.goto('/account/security');
    const devices = p.getByRole('list', { name: 'Remembered browsers' });
    await devices.getByRole('listitem').first().waitFor();
    expect(await devices.getByRole('listitem').count()).toBe(1);

    // Another browser (no remembered cookie) signs in with a recovery code.
    const other = await openPage(suite.browser, suite.web.baseURL);
    const o = other.page;
    await signInWithPassword(o, email);
    await o.getByRole('heading', { name: 'Two-step verification' }).waitFor();
    // Five wrong codes lock this sign-in: the page offers to start again.
    const wrong = codeFor(t, secret) === '000000' ? '111111' : '000000';
    for (let i = 0; i < 5; i++) {
      await o.getByLabel('6-digit code from your authenticator app').fill(wrong);
      await o.getByRole('button', { name: 'Verify' }).click();
      await o.getByRole('alert').getByText(i < 4 ? `${4 - i} tr` : 'Too many wrong codes').waitFor();
    }
    await o.getByRole('alert').getByRole('button', { name: 'Sign in again' }).click();
    await o.waitForURL((u) => u.pathname === '/sign-in');
    await signInWithPassword(o, email);
    await o.getByRole('link', { name: "Can't use any of your methods?" }).click();
    await o.getByText('contact our support team').waitFor();
    await o.getByRole('link', { name: 'Back to two-step verification' }).click();
    await o.getByRole('group', { name: 'Choose a method' }).getByRole('button', { name: 'Recovery code' }).click();
    await o.getByLabel('Recovery code', { exact: true }).fill(codes[0]);
    await o.getByRole('button', { name: 'Verify' }).click();
    await o.getByRole('heading', { name: 'My tickets' }).waitFor();
    await o.goto('/account/security');
    await o.getByText('You have 9 unused recovery codes').waitFor();
    await o.getByRole('list', { name: 'Recent security activity' }).getByText('Recovery code used').waitFor();

    // Six minutes later the sign-in's own step-up has lapsed: new codes ask for the app again.
    t.clock.advance(6 * 60_000);
    await o.getByRole('button', { name: 'Generate new recovery codes' }).click();
    await o.getByRole('button', { name: 'Yes, generate new codes' }).click();
    const dialog = o.getByRole('dialog', { name: 'Confirm it is you' });
    await dialog.waitFor();
    await screenshot(o, 'mfa-step-up');
    await dialog.getByLabel('Code from your authenticator app').fill(codeFor(t, secret));
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    const fresh = await saveRecoveryCodes(o, 'Done');
    expect(fresh).not.toContain(codes[1]);
    await o.getByText('You have 10 unused recovery codes').waitFor();

    // The remembered browser can be forgotten from the Security page.
    await p.reload();
    await devices.getByRole('button', { name: /^Forget / }).click();
    await p.getByRole('button', { name: 'Yes, forget it' }).click();
    await p.getByText('No remembered browsers').waitFor();

    expect(unexpected(w.problems, [400])).toEqual([]);
    expect(unexpected(other.problems, [400, 403, 429])).toEqual([]);
  });
});
