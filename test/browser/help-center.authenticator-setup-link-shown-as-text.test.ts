import { describe, expect, it } from 'vitest';
import { signUpContact } from '../helpers/app.js';
import { hasChromium, useWebAppAndBrowser, openPage, screenshot } from './browser.js';
import { addAuthenticatorApp, signInWithPassword } from './mfa-steps.js';

// PRODUCT.md §3: the authenticator app's `otpauth://` URI is "shown as a QR code and as text".
// The page showed the QR code and the base32 key, never the URI. It is behind a disclosure now,
// as selectable text and as a link (which opens the authenticator app on a phone).

describe.skipIf(!hasChromium)('help center: the authenticator setup link is shown as text', () => {
  const suite = useWebAppAndBrowser();

  it('shows the otpauth:// URI on request, naming the issuer and carrying the secret of the setup key', async () => {
    const { t } = suite.web;
    const { email } = await signUpContact(t, 'uri@example.com', 'Uri Reader');
    const w = await openPage(suite.browser, suite.web.baseURL);
    const p = w.page;
    await signInWithPassword(p, email);
    await p.getByRole('heading', { name: 'My tickets' }).waitFor();
    await p.goto('/account/security');
    await p.getByRole('button', { name: 'Add an authenticator app' }).click();
    const form = p.getByRole('form', { name: 'Add an authenticator app' });
    await form.getByRole('img', { name: /QR code/ }).waitFor();

    // Folded away until asked for, so the form stays short.
    const shownUri = form.getByLabel('Setup link');
    expect(await shownUri.isVisible()).toBe(false);
    await form.getByText('Show the setup link').click();
    await shownUri.waitFor({ state: 'visible' });
    await screenshot(p, 'mfa-authenticator-setup-link');

    const text = ((await shownUri.textContent()) ?? '').trim();
    const uri = new URL(text);
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    // PUBLIC_URL is on localhost: the issuer is plain "Portico".
    expect(decodeURIComponent(uri.pathname)).toBe(`/Portico:${email}`);
    expect(uri.searchParams.get('issuer')).toBe('Portico');
    expect(uri.searchParams.get('algorithm')).toBe('SHA1');
    expect(uri.searchParams.get('digits')).toBe('6');
    expect(uri.searchParams.get('period')).toBe('30');
    const key = ((await form.getByLabel('Setup key').textContent()) ?? '').replace(/\s+/g, '');
    expect(key).toMatch(/^[A-Z2-7]{32}$/);
    expect(uri.searchParams.get('secret')).toBe(key);

    // Selectable in one go, and a link to the same URI.
    expect(await shownUri.evaluate((el) => getComputedStyle(el).userSelect)).toBe('all');
    const link = form.getByRole('link', { name: 'Open in your authenticator app' });
    expect(await link.getAttribute('href')).toBe(text);

    // The app set up from that key is accepted.
    await addAuthenticatorApp(t, p, 'Phone', { alreadyStarted: true });
    await p.getByRole('list', { name: 'Recovery codes' }).waitFor();
    expect(w.problems).toEqual([]);
  });
});
