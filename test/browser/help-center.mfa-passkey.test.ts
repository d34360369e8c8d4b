import { describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { signUpContact } from '../helpers/app.js';
import { hasChromium, useWebAppAndBrowser, openPage, screenshot } from './browser.js';
import { addAuthenticatorApp, saveRecoveryCodes, signInWithPassword, signOut, unexpected } from './mfa-steps.js';

/** Chromium's virtual authenticator on this page: a platform passkey that always says yes. */
async function addVirtualAuthenticator(page: Page): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
}

describe.skipIf(!hasChromium)('help center: passkeys', () => {
  const suite = useWebAppAndBrowser();

  it('a customer registers a passkey, signs in with it, and passes a step-up with it to add and remove an authenticator app', async () => {
    const { t } = suite.web;
    const { email } = await signUpContact(t, 'pat@example.com', 'Pat Passkey');
    const w = await openPage(suite.browser, suite.web.baseURL);
    const p = w.page;
    await addVirtualAuthenticator(p);

    await signInWithPassword(p, email);
    await p.getByRole('heading', { name: 'My tickets' }).waitFor();
    await p.goto('/account/security');
    await p.getByRole('button', { name: 'Add a passkey' }).click();
    const form = p.getByRole('form', { name: 'Add a passkey' });
    await form.getByLabel('Passkey name (optional)').fill('Laptop');
    await form.getByRole('button', { name: 'Create passkey' }).click();
    await saveRecoveryCodes(p, 'Done');
    const methods = p.getByRole('table', { name: 'Sign-in methods' });
    await methods.getByRole('row').filter({ hasText: 'Laptop' }).getByText('Passkey or security key').waitFor();

    // Sign in again: the passkey is the first method offered.
    await signOut(p);
    await signInWithPassword(p, email);
    await p.getByRole('heading', { name: 'Two-step verification' }).waitFor();
    await p.getByRole('button', { name: 'Use your passkey' }).click();
    await p.getByRole('heading', { name: 'My tickets' }).waitFor();
    await p.goto('/account/security');
    const laptop = methods.getByRole('row').filter({ hasText: 'Laptop' });
    await laptop.waitFor();
    expect(await laptop.getByRole('cell').nth(3).textContent()).not.toBe('Never');

    // Later, adding a second method asks for the passkey again, then goes on.
    t.clock.advance(6 * 60_000);
    await p.getByRole('button', { name: 'Add an authenticator app' }).click();
    const dialog = p.getByRole('dialog', { name: 'Confirm it is you' });
    await dialog.getByRole('button', { name: 'Use a passkey' }).click();
    await addAuthenticatorApp(t, p, 'Spare phone', { alreadyStarted: true });
    await p.getByRole('status').getByText('Added “Spare phone”').waitFor();
    // Only the first factor brings recovery codes.
    expect(await p.getByRole('list', { name: 'Recovery codes' }).count()).toBe(0);

    // Rename, then remove (which says what goes) the authenticator app.
    const spare = methods.getByRole('row').filter({ hasText: 'Spare phone' });
    await spare.getByRole('button', { name: 'Rename Spare phone' }).click();
    await spare.getByLabel('New name for Spare phone').fill('Old phone');
    await spare.getByRole('button', { name: 'Save' }).click();
    const old = methods.getByRole('row').filter({ hasText: 'Old phone' });
    await old.getByRole('button', { name: 'Remove Old phone' }).click();
    await old.getByText('you can no longer sign in with it').waitFor();
    await screenshot(p, 'mfa-remove-factor');
    await old.getByRole('button', { name: 'Yes, remove' }).click();
    await p.getByRole('status').getByText('Removed “Old phone”').waitFor();
    expect(await methods.getByRole('row').count()).toBe(2);

    // The last method warns that the recovery codes go too.
    await laptop.getByRole('button', { name: 'Remove Laptop' }).click();
    await laptop.getByText('recovery codes are deleted too').waitFor();
    await laptop.getByRole('button', { name: 'Cancel' }).click();

    expect(unexpected(w.problems, [403])).toEqual([]);
  });
});
